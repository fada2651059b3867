//! Everything read from files: catalogs, agreements, posed fingerprints.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    actline::fuzzing::files(data);
});
