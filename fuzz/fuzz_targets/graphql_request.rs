//! Fuzzes the GraphQL transport's request decoding (POST JSON bodies and GET query
//! strings): any bytes give a request or MongooseIM's decoding error, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = handler_graphql::http::decode_post(data);
    if let Ok(qs) = std::str::from_utf8(data) {
        let _ = handler_graphql::http::decode_get(qs, false);
        let _ = handler_graphql::http::decode_get(qs, true);
    }
});
