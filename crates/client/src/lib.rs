//! The customer's side: making installation IDs, verifying confirmation IDs,
//! and keeping the activation state honest.
//!
//! The state lives in one JSON file, `STATE/state.json`, owner-only, with one
//! entry per product, so activating a second product on a machine leaves the
//! first one's activation alone. At every
//! [`Client::status`] the activation is re-verified from scratch: the stored
//! confirmation ID must verify against the stored installation ID with the
//! vendor's public key (or the product's secret), and this machine's
//! fingerprint must still match the installation ID's by the weighted vote.
//! A state directory copied to another machine fails the fingerprint; an
//! edited file fails the signature or the seal (an HMAC over the file that
//! catches casual edits such as moving the install date; it is not a
//! secret-backed protection, since the client's code is public). Unactivated
//! installs have a 30-day grace period, then notification mode.

#![deny(missing_docs)]

mod collect;
pub mod ffi;
pub mod files;
pub mod site;

pub use collect::collect;

use actline_formats::confirm::{self, ConfirmError, Profile, Terms, Verifier};
use actline_formats::fingerprint::{Components, FingerprintError};
use actline_formats::hex::{hex, unhex};
use actline_formats::ids::{IidError, InstallationId};
use actline_formats::keys::{KeyError, KeyKind, ProductKey};
use actline_formats::{days, ids, mac};
use files::write_private;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Reads a fingerprint posed in a JSON file (see
/// [`Components::from_json`]).
pub fn read_fingerprint(path: &Path) -> Result<Components, FingerprintError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| FingerprintError::Io {
        path: origin.clone(),
        source,
    })?;
    Components::from_json(&text, &origin)
}

/// Days an unactivated install runs before notification mode.
pub const GRACE_DAYS: u16 = 30;

/// What a client needs to verify confirmation IDs (the vendor's `trust.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Trust {
    /// Format version (1).
    pub format: u32,
    /// Salt for hashing fingerprints (hex).
    pub fingerprint_salt: String,
    /// Products by name.
    pub products: BTreeMap<String, TrustedProduct>,
}

/// One product's verification material.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrustedProduct {
    /// Catalog code.
    pub code: u16,
    /// Confirmation profile.
    pub profile: Profile,
    /// The vendor's first public key (hex), number 0, for signed products
    /// (what trust files from before key rotation carry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// Every vendor public key (hex) by number (written out in decimal:
    /// JSON keys are text), for signed products: a confirmation ID names
    /// the one that signed it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub public_keys: BTreeMap<String, String>,
    /// Verification secret (hex), for compact products.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Setup-key secret (hex): lets setup keys be checked offline.
    pub setup_secret: String,
    /// The site host products the vendor lets activate this product, by
    /// name: what a client checks a host's credentials against.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub site_hosts: BTreeMap<String, SiteHostTrust>,
    /// For a host product: the products it may activate as a site host, by
    /// name, with their thresholds.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hosts: BTreeMap<String, HostedTrust>,
}

/// A site host product a client may take a lease from.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SiteHostTrust {
    /// The host product's catalog code.
    pub code: u16,
    /// The vendor's public keys (hex) by number, that sign the host
    /// product's confirmation IDs.
    pub public_keys: BTreeMap<String, String>,
}

/// A product a host may activate.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HostedTrust {
    /// The product's catalog code.
    pub code: u16,
    /// Distinct machines the host must count before it activates any.
    pub threshold: u32,
}

/// Client errors. [`ClientError::is_verification_failure`] tells failed
/// verification from bad input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A file problem.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The product is not in the trust file.
    #[error("product {0:?} is not in the trust file (known: {1})")]
    UnknownProduct(String, String),
    /// The product key as typed is wrong.
    #[error("product key: {0}")]
    Key(#[from] KeyError),
    /// The confirmation ID as typed or verified.
    #[error("{0}")]
    Confirm(#[from] ConfirmError),
    /// A stored installation ID is unreadable.
    #[error("stored installation ID: {0}")]
    Iid(#[from] IidError),
    /// No installation ID was made yet.
    #[error("no installation ID yet: run `actline client iid --key KEY --product PRODUCT` first")]
    NoPending,
    /// A setup key was given where activation is needed, or is not genuine.
    #[error("{0}")]
    Setup(String),
    /// The activation was ended by a failed check.
    #[error("{0}")]
    Ended(String),
    /// A new installation ID was asked for while the activation still holds.
    #[error("{0}")]
    AlreadyActivated(String),
    /// Several products have state here and none was named.
    #[error("several products have state in this directory ({0}): name one with --product")]
    WhichProduct(String),
    /// Site activation: a host refused, or its answer or credentials do not
    /// verify, or the network failed.
    #[error("{0}")]
    Site(#[from] site::SiteError),
    /// Nothing that identifies this machine could be read.
    #[error("this machine reports no identifying hardware (machine-id, board serial, disk serial, network adapter, root volume): an installation ID made here would match no machine")]
    NoHardware,
}

impl ClientError {
    /// Whether the error is a failed verification (a confirmation ID that
    /// does not verify, an activation that ended) rather than bad input.
    pub fn is_verification_failure(&self) -> bool {
        matches!(
            self,
            ClientError::Confirm(ConfirmError::Invalid | ConfirmError::UnknownKey(_))
                | ClientError::Ended(_)
                | ClientError::Site(
                    site::SiteError::NotVendorHost(_)
                        | site::SiteError::BadAnswer(_)
                        | site::SiteError::NotAuthorized { .. }
                )
        )
    }
}

/// The state file: one [`State`] per product (format 2). A format 1 file,
/// which held a single product's state, reads as a file with that entry.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct StateFile {
    format: u32,
    products: BTreeMap<String, State>,
}

/// One product's stored state.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct State {
    format: u32,
    product: String,
    product_code: u16,
    key: String,
    installed_day: u16,
    installation_id: Option<String>,
    #[serde(default)]
    unlocked_by_setup_key: bool,
    activation: Option<Stored>,
    /// Site activation: the lease and the latest answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    site: Option<site::lease::SiteState>,
    #[serde(default)]
    seal: String,
}

impl State {
    /// A product's state with nothing made yet: no installation ID, no
    /// activation, no lease.
    fn new(product: &str, product_code: u16, key: &ProductKey, installed_day: u16) -> Self {
        State {
            format: 1,
            product: product.to_string(),
            product_code,
            key: key.to_string(),
            installed_day,
            installation_id: None,
            unlocked_by_setup_key: false,
            activation: None,
            site: None,
            seal: String::new(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Stored {
    installation_id: String,
    confirmation_id: String,
    activated_day: u16,
}

/// Where an install stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Status {
    /// Activated, and the activation verifies on this machine.
    Activated {
        /// Product name.
        product: String,
        /// Day of activation (YYYY-MM-DD).
        since: String,
        /// Which identity components still match, and their weight.
        matching: String,
    },
    /// Activated by a site host's lease, which verifies on this machine.
    Leased {
        /// Product name.
        product: String,
        /// The host's address.
        host: String,
        /// When the lease ends unless renewed (YYYY-MM-DD).
        expires: String,
        /// Whether its weekly renewal is due.
        renew_due: bool,
        /// Which identity components still match, and their weight.
        matching: String,
    },
    /// Unlocked by a setup key: no activation needed.
    Unlocked {
        /// Product name.
        product: String,
    },
    /// Not activated, within the grace period.
    Grace {
        /// Product name.
        product: String,
        /// Days left.
        days_left: u16,
        /// Why an earlier activation no longer counts, if one was ended.
        ended: Option<String>,
    },
    /// Not activated and the grace period is over.
    Notification {
        /// Product name.
        product: String,
        /// Why an earlier activation no longer counts, if one was ended.
        ended: Option<String>,
    },
}

impl Status {
    /// One line for people.
    pub fn describe(&self) -> String {
        match self {
            Status::Activated { product, since, matching } => {
                format!("{product}: activated since {since} (this machine: {matching})")
            }
            Status::Leased { product, host, expires, renew_due, matching } => format!(
                "{product}: activated by the site host {host} until {expires}{} (this machine: {matching})",
                if *renew_due { ", renewal due" } else { "" }
            ),
            Status::Unlocked { product } => format!("{product}: unlocked by a setup key (no activation needed)"),
            Status::Grace { product, days_left, ended } => format!(
                "{}{product}: not activated — grace period, {days_left} days left",
                ended.as_ref().map(|e| format!("activation ended: {e}\n")).unwrap_or_default()
            ),
            Status::Notification { product, ended } => format!(
                "{}{product}: not activated — grace period over: notification mode (activate to stop the reminders)",
                ended.as_ref().map(|e| format!("activation ended: {e}\n")).unwrap_or_default()
            ),
        }
    }

    /// The activation was ended by a failed check.
    pub fn ended(&self) -> Option<&str> {
        match self {
            Status::Grace { ended, .. } | Status::Notification { ended, .. } => ended.as_deref(),
            _ => None,
        }
    }
}

impl Trust {
    /// Loads a trust file.
    pub fn load(path: &Path) -> Result<Self, ClientError> {
        let text = std::fs::read_to_string(path).map_err(|e| ClientError::File {
            path: path.into(),
            message: e.to_string(),
        })?;
        Self::from_json(&text, path)
    }

    /// Reads trust data the product carries itself (compiled in, so that
    /// swapping a file on disk cannot change what verifies); `origin` names
    /// it in errors.
    pub fn from_json(text: &str, origin: &Path) -> Result<Self, ClientError> {
        serde_json::from_str(text).map_err(|e| ClientError::File {
            path: origin.into(),
            message: format!("not a trust file: {e}"),
        })
    }

    /// The salt bytes.
    pub fn salt(&self) -> Vec<u8> {
        unhex(&self.fingerprint_salt).unwrap_or_default()
    }

    /// A product by name.
    pub fn product(&self, name: &str) -> Result<&TrustedProduct, ClientError> {
        self.products.get(name).ok_or_else(|| {
            ClientError::UnknownProduct(
                name.to_string(),
                self.products.keys().cloned().collect::<Vec<_>>().join(", "),
            )
        })
    }

    /// The verifier for a product.
    pub fn verifier(&self, p: &TrustedProduct) -> Result<Verifier, ConfirmError> {
        match p.profile {
            Profile::Signed => {
                let mut keys = public_keys(&p.public_keys)?;
                if let Some(k) = &p.public_key {
                    let k = unhex(k).ok_or(ConfirmError::BadTrust)?;
                    if keys.get(&0).is_some_and(|same| *same != k) {
                        return Err(ConfirmError::BadTrust);
                    }
                    keys.insert(0, k);
                }
                Verifier::signed_keys(keys.iter().map(|(n, k)| (*n, k.as_slice())))
            }
            Profile::Compact => Ok(Verifier::Compact(
                p.secret
                    .as_deref()
                    .and_then(unhex)
                    .ok_or(ConfirmError::BadTrust)?,
            )),
        }
    }
}

/// The vendor's public keys as trust files carry them (hex, by number
/// written in decimal), read.
fn public_keys(hexed: &BTreeMap<String, String>) -> Result<BTreeMap<u8, Vec<u8>>, ConfirmError> {
    hexed
        .iter()
        .map(|(n, k)| Some((n.parse::<u8>().ok()?, unhex(k)?)))
        .collect::<Option<BTreeMap<u8, Vec<u8>>>>()
        .ok_or(ConfirmError::BadTrust)
}

/// A signed-profile verifier for the public keys a trust file carries.
pub(crate) fn signed_verifier(hexed: &BTreeMap<String, String>) -> Result<Verifier, ConfirmError> {
    let keys = public_keys(hexed)?;
    Verifier::signed_keys(keys.iter().map(|(n, k)| (*n, k.as_slice())))
}

/// A client install: a state directory and the vendor's trust file.
pub struct Client {
    dir: PathBuf,
    trust: Trust,
    product: Option<String>,
}

impl Client {
    /// The client at `dir` with `trust`.
    pub fn new(dir: impl Into<PathBuf>, trust: Trust) -> Self {
        Self {
            dir: dir.into(),
            trust,
            product: None,
        }
    }

    /// Which product [`confirm`](Self::confirm) and [`status`](Self::status)
    /// work on. Without one they take the only product with state here, and
    /// refuse to guess when there are several.
    pub fn with_product(mut self, product: Option<String>) -> Self {
        self.product = product;
        self
    }

    /// The trust data this client verifies with.
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// The product `product` names, or the only one with state here.
    pub fn product_here(&self, product: Option<String>) -> Result<String, ClientError> {
        let file = self.load()?.unwrap_or_default();
        Client {
            dir: self.dir.clone(),
            trust: self.trust.clone(),
            product,
        }
        .pick(&file)
    }

    fn pick(&self, file: &StateFile) -> Result<String, ClientError> {
        if let Some(p) = &self.product {
            return if file.products.contains_key(p) {
                Ok(p.clone())
            } else {
                Err(ClientError::NoPending)
            };
        }
        match file.products.len() {
            0 => Err(ClientError::NoPending),
            1 => Ok(file.products.keys().next().cloned().unwrap_or_default()),
            _ => Err(ClientError::WhichProduct(
                file.products.keys().cloned().collect::<Vec<_>>().join(", "),
            )),
        }
    }

    fn load_one(&self) -> Result<(StateFile, String, State), ClientError> {
        let file = self.load()?.unwrap_or_default();
        let name = self.pick(&file)?;
        let state = file
            .products
            .get(&name)
            .cloned()
            .ok_or(ClientError::NoPending)?;
        Ok((file, name, state))
    }

    /// The per-user default state directory.
    pub fn default_dir() -> PathBuf {
        if let Some(x) = std::env::var_os("XDG_STATE_HOME").filter(|x| !x.is_empty()) {
            return PathBuf::from(x).join("actline-client");
        }
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        home.join(".local/state/actline-client")
    }

    fn path(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    fn seal_of(&self, s: &State) -> String {
        let mut unsealed = s.clone();
        unsealed.seal.clear();
        let json = serde_json::to_string(&unsealed).unwrap_or_default();
        hex(&mac::hmac(
            &self.trust.salt(),
            &[b"actline-client-state-v1", json.as_bytes()],
        ))
    }

    fn load(&self) -> Result<Option<StateFile>, ClientError> {
        let path = self.path();
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|e| ClientError::File {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let corrupt = |e: serde_json::Error| ClientError::File {
            path: path.clone(),
            message: format!("corrupt state file ({e}); nothing was changed"),
        };
        let value: serde_json::Value = serde_json::from_str(&text).map_err(corrupt)?;
        if value.get("format").and_then(|f| f.as_u64()) == Some(1) {
            let one: State = serde_json::from_value(value).map_err(corrupt)?;
            let mut file = StateFile {
                format: 2,
                products: BTreeMap::new(),
            };
            file.products.insert(one.product.clone(), one);
            return Ok(Some(file));
        }
        Ok(Some(serde_json::from_value(value).map_err(corrupt)?))
    }

    /// Stores `s` as its product's entry, resealed, keeping every other
    /// product's entry as it was.
    fn save(&self, mut file: StateFile, mut s: State) -> Result<(), ClientError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| ClientError::File {
            path: self.dir.clone(),
            message: e.to_string(),
        })?;
        s.seal = self.seal_of(&s);
        file.format = 2;
        file.products.insert(s.product.clone(), s);
        let json = serde_json::to_string_pretty(&file).unwrap_or_default();
        write_private(&self.path(), json.as_bytes()).map_err(|e| ClientError::File {
            path: self.path(),
            message: e.to_string(),
        })
    }

    /// Makes (and remembers) the installation ID for `key` and `product` on
    /// the machine described by `machine`, dated `today`. A setup key instead
    /// unlocks the product, checked offline, and returns `None`.
    pub fn make_iid(
        &self,
        key: &str,
        product: &str,
        machine: &Components,
        today: u16,
    ) -> Result<Option<InstallationId>, ClientError> {
        let tp = self.trust.product(product)?.clone();
        let key = ProductKey::parse(key)?;
        let file = self.load()?.unwrap_or_default();
        let prev = file.products.get(product);
        if let Some(s) = prev.filter(|s| s.activation.is_some() || s.site.is_some()) {
            match self.judge(product.to_string(), s, machine, today)? {
                Status::Activated { since, .. } => {
                    return Err(ClientError::AlreadyActivated(format!(
                        "{product} is already activated on this machine (since {since}); a new installation ID is only needed once `status` says the activation ended"
                    )))
                }
                Status::Leased { host, expires, .. } => {
                    return Err(ClientError::AlreadyActivated(format!(
                        "{product} is activated on this machine by the site host {host} until {expires}; a new installation ID is only needed once `status` says the lease ended"
                    )))
                }
                _ => {}
            }
        }
        let installed_day = self.installed_day(prev, today);
        let mut state = State::new(product, tp.code, &key, installed_day);
        if key.kind() == KeyKind::Setup {
            if !key.is_authentic(&unhex(&tp.setup_secret).unwrap_or_default()) {
                return Err(ClientError::Setup(format!(
                    "this setup key is not a genuine setup key for {product}"
                )));
            }
            state.unlocked_by_setup_key = true;
            self.save(file, state)?;
            return Ok(None);
        }
        let hw = machine.hash(&self.trust.salt(), key.serial());
        if hw.is_empty() {
            return Err(ClientError::NoHardware);
        }
        // A site-host key makes a host's ID, which carries its key's digest.
        let iid = if key.kind() == KeyKind::SiteHost {
            let host_key = site::host::key_for(&self.dir)?;
            InstallationId::new_host(tp.code, &key, hw, today, &host_key.public())
        } else {
            InstallationId::new(tp.code, &key, hw, today)
        };
        state.installation_id = Some(iid.to_string());
        self.save(file, state)?;
        Ok(Some(iid))
    }

    /// The install day a new state of a product keeps: a new installation
    /// ID never restarts the grace period, so the earliest install day on
    /// record stays, and a state that was tampered with (bad seal, install
    /// day in the future) ends it.
    fn installed_day(&self, prev: Option<&State>, today: u16) -> u16 {
        match prev {
            None => today,
            Some(s) if self.seal_of(s) == s.seal && s.installed_day <= today.saturating_add(1) => {
                s.installed_day.min(today)
            }
            Some(_) => today.saturating_sub(GRACE_DAYS),
        }
    }

    /// Verifies a typed confirmation ID against the remembered installation
    /// ID and this machine, and stores the activation.
    pub fn confirm(
        &self,
        typed: &str,
        machine: &Components,
        today: u16,
    ) -> Result<Terms, ClientError> {
        let (file, _, mut state) = self.load_one()?;
        let iid_text = state
            .installation_id
            .clone()
            .ok_or(ClientError::NoPending)?;
        let iid = InstallationId::parse(&iid_text)?;
        let tp = self.trust.product(&state.product)?;
        let terms = confirm::verify(typed, &iid, &self.trust.verifier(tp)?)?;
        let sim = machine
            .hash(&self.trust.salt(), iid.key_serial)
            .compare(&iid.hardware);
        if !sim.same_machine() {
            return Err(ClientError::Ended(format!(
                "this machine does not match the installation ID ({})",
                sim.describe()
            )));
        }
        let cid = ids::groups::join_groups(
            &tp.profile
                .layout()
                .split(typed)
                .map_err(ConfirmError::Typed)?,
            "-",
        );
        state.activation = Some(Stored {
            installation_id: iid_text,
            confirmation_id: cid,
            activated_day: today,
        });
        self.save(file, state)?;
        Ok(terms)
    }

    /// Re-verifies everything and says where the install stands.
    pub fn status(&self, machine: &Components, today: u16) -> Result<Status, ClientError> {
        let (_, product, state) = self.load_one()?;
        self.judge(product, &state, machine, today)
    }

    /// Where one product's stored state stands on `machine` today.
    fn judge(
        &self,
        product: String,
        state: &State,
        machine: &Components,
        today: u16,
    ) -> Result<Status, ClientError> {
        let grace_left =
            (state.installed_day as u32 + GRACE_DAYS as u32).saturating_sub(today as u32) as u16;
        let unactivated = |ended: Option<String>| {
            if grace_left > 0 {
                Status::Grace {
                    product: product.clone(),
                    days_left: grace_left,
                    ended,
                }
            } else {
                Status::Notification {
                    product: product.clone(),
                    ended,
                }
            }
        };
        if self.seal_of(state) != state.seal {
            return Ok(Status::Notification {
                product: product.clone(),
                ended: Some("the state file was modified outside actline".into()),
            });
        }
        if state.installed_day > today.saturating_add(1) {
            return Ok(Status::Notification {
                product: product.clone(),
                ended: Some(format!(
                    "the install date {} lies in the future: the clock was set back or forward",
                    days::format(state.installed_day)
                )),
            });
        }
        if state.unlocked_by_setup_key {
            let tp = self.trust.product(&state.product)?;
            let genuine = ProductKey::parse(&state.key)
                .map(|k| {
                    k.kind() == KeyKind::Setup
                        && k.is_authentic(&unhex(&tp.setup_secret).unwrap_or_default())
                })
                .unwrap_or(false);
            if genuine {
                return Ok(Status::Unlocked { product });
            }
            return Ok(Status::Notification {
                product,
                ended: Some("the stored setup key is not genuine".into()),
            });
        }
        let Some(act) = &state.activation else {
            let now = site::day_start(today) + site::now().rem_euclid(site::book::DAY);
            return Ok(match self.judge_lease(&product, state, machine, now) {
                None => unactivated(None),
                Some(Ok(leased)) => leased,
                Some(Err(ended)) => unactivated(Some(ended)),
            });
        };
        let tp = self.trust.product(&state.product)?;
        let iid = match InstallationId::parse(&act.installation_id) {
            Ok(i) if i.product == tp.code => i,
            _ => {
                return Ok(unactivated(Some(
                    "the stored installation ID is damaged".into(),
                )))
            }
        };
        let key_ok = ProductKey::parse(&state.key)
            .map(|k| iid.proves(&k))
            .unwrap_or(false);
        if !key_ok {
            return Ok(unactivated(Some(
                "the stored product key does not match the activation".into(),
            )));
        }
        if let Err(e) = confirm::verify(&act.confirmation_id, &iid, &self.trust.verifier(tp)?) {
            return Ok(unactivated(Some(format!(
                "the stored confirmation ID no longer verifies ({e})"
            ))));
        }
        let sim = machine
            .hash(&self.trust.salt(), iid.key_serial)
            .compare(&iid.hardware);
        if !sim.same_machine() {
            return Ok(unactivated(Some(format!(
                "the hardware changed beyond tolerance ({}) or the state was copied from another machine — reactivate by phone",
                sim.describe()
            ))));
        }
        Ok(Status::Activated {
            product,
            since: days::format(act.activated_day),
            matching: sim.describe(),
        })
    }
}
