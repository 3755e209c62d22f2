//! All integration tests in one binary (one link, shared harness).

mod common;
mod config_errors;
mod listener;
mod websocket;
mod ws_client;
