//! actline's telephone line: the IVR answering real calls.
//!
//! The protocol layers are plain data and pure functions, with no I/O:
//!
//! - [`msg`]: SIP messages (RFC 3261 §7, §20, §25): a nom parser, one
//!   function per grammar rule, typed views of the headers a user-agent
//!   server needs, and the serializer.
//! - [`sdp`]: SDP (RFC 4566) offers and the answer (RFC 3264): PCMU, PCMA,
//!   `telephone-event/8000`, ptime 20, hold.
//! - [`rtp`]: RTP headers (RFC 3550) and RFC 4733 telephone events, with the
//!   receiver's reordering buffer and event de-duplication.
//! - [`ua`]: the user-agent server: every dialog a closed enum of states
//!   owning its data; datagrams and timer ticks in, datagrams and media
//!   commands out.
//! - [`media`]: one call's media (RTP in and out, both kinds of DTMF), over
//!   an IVR [`actline_ivr::call::Call`], again with no I/O.
//!
//! [`line`] is the only module that touches sockets and clocks: it runs the
//! user-agent server and every call's media on tokio.

pub mod line;
pub mod media;
pub mod msg;
pub mod rtp;
pub mod sdp;
pub mod ua;
