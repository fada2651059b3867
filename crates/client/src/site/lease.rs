//! The client's side of site activation: ask a host, check its answer, keep
//! the lease, and re-check the lease offline at every status.
//!
//! A lease counts only while all of this holds, checked from scratch each
//! time: the host's credentials prove a vendor-authorized host for the
//! product (trust anchor), the host signed the answer, the answer is bound
//! to the stored request, the request's installation ID is this product's
//! on this machine (hardware rule), and the lease has not run out. A lease
//! that runs out ends in the grace and notification behaviour, saying so.

use super::book::{RENEW_SECS, RETRY_SECS};
use super::net;
use super::wire::{nonce, Ask, Signed, SiteError, Verdict, VERSION};
use crate::{Client, ClientError, State, Status};
use actline_formats::days;
use actline_formats::fingerprint::Components;
use actline_formats::ids::InstallationId;
use actline_formats::keys::{KeyKind, ProductKey};
use serde::{Deserialize, Serialize};

/// What a product's state keeps of site activation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteState {
    /// The host's address as given.
    pub host: String,
    /// The request and signed answer of the current lease, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<LeaseProof>,
    /// The latest verdict, whatever it was.
    pub last: Verdict,
    /// When it came (this machine's clock).
    pub last_at: i64,
}

/// A lease and the proof of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseProof {
    /// The request.
    pub ask: Ask,
    /// The host's signed answer to it.
    pub answer: Signed,
}

/// What a `site activate` call came to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum SiteOutcome {
    /// Activated until `expires`.
    Leased {
        /// Product.
        product: String,
        /// Distinct machines the host counts.
        count: u32,
        /// The threshold.
        threshold: u32,
        /// Lease end (YYYY-MM-DD).
        expires: String,
        /// Next renewal (Unix seconds).
        renew_at: i64,
        /// A current lease was renewed.
        renewed: bool,
    },
    /// Counted, below the threshold.
    Counting {
        /// Product.
        product: String,
        /// Distinct machines the host counts.
        count: u32,
        /// The threshold.
        threshold: u32,
        /// When to ask again (Unix seconds).
        retry_at: i64,
    },
}

impl SiteOutcome {
    /// One line for people.
    pub fn describe(&self) -> String {
        match self {
            SiteOutcome::Leased { product, count, threshold, expires, renewed, .. } => format!(
                "{product}: {} by the site host until {expires} ({count} machines counted, threshold {threshold}); renews every 7 days",
                if *renewed { "lease renewed" } else { "activated" }
            ),
            SiteOutcome::Counting { product, count, threshold, .. } => format!(
                "{product}: not activated yet: the site host counts {count} of {threshold} machines; it activates none below {threshold}, try again in 2 hours"
            ),
        }
    }
}

/// The client's own view for `site status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientSiteStatus {
    /// Product.
    pub product: String,
    /// Host address.
    pub host: String,
    /// Days the lease has left, a part day counted whole (0 when none holds).
    pub lease_days_left: u32,
    /// The lease's end, if one holds (YYYY-MM-DD).
    pub lease_expires: Option<String>,
    /// When the lease was last renewed (YYYY-MM-DD).
    pub last_renewal: Option<String>,
    /// The host's count at the last answer, and its threshold.
    pub count: u32,
    /// The threshold.
    pub threshold: u32,
    /// When the next request is due (Unix seconds).
    pub due_at: i64,
}

impl Client {
    /// Asks the site host at `host` (`name:port`) to activate `product` on
    /// `machine` (with `key`, or the key stored for it), checks the answer,
    /// and keeps the lease. A renewal is the same call.
    pub fn site_activate(
        &self,
        host: &str,
        product: &str,
        key: Option<&str>,
        machine: &Components,
        now: i64,
    ) -> Result<SiteOutcome, ClientError> {
        let tp = self.trust.product(product)?.clone();
        if tp.site_hosts.is_empty() {
            return Err(ClientError::Setup(format!(
                "no site host may activate {product}: its trust data names none"
            )));
        }
        let today = super::day_of(now);
        let file = self.load()?.unwrap_or_default();
        let prev = file.products.get(product).cloned();
        if let Some(s) = prev.as_ref().filter(|s| s.activation.is_some()) {
            if let Status::Activated { since, .. } =
                self.judge(product.to_string(), s, machine, today)?
            {
                return Err(ClientError::AlreadyActivated(format!(
                    "{product} is already activated on this machine by phone (since {since}); it needs no site host"
                )));
            }
        }
        let key = match (key, &prev) {
            (Some(k), _) => ProductKey::parse(k)?,
            (None, Some(s)) => ProductKey::parse(&s.key)?,
            (None, None) => {
                return Err(ClientError::Setup(format!(
                    "no product key for {product} yet: give it with --key the first time"
                )))
            }
        };
        if matches!(
            key.kind(),
            KeyKind::Setup | KeyKind::SiteHost | KeyKind::Retail
        ) {
            return Err(ClientError::Setup(format!(
                "a {} key is not activated by a site host: use {product}'s volume key",
                key.kind().name()
            )));
        }
        let port_ok = host.rsplit_once(':').is_some_and(|(name, port)| {
            !name.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0)
        });
        if !port_ok {
            return Err(ClientError::Setup(format!(
                "--host {host:?}: expected the host's name and port, e.g. sitehost:7788"
            )));
        }
        let hw = machine.hash(&self.trust.salt(), key.serial());
        if hw.is_empty() {
            return Err(ClientError::NoHardware);
        }
        let iid = InstallationId::new(tp.code, &key, hw, today);
        let ask = Ask {
            actline_site: VERSION,
            product: product.to_string(),
            iid: iid.to_string(),
            nonce: nonce()?,
            time: now,
        };
        let reply = net::ask(host, &ask)?;
        if let Some(why) = reply.refused {
            return Err(SiteError::Refused(why).into());
        }
        let answer = reply.answer.ok_or_else(|| {
            SiteError::BadAnswer("the host sent neither an answer nor a refusal".into())
        })?;
        answer.verify(&self.trust, &ask, Some(now))?;
        let installed_day = self.installed_day(prev.as_ref(), today);
        let mut state = prev
            .clone()
            .unwrap_or_else(|| State::new(product, tp.code, &key, installed_day));
        state.installed_day = installed_day;
        // A counting answer leaves a lease that still holds in place, with
        // the key, installation ID and host it depends on.
        let holding = matches!(
            self.judge(product.to_string(), &state, machine, today)?,
            Status::Leased { .. }
        );
        let leased = matches!(answer.verdict, Verdict::Leased { .. });
        let previous = state.site.take();
        let kept = previous
            .as_ref()
            .and_then(|s| s.lease.clone())
            .filter(|_| holding);
        let kept_host = previous.map(|s| s.host).filter(|_| holding);
        if leased || !holding {
            state.key = key.to_string();
            state.installation_id = Some(ask.iid.clone());
        }
        state.unlocked_by_setup_key = false;
        state.activation = None;
        let verdict = answer.verdict;
        let outcome = match verdict {
            Verdict::Leased {
                count,
                threshold,
                expires,
                renew_at,
                renewed,
            } => {
                state.site = Some(SiteState {
                    host: host.to_string(),
                    lease: Some(LeaseProof { ask, answer }),
                    last: verdict,
                    last_at: now,
                });
                SiteOutcome::Leased {
                    product: product.to_string(),
                    count,
                    threshold,
                    expires: days::format(super::day_of(expires)),
                    renew_at,
                    renewed,
                }
            }
            Verdict::Counting {
                count,
                threshold,
                retry_at,
            } => {
                state.site = Some(SiteState {
                    host: kept_host.unwrap_or_else(|| host.to_string()),
                    lease: kept,
                    last: verdict,
                    last_at: now,
                });
                SiteOutcome::Counting {
                    product: product.to_string(),
                    count,
                    threshold,
                    retry_at,
                }
            }
        };
        self.save(file, state)?;
        Ok(outcome)
    }

    /// Whether `product`'s site lease is due for renewal (or, unactivated,
    /// its retry) at `now`, and the host to ask: what the client library's
    /// own renewal checks.
    pub fn site_due(&self, product: &str, now: i64) -> Result<Option<String>, ClientError> {
        let file = self.load()?.unwrap_or_default();
        let Some(site) = file.products.get(product).and_then(|s| s.site.clone()) else {
            return Ok(None);
        };
        Ok((now >= due_at(&site)).then_some(site.host))
    }

    /// The client's view of its site activation of `product` on
    /// `machine`: the lease counts only when it verifies, as for
    /// [`status`](Client::status).
    pub fn site_status(
        &self,
        machine: &Components,
        now: i64,
    ) -> Result<ClientSiteStatus, ClientError> {
        let (_, product, state) = self.load_one()?;
        let holds = matches!(
            self.judge(product.clone(), &state, machine, super::day_of(now))?,
            Status::Leased { .. }
        );
        let site = state.site.clone().ok_or_else(|| {
            ClientError::Setup(format!(
                "{product} was never activated by a site host here (`actline client site activate --host HOST:PORT --product {product} --key KEY`)"
            ))
        })?;
        let (count, threshold) = match site.last {
            Verdict::Leased {
                count, threshold, ..
            }
            | Verdict::Counting {
                count, threshold, ..
            } => (count, threshold),
        };
        let lease = site
            .lease
            .as_ref()
            .filter(|_| holds)
            .and_then(|l| match l.answer.verdict {
                Verdict::Leased { expires, .. } if expires > now => {
                    Some((expires, l.answer.host_time))
                }
                _ => None,
            });
        Ok(ClientSiteStatus {
            product,
            host: site.host.clone(),
            lease_days_left: lease.map_or(0, |(e, _)| {
                (e.saturating_sub(now).saturating_add(super::book::DAY - 1) / super::book::DAY)
                    .clamp(0, u32::MAX as i64) as u32
            }),
            lease_expires: lease.map(|(e, _)| days::format(super::day_of(e))),
            last_renewal: lease.map(|(_, t)| days::format(super::day_of(t))),
            count,
            threshold,
            due_at: due_at(&site),
        })
    }

    /// The status a site lease gives `state` at `now`, or why it does not
    /// hold; `None` when the product has no lease.
    pub(crate) fn judge_lease(
        &self,
        product: &str,
        state: &State,
        machine: &Components,
        now: i64,
    ) -> Option<Result<Status, String>> {
        let site = state.site.as_ref()?;
        let proof = site.lease.as_ref()?;
        Some(self.check_lease(product, state, site, proof, machine, now))
    }

    fn check_lease(
        &self,
        product: &str,
        state: &State,
        site: &SiteState,
        proof: &LeaseProof,
        machine: &Components,
        now: i64,
    ) -> Result<Status, String> {
        if proof.ask.product != product {
            return Err("the stored site lease is for another product".into());
        }
        proof
            .answer
            .verify(&self.trust, &proof.ask, None)
            .map_err(|e| format!("the stored site lease no longer verifies ({e})"))?;
        let Verdict::Leased {
            expires, renew_at, ..
        } = proof.answer.verdict
        else {
            return Err("the stored site answer is not a lease".into());
        };
        let iid = InstallationId::parse(&proof.ask.iid)
            .map_err(|_| "the stored site lease's installation ID is damaged".to_string())?;
        let key_ok = ProductKey::parse(&state.key)
            .map(|k| iid.proves(&k))
            .unwrap_or(false);
        if !key_ok {
            return Err("the stored product key does not match the site lease".into());
        }
        let sim = machine
            .hash(&self.trust.salt(), iid.key_serial)
            .compare(&iid.hardware);
        if !sim.same_machine() {
            return Err(format!(
                "the hardware changed beyond tolerance ({}) or the state was copied from another machine — activate again at the site host",
                sim.describe()
            ));
        }
        if now >= expires {
            return Err(format!(
                "the site lease from {} ran out on {} (180 days without a renewal): run `actline client site activate --host {} --product {product}` when the host can be reached",
                site.host,
                days::format(super::day_of(expires)),
                site.host
            ));
        }
        Ok(Status::Leased {
            product: product.to_string(),
            host: site.host.clone(),
            expires: days::format(super::day_of(expires)),
            renew_due: now >= renew_at,
            matching: sim.describe(),
        })
    }
}

/// When the next request is due: the lease's renewal, or the retry.
fn due_at(site: &SiteState) -> i64 {
    match site.last {
        Verdict::Leased { renew_at, .. } => renew_at,
        Verdict::Counting { retry_at, .. } => retry_at,
    }
    .min(site.last_at.saturating_add(RENEW_SECS.max(RETRY_SECS)))
}
