//! A ledger's database URL, and a password inside one.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    actline::fuzzing::ledger_url(data);
});
