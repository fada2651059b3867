//! The telephone line's network input: SIP, SDP, RTP, and the user-agent server.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    actline::fuzzing::line(data);
});
