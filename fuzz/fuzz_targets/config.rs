//! Fuzzes the whole config reader (TOML syntax, every section, every handler's options
//! through the registry): any text gives a config or a list of diagnostics, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = meerkat::load_config_str(text);
    }
});
