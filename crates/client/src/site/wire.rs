//! The site protocol's messages, their signatures and their checks, with no
//! I/O: one JSON line from the client ([`Ask`]), one back ([`Reply`]).
//!
//! ```text
//! client → host   {"actline_site":1,"product":"notes","iid":"…","nonce":"<32 hex>","time":1800000000}
//! host → client   {"actline_site":1,"answer":{"verdict":{…},"host_time":…,"request":"<sha-256 hex>",
//!                  "host":{"product":"vault","iid":"…","cid":"…","public_key":"<hex>"},"signature":"<hex>"}}
//!            or   {"actline_site":1,"refused":"why, in one line"}
//! ```
//!
//! - The **request digest** is SHA-256 over a domain tag and the ask's
//!   fields (product, installation ID with the client's hardware digest,
//!   nonce, time), each length-prefixed. The host signs it with everything it
//!   answers, so an answer made for another request, another machine,
//!   product or time, or an old one played back, does not verify.
//! - The **host's credentials** are its own installation ID (host layout,
//!   carrying 76 bits of its public key's digest), the vendor's signed
//!   confirmation ID for it, and the public key: [`Credentials::verify`]
//!   checks them against the client's trust anchor, offline.
//! - Signatures are BLS12-381 (the confirmation IDs' ciphersuite, with a
//!   message tag of their own): the host's key signs answers the way the
//!   vendor's key signs confirmation IDs.
//! - A refusal is not signed: it grants nothing, so forging one only
//!   denies service, which a network attacker can do anyway.

use super::book::{Answer, LEASE_SECS, MAX_SKEW_SECS, RENEW_SECS, RETRY_SECS};

use crate::{ClientError, Trust};
use actline_formats::confirm::{self, DST};
use actline_formats::hex::{hex, unhex};
use actline_formats::ids::install::host_key_digest;
use actline_formats::ids::InstallationId;
use actline_formats::keys::KeyKind;
use serde::{Deserialize, Serialize};
use sha2::Digest;

/// The protocol version both sides speak.
pub const VERSION: u32 = 1;
/// The longest line either side reads, in bytes.
pub const MAX_LINE: usize = 16 * 1024;
const ANSWER_TAG: &[u8] = b"actline-site-answer-v1";
const ASK_TAG: &[u8] = b"actline-site-ask-v1";

/// Why a host's answer, credentials or lease are not accepted, or why the
/// host refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SiteError {
    /// The host said no (clock, product, threshold rules, its own state).
    #[error("the site host refused: {0}")]
    Refused(String),
    /// The host's product may not activate this product (trust anchor).
    #[error("{host} may not activate {product}: the product's trust data names no such site host (it names: {allowed})")]
    NotAuthorized {
        /// The host's product.
        host: String,
        /// The product asked for.
        product: String,
        /// The host products the trust data allows.
        allowed: String,
    },
    /// The host's credentials do not prove a vendor-authorized host.
    #[error("the site host is not authorized by the vendor: {0}")]
    NotVendorHost(String),
    /// The answer's signature, or what it is bound to, is wrong.
    #[error("the site host's answer does not verify: {0}")]
    BadAnswer(String),
    /// Network or framing trouble.
    #[error("{0}")]
    Net(String),
}

/// What a client sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ask {
    /// [`VERSION`].
    pub actline_site: u32,
    /// The product's name.
    pub product: String,
    /// The client's installation ID for it (normal layout), which carries
    /// its hardware digest.
    pub iid: String,
    /// 16 random bytes, hex.
    pub nonce: String,
    /// The client's clock, Unix seconds.
    pub time: i64,
}

impl Ask {
    /// The digest an answer is bound to.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = sha2::Sha256::new();
        h.update(ASK_TAG);
        for part in [
            self.product.as_bytes(),
            self.iid.as_bytes(),
            self.nonce.as_bytes(),
        ] {
            h.update((part.len() as u32).to_be_bytes());
            h.update(part);
        }
        h.update(self.time.to_be_bytes());
        h.finalize().into()
    }
}

/// The host's verdict, as sent and signed: the book's [`Answer`].
pub use super::book::Answer as Verdict;

impl Answer {
    /// The bytes the host's signature covers.
    fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(40);
        match *self {
            Verdict::Leased {
                count,
                threshold,
                expires,
                renew_at,
                renewed,
            } => {
                b.push(1);
                b.extend(count.to_be_bytes());
                b.extend(threshold.to_be_bytes());
                b.extend(expires.to_be_bytes());
                b.extend(renew_at.to_be_bytes());
                b.push(renewed as u8);
            }
            Verdict::Counting {
                count,
                threshold,
                retry_at,
            } => {
                b.push(2);
                b.extend(count.to_be_bytes());
                b.extend(threshold.to_be_bytes());
                b.extend(retry_at.to_be_bytes());
            }
        }
        b
    }
}

/// A site host's proof that the vendor authorized it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The host's product.
    pub product: String,
    /// The host's installation ID (host layout).
    pub iid: String,
    /// The vendor's confirmation ID for it.
    pub cid: String,
    /// The host's public key (96 bytes compressed, hex).
    pub public_key: String,
}

impl Credentials {
    fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        for part in [&self.product, &self.iid, &self.cid, &self.public_key] {
            b.extend((part.len() as u32).to_be_bytes());
            b.extend(part.as_bytes());
        }
        b
    }

    /// Checks, offline, that these are the credentials of a host the vendor
    /// authorized to activate `product`: the product's trust data names the
    /// host product; the host's installation ID is in the host layout and
    /// carries the digest of this public key; the vendor's confirmation ID
    /// verifies for it with the host product's public keys; and it was
    /// granted on a site-host key. Returns the host's public key.
    pub fn verify(
        &self,
        trust: &Trust,
        product: &str,
    ) -> Result<blst::min_sig::PublicKey, ClientError> {
        let tp = trust.product(product)?;
        let Some(host) = tp.site_hosts.get(&self.product) else {
            return Err(SiteError::NotAuthorized {
                host: self.product.clone(),
                product: product.to_string(),
                allowed: if tp.site_hosts.is_empty() {
                    "none".into()
                } else {
                    tp.site_hosts.keys().cloned().collect::<Vec<_>>().join(", ")
                },
            }
            .into());
        };
        let not = |why: &str| ClientError::from(SiteError::NotVendorHost(why.to_string()));
        let iid = InstallationId::parse(&self.iid)
            .map_err(|e| not(&format!("its installation ID is unreadable ({e})")))?;
        if iid.product != host.code {
            return Err(not("its installation ID is for another product"));
        }
        let pk_bytes = unhex(&self.public_key).ok_or_else(|| not("its public key is not hex"))?;
        if iid.host_key != Some(host_key_digest(&pk_bytes)) {
            return Err(not(
                "its public key is not the one its activation was granted for",
            ));
        }
        let verifier = crate::signed_verifier(&host.public_keys)?;
        let terms = confirm::verify(&self.cid, &iid, &verifier)
            .map_err(|e| not(&format!("its confirmation ID is not the vendor's ({e})")))?;
        if terms.kind != KeyKind::SiteHost {
            return Err(not(&format!(
                "it was activated with a {} key, not a site-host key",
                terms.kind.name()
            )));
        }
        blst::min_sig::PublicKey::key_validate(&pk_bytes)
            .map_err(|_| not("its public key is not a valid key"))
    }
}

/// A signed answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signed {
    /// The verdict.
    pub verdict: Verdict,
    /// The host's clock when it answered.
    pub host_time: i64,
    /// The request digest ([`Ask::digest`]), hex.
    pub request: String,
    /// Who answers.
    pub host: Credentials,
    /// The host's signature over all of the above (48 bytes, hex).
    pub signature: String,
}

fn message(verdict: &Verdict, host_time: i64, request: &[u8; 32], host: &Credentials) -> Vec<u8> {
    let mut m = ANSWER_TAG.to_vec();
    m.extend(request);
    m.extend(verdict.bytes());
    m.extend(host_time.to_be_bytes());
    m.extend(host.bytes());
    m
}

impl Signed {
    /// The host's answer to `ask`, signed with `key`.
    pub fn sign(
        key: &HostKey,
        ask: &Ask,
        verdict: Verdict,
        host_time: i64,
        host: Credentials,
    ) -> Self {
        let request = ask.digest();
        let sig = key
            .0
            .sign(&message(&verdict, host_time, &request, &host), DST, &[]);
        Signed {
            verdict,
            host_time,
            request: hex(&request),
            host,
            signature: hex(&sig.compress()),
        }
    }

    /// Checks this answer for `ask` and `product` against `trust`: the host
    /// is vendor-authorized for the product, the answer is bound to this very
    /// request, and the host signed it. `now` is the client's clock when it
    /// got the answer, or `None` when a stored lease is re-checked later.
    pub fn verify(&self, trust: &Trust, ask: &Ask, now: Option<i64>) -> Result<(), ClientError> {
        let pk = self.host.verify(trust, &ask.product)?;
        let bad = |why: &str| ClientError::from(SiteError::BadAnswer(why.to_string()));
        let request = ask.digest();
        if unhex(&self.request).as_deref() != Some(&request[..]) {
            return Err(bad(
                "it answers another request (played back, or meant for another machine, product or time)",
            ));
        }
        let sig = unhex(&self.signature)
            .and_then(|s| blst::min_sig::Signature::uncompress(&s).ok())
            .ok_or_else(|| bad("its signature is malformed"))?;
        let m = message(&self.verdict, self.host_time, &request, &self.host);
        if sig.verify(true, &m, DST, &[], &pk, true) != blst::BLST_ERROR::BLST_SUCCESS {
            return Err(bad(
                "the host's signature does not match (altered on the way?)",
            ));
        }
        // A lease no longer than 180 days, renewed within 7, from the
        // host's clock: what an authorized host that was modified could
        // stretch, a client does not take.
        let too_long = match self.verdict {
            Verdict::Leased {
                expires, renew_at, ..
            } => {
                expires > self.host_time.saturating_add(LEASE_SECS)
                    || renew_at > self.host_time.saturating_add(RENEW_SECS)
            }
            Verdict::Counting { retry_at, .. } => {
                retry_at > self.host_time.saturating_add(RETRY_SECS)
            }
        };
        if too_long {
            return Err(bad(
                "it gives longer than 180 days, or renewals later than 7 days",
            ));
        }
        if let Some(now) = now {
            if self.host_time.abs_diff(now) > MAX_SKEW_SECS as u64 {
                return Err(bad(&format!(
                    "the host's clock is {} s off this machine's, more than the 4 hours allowed",
                    self.host_time.abs_diff(now)
                )));
            }
        }
        Ok(())
    }
}

/// What a host sends back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// [`VERSION`].
    pub actline_site: u32,
    /// The signed answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Signed>,
    /// Or why the host refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

impl Reply {
    /// A refusal.
    pub fn refused(why: impl Into<String>) -> Self {
        Reply {
            actline_site: VERSION,
            answer: None,
            refused: Some(why.into()),
        }
    }
}

/// A site host's signing key (BLS12-381, like the vendor's).
pub struct HostKey(blst::min_sig::SecretKey);

impl HostKey {
    /// A new key from 32 bytes of fresh randomness.
    pub fn generate() -> Result<Self, ClientError> {
        let mut ikm = [0u8; 32];
        getrandom::fill(&mut ikm).map_err(|e| {
            ClientError::Setup(format!("cannot get randomness for the host key: {e}"))
        })?;
        blst::min_sig::SecretKey::key_gen(&ikm, &[])
            .map(Self)
            .map_err(|_| ClientError::Setup("cannot make a host key".into()))
    }

    /// The key from its 32 stored bytes.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        blst::min_sig::SecretKey::from_bytes(b).ok().map(Self)
    }

    /// The 32 bytes to store.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public key (96 bytes compressed).
    pub fn public(&self) -> Vec<u8> {
        self.0.sk_to_pk().compress().to_vec()
    }
}

/// 16 random bytes, hex: a request's nonce.
pub fn nonce() -> Result<String, ClientError> {
    let mut n = [0u8; 16];
    getrandom::fill(&mut n)
        .map_err(|e| ClientError::Setup(format!("cannot get randomness for a nonce: {e}")))?;
    Ok(hex(&n))
}
