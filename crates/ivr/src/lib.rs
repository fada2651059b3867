//! The IVR: the telephone line an end user calls to activate by keypad.
//!
//! - [`grammar`]: W3C SRGS ABNF grammars in DTMF mode, and matchers that say,
//!   key by key, no-match, partial, match-that-can-continue or complete.
//! - [`dtmf`]: Goertzel DTMF detection (ITU-T Q.24 limits) and generation,
//!   from `actline-audio` (re-exported here, where the IVR's callers find it).
//! - [`timeline`]: scripted key timelines (`2s 1234567 500ms ...`).
//! - [`flow`]: the call flow as a closed set of states, each owning its data;
//!   events in, actions out; what keys mean comes from the grammars' tags.
//!   The default grammars are compiled in ([`flow::Grammars::builtin`]).
//! - [`call`]: the runner that plays a whole call: clock, audio, and a
//!   [`call::Desk`] for decisions and hand-overs.

pub mod call;
pub mod flow;
pub mod grammar;
pub mod timeline;

pub use actline_audio::dtmf;
