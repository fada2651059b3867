//! actline's audio: the signal handling the voice and the IVR share.
//!
//! - [`wav`]: one RIFF/WAVE reader and one writer. The reader parses the
//!   chunks itself (odd-sized chunks with or without their pad byte, `fact`,
//!   `LIST` and unknown chunks, `WAVE_FORMAT_EXTENSIBLE`), knows 8/16/24/32-bit
//!   integer PCM, 32-bit float, A-law and µ-law, any number of channels, and
//!   converts the data chunk in bulk. Callers decide which formats they take.
//! - [`resample`]: the one sample-rate converter, a Kaiser-windowed sinc
//!   polyphase filter, for whole signals or streamed in chunks, at two
//!   documented qualities (the voice's and the DTMF detector's).
//! - [`g711`]: ITU-T G.711 µ-law and A-law companding.
//! - [`dtmf`]: DTMF detection to ITU-T Q.24 limits, and generation.
//!
//! Nothing here panics on any input (files, samples, rates); every error is
//! typed and names the file or value and what was wrong.
#![deny(missing_docs)]

pub mod dtmf;
pub mod g711;
pub mod resample;
pub mod wav;

#[cfg(test)]
mod g711_tables;
