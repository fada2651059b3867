//! Everything a person types: installation IDs, product keys, confirmation
//! IDs. None may panic; whatever parses must print back to itself.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    actline::fuzzing::typed_ids(data);
});
