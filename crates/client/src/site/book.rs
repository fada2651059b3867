//! The site activation host's rules, with no I/O (issue 14): a [`Book`] of
//! the client machines a host has seen and the leases it gave, per product,
//! and the one decision it makes for a request ([`Book::request`]).
//!
//! - A host counts **distinct machines** per product in a rolling window of
//!   [`COUNT_WINDOW_SECS`] (30 days). One machine is one machine by the
//!   project's hardware rule ([`HardwareHash::compare`]): a request from a
//!   machine that matches one already in the book updates that entry, so a
//!   cloned image on the same hardware, or a machine asking again, is not
//!   counted twice; virtual and physical machines count alike.
//! - Below the product's threshold (the catalog's class threshold: desktop
//!   25, server and application 5) the client is told the count and the
//!   threshold, and to try again in [`RETRY_SECS`] (2 hours).
//! - At or above it the client gets a **lease** of [`LEASE_SECS`] (180
//!   days), to renew after [`RENEW_SECS`] (7 days); a renewal starts the 180
//!   days again.
//! - A client whose clock differs from the host's by more than
//!   [`MAX_SKEW_SECS`] (4 hours) is refused, saying so.
//! - A product the host is not allowed to activate is refused.
//!
//! The book is plain data (serde): the host keeps it in a durable local
//! store, so its count and leases survive restarts, unlike the classic
//! design, which starts counting again.

use actline_formats::bits::{BitReader, BitWriter};
use actline_formats::fingerprint::HardwareHash;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Seconds in a day.
pub const DAY: i64 = 86_400;
/// The window in which distinct machines are counted.
pub const COUNT_WINDOW_SECS: i64 = 30 * DAY;
/// How long a client activation lasts without renewal.
pub const LEASE_SECS: i64 = 180 * DAY;
/// How often an activated client renews.
pub const RENEW_SECS: i64 = 7 * DAY;
/// How often a client that is not activated asks again.
pub const RETRY_SECS: i64 = 2 * 3600;
/// The largest clock difference between client and host that is accepted.
pub const MAX_SKEW_SECS: i64 = 4 * 3600;

/// A product this host may activate, with its threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hosted {
    /// The product's code.
    pub product: u16,
    /// Distinct machines needed before any is activated.
    pub threshold: u32,
}

/// What a client asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// The product's code.
    pub product: u16,
    /// The client machine, as its installation ID carries it.
    pub machine: HardwareHash,
    /// The client's clock (Unix seconds).
    pub client_time: i64,
}

/// The host's answer to a request it accepts: what it decides, and what
/// it sends and signs ([`super::wire::Verdict`]), tagged by `outcome`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Answer {
    /// Activated: a lease until `expires`, to renew from `renew_at`.
    Leased {
        /// Distinct machines in the window, this one included.
        count: u32,
        /// The product's threshold.
        threshold: u32,
        /// When the lease ends unless renewed (Unix seconds).
        expires: i64,
        /// When the client renews (Unix seconds).
        renew_at: i64,
        /// Whether this renewed a lease that was still current.
        renewed: bool,
    },
    /// Counted, but the threshold is not reached: ask again at `retry_at`.
    Counting {
        /// Distinct machines in the window, this one included.
        count: u32,
        /// The product's threshold.
        threshold: u32,
        /// When to ask again (Unix seconds).
        retry_at: i64,
    },
}

/// Why the host refuses a request. Nothing is written to the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The clocks differ by more than [`MAX_SKEW_SECS`].
    #[error("the client's clock is {off} s {ahead} the host's, more than the 4 hours allowed: set the clock right and try again", off = client.abs_diff(*host), ahead = if client > host { "ahead of" } else { "behind" })]
    ClockSkew {
        /// The client's clock.
        client: i64,
        /// The host's clock.
        host: i64,
    },
    /// The vendor did not let this host activate the product.
    #[error("this host may not activate product {product}")]
    NotHosted {
        /// The product asked for.
        product: u16,
    },
}

/// One client machine in the book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// The machine's hardware digests, as bits ('0'/'1').
    machine: String,
    /// When it first asked (Unix seconds).
    pub first_seen: i64,
    /// When it last asked.
    pub last_seen: i64,
    /// When its lease ends, if it has had one.
    pub lease_expires: Option<i64>,
}

impl Seen {
    /// A short, stable name for the machine in listings: the first 12
    /// hex digits of its stored digests' SHA-256.
    pub fn short(&self) -> String {
        use sha2::Digest;
        actline_formats::hex::hex(&sha2::Sha256::digest(self.machine.as_bytes())[..6])
    }

    /// The machine, read back from its bits.
    pub fn machine(&self) -> Option<HardwareHash> {
        let bits: Vec<bool> = self.machine.chars().map(|c| c == '1').collect();
        HardwareHash::read_bits(&mut BitReader::new(&bits))
    }
}

fn machine_bits(m: &HardwareHash) -> String {
    let mut w = BitWriter::new();
    m.write_bits(&mut w);
    w.finish()
        .iter()
        .map(|b| if *b { '1' } else { '0' })
        .collect()
}

/// What a host knows: per product, the machines it has seen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Book {
    /// Per product code, the machines seen (in the window, or holding a
    /// lease).
    pub products: BTreeMap<u16, Vec<Seen>>,
}

/// One product's figures, for `site status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductStatus {
    /// The product's code.
    pub product: u16,
    /// Distinct machines in the window.
    pub count: u32,
    /// Leases that have not ended.
    pub leases: u32,
    /// The most recent request (Unix seconds), if any.
    pub last_request: Option<i64>,
}

impl Book {
    /// Decides `req` at the host's time `now`, for a host that may activate
    /// `hosted`: counts the machine, and leases when the product's threshold
    /// is reached. A refusal changes nothing.
    pub fn request(
        &mut self,
        req: &Request,
        hosted: &[Hosted],
        now: i64,
    ) -> Result<Answer, Refusal> {
        self.decide(req, hosted, now).map(|(a, _)| a)
    }

    /// [`request`](Self::request), also returning the machine's entry as it
    /// now stands: what the host's journal records before it answers.
    pub fn decide(
        &mut self,
        req: &Request,
        hosted: &[Hosted],
        now: i64,
    ) -> Result<(Answer, Seen), Refusal> {
        if req.client_time.abs_diff(now) > MAX_SKEW_SECS as u64 {
            return Err(Refusal::ClockSkew {
                client: req.client_time,
                host: now,
            });
        }
        let Some(rule) = hosted.iter().find(|h| h.product == req.product) else {
            return Err(Refusal::NotHosted {
                product: req.product,
            });
        };
        let seen = self.products.entry(req.product).or_default();
        forget_old(seen, now);
        let at = match seen.iter().position(|s| {
            s.machine()
                .is_some_and(|m| m.compare(&req.machine).same_machine())
        }) {
            Some(i) => {
                seen[i].last_seen = now;
                i
            }
            None => {
                seen.push(Seen {
                    machine: machine_bits(&req.machine),
                    first_seen: now,
                    last_seen: now,
                    lease_expires: None,
                });
                seen.len() - 1
            }
        };
        let count = counted(seen, now);
        if count < rule.threshold {
            return Ok((
                Answer::Counting {
                    count,
                    threshold: rule.threshold,
                    retry_at: now.saturating_add(RETRY_SECS),
                },
                seen[at].clone(),
            ));
        }
        let renewed = seen[at].lease_expires.is_some_and(|e| e > now);
        let expires = now.saturating_add(LEASE_SECS);
        seen[at].lease_expires = Some(expires);
        Ok((
            Answer::Leased {
                count,
                threshold: rule.threshold,
                expires,
                renew_at: now.saturating_add(RENEW_SECS),
                renewed,
            },
            seen[at].clone(),
        ))
    }

    /// Puts `entry` into `product`'s machines, replacing the entry of the
    /// same machine (as first recorded): how the journal is replayed.
    pub fn upsert(&mut self, product: u16, entry: Seen) {
        let seen = self.products.entry(product).or_default();
        match seen.iter_mut().find(|s| s.machine == entry.machine) {
            Some(s) => *s = entry,
            None => seen.push(entry),
        }
    }

    /// Every entry, by product: what a compacted journal holds.
    pub fn entries(&self) -> impl Iterator<Item = (u16, &Seen)> {
        self.products
            .iter()
            .flat_map(|(p, seen)| seen.iter().map(move |s| (*p, s)))
    }

    /// Distinct machines of `product` seen in the window ending at `now`.
    pub fn count(&self, product: u16, now: i64) -> u32 {
        self.products.get(&product).map_or(0, |s| counted(s, now))
    }

    /// Per product: the count, current leases and the last request.
    pub fn status(&self, now: i64) -> Vec<ProductStatus> {
        self.products
            .iter()
            .map(|(product, seen)| ProductStatus {
                product: *product,
                count: counted(seen, now),
                leases: seen
                    .iter()
                    .filter(|s| s.lease_expires.is_some_and(|e| e > now))
                    .count() as u32,
                last_request: seen.iter().map(|s| s.last_seen).max(),
            })
            .collect()
    }
}

/// Machines seen in the window ending at `now`.
fn counted(seen: &[Seen], now: i64) -> u32 {
    seen.iter()
        .filter(|s| s.last_seen > now.saturating_sub(COUNT_WINDOW_SECS))
        .count() as u32
}

/// Drops machines neither seen in the window nor holding a lease.
fn forget_old(seen: &mut Vec<Seen>, now: i64) {
    seen.retain(|s| {
        s.last_seen > now.saturating_sub(COUNT_WINDOW_SECS)
            || s.lease_expires.is_some_and(|e| e > now)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000;
    const DESKTOP: Hosted = Hosted {
        product: 7,
        threshold: 25,
    };
    const SERVER: Hosted = Hosted {
        product: 9,
        threshold: 5,
    };

    fn ask(book: &mut Book, product: u16, n: u64, now: i64) -> Result<Answer, Refusal> {
        book.request(
            &Request {
                product,
                machine: HardwareHash::numbered(n),
                client_time: now,
            },
            &[DESKTOP, SERVER],
            now,
        )
    }

    #[test]
    fn thirty_desktops_the_first_24_are_told_the_count_and_all_are_activated_from_the_25th() {
        let mut book = Book::default();
        for n in 1..=24u64 {
            assert_eq!(
                ask(&mut book, 7, n, T0 + n as i64),
                Ok(Answer::Counting {
                    count: n as u32,
                    threshold: 25,
                    retry_at: T0 + n as i64 + RETRY_SECS
                })
            );
        }
        let Ok(Answer::Leased { count: 25, .. }) = ask(&mut book, 7, 25, T0 + 100) else {
            panic!("the 25th is activated");
        };
        // On their next try, the first 24 (and the rest) are activated too.
        for n in 1..=30u64 {
            let at = T0 + RETRY_SECS + n as i64;
            let Ok(Answer::Leased {
                expires, renew_at, ..
            }) = ask(&mut book, 7, n, at)
            else {
                panic!("machine {n}");
            };
            assert_eq!((expires, renew_at), (at + LEASE_SECS, at + RENEW_SECS));
        }
        assert_eq!(book.count(7, T0 + RETRY_SECS + 31), 30);
    }

    #[test]
    fn a_server_product_activates_at_5() {
        let mut book = Book::default();
        for n in 1..=4 {
            assert!(matches!(
                ask(&mut book, 9, n, T0),
                Ok(Answer::Counting { threshold: 5, .. })
            ));
        }
        assert!(matches!(
            ask(&mut book, 9, 5, T0),
            Ok(Answer::Leased { count: 5, .. })
        ));
        // Products count apart: the desktop product has seen nobody.
        assert_eq!(book.count(7, T0), 0);
    }

    #[test]
    fn the_same_machine_asking_again_or_a_clone_on_it_is_counted_once() {
        let mut book = Book::default();
        for _ in 0..30 {
            ask(&mut book, 9, 1, T0).unwrap();
        }
        assert_eq!(book.count(9, T0), 1);
    }

    #[test]
    fn a_renewal_starts_the_180_days_again_and_an_unrenewed_machine_leaves_the_count() {
        let mut book = Book::default();
        for n in 1..=5 {
            ask(&mut book, 9, n, T0).unwrap();
        }
        let Ok(Answer::Leased { renewed: false, .. }) = ask(&mut book, 9, 1, T0 + 1) else {
            panic!()
        };
        let later = T0 + RENEW_SECS;
        let Ok(Answer::Leased {
            renewed, expires, ..
        }) = ask(&mut book, 9, 1, later)
        else {
            panic!()
        };
        assert!(renewed);
        assert_eq!(expires, later + LEASE_SECS);
        // 31 days on, only machine 1 asked in the window: below 5 again.
        let month = later + 31 * DAY;
        assert!(matches!(
            ask(&mut book, 9, 1, month),
            Ok(Answer::Counting { count: 1, .. })
        ));
        // Machine 5's lease (it asked at the threshold) is still in the book;
        // 2 to 4 asked below it and never came back, so they hold none.
        assert_eq!(book.status(month)[0].leases, 2);
    }

    #[test]
    fn a_clock_more_than_4_hours_off_is_refused_and_nothing_is_counted() {
        let mut book = Book::default();
        let r = book.request(
            &Request {
                product: 9,
                machine: HardwareHash::numbered(1),
                client_time: T0 + MAX_SKEW_SECS + 1,
            },
            &[SERVER],
            T0,
        );
        let e = r.unwrap_err();
        assert!(e.to_string().contains("14401 s ahead"), "{e}");
        assert_eq!(book.count(9, T0), 0);
        let ok = book.request(
            &Request {
                product: 9,
                machine: HardwareHash::numbered(1),
                client_time: T0 - MAX_SKEW_SECS,
            },
            &[SERVER],
            T0,
        );
        assert!(ok.is_ok(), "4 hours exactly is accepted");
    }

    #[test]
    fn a_product_the_host_may_not_activate_is_refused() {
        let mut book = Book::default();
        assert_eq!(
            ask(&mut book, 8, 1, T0),
            Err(Refusal::NotHosted { product: 8 })
        );
        assert!(book.products.is_empty());
    }

    #[test]
    fn the_book_survives_a_round_trip_through_its_store() {
        let mut book = Book::default();
        for n in 1..=6 {
            ask(&mut book, 9, n, T0).unwrap();
        }
        let text = serde_json::to_string(&book).unwrap();
        let back: Book = serde_json::from_str(&text).unwrap();
        assert_eq!(back, book);
        assert_eq!(
            back.products[&9][0].machine(),
            Some(HardwareHash::numbered(1))
        );
    }
}
