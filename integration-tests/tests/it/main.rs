//! All integration tests in one binary (one link, shared harness).

mod bosh;
mod bosh_client;
mod common;
mod config_errors;
mod core_auth;
mod core_client;
mod core_im;
mod core_roster;
mod core_services;
mod listener;
mod websocket;
mod ws_client;
mod graphql;
