//! Site activation (issue 14): one host on a site's own network, activated
//! by phone with a site-host key, activates the site's other machines.
//!
//! - [`book`]: the host's rules (counting, thresholds, leases), no I/O.
//! - [`wire`]: the messages, their signatures and checks, no I/O.
//! - [`store`]: the host's durable journal of its book.
//! - [`host`]: the host: its own checks, its answers, and the TCP server.
//! - [`lease`]: the client's side: asking a host, keeping and re-checking
//!   the lease.

pub mod book;
pub mod host;
pub mod lease;
pub mod net;
pub mod store;
pub mod wire;

pub use book::{Answer, Book, Hosted, Refusal, Request};
pub use wire::SiteError;

/// The clock site activation runs on, Unix seconds. `ACTLINE_TODAY`, when
/// set (tests and simulations), moves it to that day at the real time of
/// day, so processes that share the variable share a clock.
pub fn now() -> i64 {
    let real = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    match std::env::var("ACTLINE_TODAY")
        .ok()
        .and_then(|s| actline_formats::days::parse(&s))
    {
        Some(day) => day_start(day) + real.rem_euclid(book::DAY),
        None => real,
    }
}

/// Unix seconds at the start of `day` (days since 2020-01-01).
pub fn day_start(day: u16) -> i64 {
    const EPOCH_2020: i64 = 1_577_836_800;
    EPOCH_2020 + day as i64 * book::DAY
}

/// The day (since 2020-01-01) that Unix second `t` falls on.
pub fn day_of(t: i64) -> u16 {
    ((t - day_start(0)).div_euclid(book::DAY)).clamp(0, u16::MAX as i64) as u16
}
