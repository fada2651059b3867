//! The engine service's requests (method, target, JSON body) and replies.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    actline::fuzzing::api(data);
});
