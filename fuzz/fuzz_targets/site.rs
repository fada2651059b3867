//! The site protocol's lines: a client's request as a host reads it, a
//! host's reply as a client reads it.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    actline::fuzzing::site(data);
});
