//! Fuzzes the BOSH request body decoder (size limit, XML, `<body/>` attributes, rid
//! range, element count): any bytes give a body or a BOSH error, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for limit in [handler_bosh::MAX_BODY_UNBOUND, handler_bosh::MAX_BODY] {
        let _ = handler_bosh::parse_body(data, limit);
    }
});
