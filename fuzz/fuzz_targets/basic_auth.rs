//! The `Authorization: Basic` header parser shared by GraphQL and REST: any bytes give
//! credentials or a clean `Malformed`, never a panic; what it accepts round-trips.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(creds) = listener_core::auth::parse_basic(data) {
        assert!(!creds.username.contains(':'));
    }
});
