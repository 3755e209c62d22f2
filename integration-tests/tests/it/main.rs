//! All integration tests in one binary (one link, shared harness).

mod access;
mod bosh;
mod bosh_client;
mod common;
mod config_errors;
mod core_auth;
mod core_client;
mod core_im;
mod core_modules;
mod core_roster;
mod core_services;
mod graphql;
mod graphql_session;
mod graphql_stanza;
mod listener;
mod mam;
mod postgres;
mod prometheus;
mod rest_admin;
mod rest_admin_groups;
mod rest_client;
mod rest_docs;
mod rest_mam;
mod websocket;
mod websocket_limits;
mod ws_client;
mod ws_slow_reader;
// roster, vcard, private, last, offline categories
mod graphql_roster;
mod graphql_storage;
mod graphql_vcard;
// domain, token, gdpr categories
mod graphql_domain;
mod graphql_files;
mod graphql_gdpr;
mod graphql_limits;
mod graphql_token;
// server, stat, metric, unavailable categories; schema coverage; domain-admin matrix
mod graphql_coverage;
mod graphql_scope_matrix;
mod graphql_server;
mod robustness;
