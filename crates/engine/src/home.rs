//! The vendor's home directory: the ledger, the secrets and the trust file.
//!
//! ```text
//! HOME/ledger.db          the ledger (SQLite, WAL)
//! HOME/secrets/master.key 32 random bytes (hex): key authenticators, compact-profile and setup secrets derive from it
//! HOME/secrets/signing.key the first BLS12-381 private key, number 0 (hex; gone once retired)
//! HOME/secrets/signing-N.key the private key number N, made by `signing-key new` (hex)
//! HOME/secrets/signing.json which key signs, and every key's public half, retired ones too
//! HOME/secrets/audit.anchor where the ledger's keyed audit chain begins (JSON; not secret)
//! HOME/secrets/ledger.url the PostgreSQL ledger's URL, when the ledger is on a database server (it may hold a password)
//! HOME/trust.json         every product's verification material: vendor-only
//! ```
//!
//! `HOME/trust.json` holds every compact product's verification secret and
//! every product's setup secret, so whoever has it can make confirmation IDs
//! for every compact product and setup keys for every product. It stays with
//! the vendor. Clients get [`Home::export_trust`]'s file for their product
//! (`actline trust export --product P --out FILE`), which has the same format
//! with only that product in it.
//!
//! Secret files are created owner-only (0600) in an owner-only directory
//! (0700), and are refused when anyone else can read them.

use crate::client::{HostedTrust, SiteHostTrust, Trust, TrustedProduct};
use crate::confirm::{self, Profile, SigningKey, Terms};
use crate::entitlement::rules::{Grant, Role};
use crate::entitlement::{Agreements, Catalog, FileError, Product};
use crate::ids::InstallationId;
use crate::keys::KeyKind;
use crate::ledger::{Anchor, AuditKey, Ledger, LedgerError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Errors about the home directory and its secrets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HomeError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A secret file others can read.
    #[error(
        "{path}: readable by others (mode {mode:o}); refusing to use it — run `chmod 600 {path}`"
    )]
    Exposed {
        /// The file.
        path: PathBuf,
        /// Its mode.
        mode: u32,
    },
    /// The home or its secrets directory is open to others: anyone else
    /// who can write the home can swap the ledger or the trust file, and
    /// anyone who can enter the secrets directory is one step from the
    /// signing key.
    #[error("{path}: {what} (mode {mode:o}); refusing to use it — run `chmod 700 {path}`")]
    Unsafe {
        /// The directory.
        path: PathBuf,
        /// Its mode.
        mode: u32,
        /// Who can do what.
        what: &'static str,
    },
    /// A secret file with the wrong contents.
    #[error("{0}: not a valid key file")]
    BadKey(PathBuf),
    /// The home is not initialised.
    #[error("{0}: not an actline home (run `actline --home {0} init --demo`)")]
    NotInitialised(PathBuf),
    /// A signing-key change that cannot be made.
    #[error("{0}")]
    Signing(String),
    /// Init found an existing home.
    #[error("{0}: already initialised")]
    Exists(PathBuf),
    /// An output file (a batch's results, a trust export) would land on
    /// the ledger, the secrets, the vendor's trust file or anything else of
    /// the home.
    #[error("{path}: that is inside the vendor home {home}; write it somewhere else")]
    InsideHome {
        /// The output asked for.
        path: PathBuf,
        /// The home.
        home: PathBuf,
    },
    /// The ledger could not be created.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A sample file did not load.
    #[error(transparent)]
    Sample(#[from] FileError),
}

/// The demo catalog (`samples/catalog.toml`), embedded so a demo home can be
/// made anywhere.
pub const DEMO_CATALOG: &str = include_str!("../../../samples/catalog.toml");
/// The demo agreements (`samples/agreements.toml`).
pub const DEMO_AGREEMENTS: &str = include_str!("../../../samples/agreements.toml");

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> HomeError + '_ {
    move |source| HomeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub use actline_formats::hex::{hex, unhex};

/// Writes `contents` to a new owner-only file (mode 0600), atomically.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<(), HomeError> {
    actline_client::files::write_private(path, contents).map_err(io(path))
}

/// Reads a secret file, refusing it when group or others have any access.
pub fn read_private(path: &Path) -> Result<String, HomeError> {
    let meta = fs::metadata(path).map_err(io(path))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(HomeError::Exposed {
            path: path.to_path_buf(),
            mode,
        });
    }
    fs::read_to_string(path).map_err(io(path))
}

/// What a backup or a restore copied, verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// Entries of the audit trail, all verified.
    pub entries: usize,
    /// The newest entry's hash.
    pub head: String,
    /// Product keys.
    pub keys: u64,
    /// Activations (granted and denied).
    pub activations: u64,
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct Restored {
    /// The ledger now.
    pub restored: Copied,
    /// The ledger before.
    pub replaced: Copied,
    /// Where the ledger before is kept.
    pub kept_in: PathBuf,
    /// What the replaced ledger had that the restored one does not.
    pub taken_back: TakenBack,
}

/// What a restore takes back: records of the replaced ledger that the
/// backup does not have, or has otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TakenBack {
    /// Activations (their numbers) the backup lacks or records otherwise.
    pub activations: Vec<i64>,
    /// Keys (serials) issued after the backup.
    pub keys: Vec<u64>,
    /// Keys whose limit or revocation differ: the backup's stands.
    pub changed_keys: Vec<u64>,
}

impl TakenBack {
    /// What `now` has that `backup` does not.
    fn between(now: &Ledger, backup: &Ledger) -> Result<Self, LedgerError> {
        let stamps: BTreeMap<i64, String> = backup.activation_stamps()?.into_iter().collect();
        let activations = now
            .activation_stamps()?
            .into_iter()
            .filter(|(id, at)| stamps.get(id) != Some(at))
            .map(|(id, _)| id)
            .collect();
        let keys_of = |l: &Ledger| -> Result<BTreeMap<u64, (u32, bool)>, LedgerError> {
            Ok(l.list_keys(None, usize::MAX)?
                .into_iter()
                .map(|u| (u.key.serial, (u.key.limit, u.key.revoked)))
                .collect())
        };
        let (had, has) = (keys_of(now)?, keys_of(backup)?);
        let mut t = Self {
            activations,
            ..Self::default()
        };
        for (serial, terms) in had {
            match has.get(&serial) {
                None => t.keys.push(serial),
                Some(other) if *other != terms => t.changed_keys.push(serial),
                Some(_) => {}
            }
        }
        Ok(t)
    }

    /// Whether the restore takes nothing back.
    pub fn is_empty(&self) -> bool {
        self.activations.is_empty() && self.keys.is_empty() && self.changed_keys.is_empty()
    }
}

/// The vendor's secrets, loaded.
pub struct Secrets {
    master: Vec<u8>,
    /// The key that signs, and its number.
    signing: (u8, SigningKey),
    /// Every signing key's public half, by number.
    public_keys: BTreeMap<u8, Vec<u8>>,
}

/// `HOME/secrets/signing.json`: which signing key signs and every key's
/// public half, retired ones included (clients keep verifying what those
/// signed). A home without the file has one key, number 0, in `signing.key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeys {
    /// The number of the key that signs new confirmation IDs.
    pub current: u8,
    /// Every key by number.
    pub keys: BTreeMap<u8, SigningKeyEntry>,
}

/// One signing key on record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeyEntry {
    /// The public key, compressed (hex).
    pub public: String,
    /// When it was made (RFC 3339), for keys made by `signing-key new`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made: Option<String>,
    /// When its private half was destroyed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired: Option<String>,
}

impl Secrets {
    fn derive(&self, label: &str, code: u16) -> Vec<u8> {
        crate::mac::hmac(&self.master, &[label.as_bytes(), &code.to_be_bytes()]).to_vec()
    }

    /// The authenticator secret for keys of `kind` for product `code`. Setup
    /// keys use the product's setup secret, which clients hold, so they can be
    /// checked offline; every other kind uses a secret only the vendor holds.
    pub fn key_secret(&self, kind: KeyKind, code: u16) -> Vec<u8> {
        match kind {
            KeyKind::Setup => self.setup_secret(code),
            _ => self.derive("actline-key-secret", 0),
        }
    }

    /// The compact-profile verification secret of a product.
    pub fn compact_secret(&self, code: u16) -> Vec<u8> {
        self.derive("actline-compact", code)
    }

    /// The setup-key secret of a product.
    pub fn setup_secret(&self, code: u16) -> Vec<u8> {
        self.derive("actline-setup", code)
    }

    /// The key of the ledger's audit chain (HMAC-SHA-256; see
    /// [`AuditKey`]): only the vendor holds it.
    pub fn audit_key(&self) -> AuditKey {
        AuditKey::new(crate::mac::hmac(
            &self.master,
            &[b"actline-audit", &0u16.to_be_bytes()],
        ))
    }

    /// The stored form of a bearer token: HMAC-SHA-256 under a key of the
    /// home, hex. Someone who can write the ledger but not read the secrets
    /// cannot make a stored hash that any token matches.
    pub fn token_hash(&self, token: &str) -> String {
        let key = crate::mac::hmac(&self.master, &[b"actline-token", &0u16.to_be_bytes()]);
        actline_formats::hex::hex(&crate::mac::hmac(&key, &[token.as_bytes()]))
    }

    /// The fingerprint salt (not secret: every client has it).
    pub fn fingerprint_salt(&self) -> Vec<u8> {
        self.derive("actline-fingerprint", 0)
    }

    /// The BLS signing key that signs, and its number.
    pub fn signing(&self) -> (u8, &SigningKey) {
        (self.signing.0, &self.signing.1)
    }

    /// The confirmation ID for a granted installation ID, in the product's
    /// profile. Needs a [`Grant`], which only the entitlement rules make.
    pub fn confirmation_id(
        &self,
        grant: &Grant,
        product: &Product,
        iid: &InstallationId,
    ) -> String {
        let terms = Terms {
            kind: grant.kind,
            reactivation: grant.reactivation_of.is_some(),
            key: 0,
        };
        match product.profile {
            Profile::Signed => {
                let (number, key) = &self.signing;
                let terms = Terms {
                    key: *number,
                    ..terms
                };
                confirm::issue_signed(key, iid, terms)
            }
            Profile::Compact => {
                confirm::issue_compact(&self.compact_secret(product.code), iid, terms)
            }
        }
    }

    /// The vendor's public keys by number (hex), as trust files carry them.
    fn public_keys_hex(&self) -> BTreeMap<String, String> {
        self.public_keys
            .iter()
            .map(|(n, k)| (n.to_string(), hex(k)))
            .collect()
    }

    /// One product's entry in a trust file: the public key if it is
    /// signed, its verification secret if it is compact, its setup secret;
    /// the site host products the catalog lets activate it (signed hosts
    /// only: a compact host's secret would let any client mint its
    /// confirmation IDs), and, for a host product, what it may activate.
    fn trusted(&self, p: &Product, catalog: &Catalog) -> TrustedProduct {
        let (public_key, public_keys, secret) = match p.profile {
            // Key 0 also as `public_key`, for clients from before rotation.
            Profile::Signed => (
                self.public_keys.get(&0).map(|k| hex(k)),
                self.public_keys_hex(),
                None,
            ),
            Profile::Compact => (
                None,
                BTreeMap::new(),
                Some(hex(&self.compact_secret(p.code))),
            ),
        };
        TrustedProduct {
            code: p.code,
            profile: p.profile,
            public_key,
            public_keys,
            secret,
            setup_secret: hex(&self.setup_secret(p.code)),
            site_hosts: catalog
                .hosts
                .iter()
                .filter(|h| h.activates.contains(&p.name))
                .filter_map(|h| catalog.by_name(&h.host))
                .filter(|h| h.profile == Profile::Signed)
                .map(|h| {
                    (
                        h.name.clone(),
                        SiteHostTrust {
                            code: h.code,
                            public_keys: self.public_keys_hex(),
                        },
                    )
                })
                .collect(),
            hosts: if p.profile == Profile::Signed {
                catalog
                    .hosted_by(&p.name)
                    .into_iter()
                    .filter_map(|n| catalog.by_name(n))
                    .map(|h| {
                        (
                            h.name.clone(),
                            HostedTrust {
                                code: h.code,
                                threshold: catalog.threshold(h),
                            },
                        )
                    })
                    .collect()
            } else {
                BTreeMap::new()
            },
        }
    }

    /// The vendor's trust file for a whole catalog: public key for signed
    /// products, verification secret for compact ones, setup secrets,
    /// fingerprint salt. Vendor-only: see [`Secrets::trust_for`] for what
    /// clients get.
    pub fn trust(&self, catalog: &Catalog) -> Trust {
        Trust {
            format: 1,
            fingerprint_salt: hex(&self.fingerprint_salt()),
            products: catalog
                .products
                .iter()
                .map(|p| (p.name.clone(), self.trusted(p, catalog)))
                .collect(),
        }
    }

    /// The trust file for clients of `product` alone: the fingerprint salt
    /// and that product's entry (the public key if it is signed, its
    /// verification secret if it is compact, its setup secret), nothing of
    /// any other product. Same format as [`Secrets::trust`], so a client
    /// reads either.
    pub fn trust_for(&self, product: &Product, catalog: &Catalog) -> Trust {
        Trust {
            format: 1,
            fingerprint_salt: hex(&self.fingerprint_salt()),
            products: [(product.name.clone(), self.trusted(product, catalog))].into(),
        }
    }
}

/// A vendor home directory.
#[derive(Clone)]
pub struct Home {
    dir: PathBuf,
    /// The ledger named for this run (`--ledger`), over the one the home
    /// remembers.
    ledger: Option<String>,
}

impl std::fmt::Debug for Home {
    /// Never prints a database password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Home")
            .field("dir", &self.dir)
            .field(
                "ledger",
                &self.ledger.as_deref().map(crate::ledger::pg::redacted),
            )
            .finish()
    }
}

impl Home {
    /// The home at `dir`.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            ledger: None,
        }
    }

    /// The same home with its ledger named for this run: a PostgreSQL URL
    /// (see [`crate::ledger::pg`]). `init` makes the ledger there and the
    /// home remembers it (`secrets/ledger.url`); other commands use it
    /// instead of the one the home remembers.
    pub fn with_ledger(mut self, url: Option<String>) -> Self {
        self.ledger = url;
        self
    }

    /// The URL of the home's ledger when it is on a database server: the
    /// one named for this run, or the one the home remembers; `None` for
    /// the SQLite file [`Home::ledger_path`].
    pub fn ledger_url(&self) -> Result<Option<String>, HomeError> {
        if let Some(u) = &self.ledger {
            return Ok(Some(u.clone()));
        }
        let path = self.secrets_dir().join("ledger.url");
        match fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text.trim().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(HomeError::Io { path, source: e }),
        }
    }

    /// Where the home's ledger is, for messages: the file, or the
    /// database URL without its password.
    pub fn ledger_place(&self) -> String {
        match self.ledger_url() {
            Ok(Some(url)) => crate::ledger::pg::redacted(&url),
            _ => self.ledger_path().display().to_string(),
        }
    }

    /// Remembers `url` as the home's ledger (owner-only: it may hold a
    /// password).
    pub fn remember_ledger(&self, url: &str) -> Result<(), HomeError> {
        let path = self.secrets_dir().join("ledger.url");
        let partial = self.secrets_dir().join(".ledger.url.partial");
        let _ = fs::remove_file(&partial);
        write_private(&partial, format!("{url}\n").as_bytes())?;
        fs::rename(&partial, &path).map_err(io(&path))
    }

    /// Opens the ledger this home uses, with no audit key yet.
    fn ledger_unkeyed(&self) -> Result<Ledger, LedgerError> {
        match self.ledger_url() {
            Ok(Some(url)) => Ledger::connect(&url, false),
            Ok(None) => Ledger::open(&self.ledger_path()),
            Err(e) => Err(LedgerError::Inaccessible {
                path: self.secrets_dir().join("ledger.url"),
                reason: e.to_string(),
            }),
        }
    }

    /// The per-user default: `$XDG_DATA_HOME/actline` or `~/.local/share/actline`.
    pub fn default_dir() -> PathBuf {
        if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
            return PathBuf::from(x).join("actline");
        }
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        home.join(".local/share/actline")
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The ledger file.
    pub fn ledger_path(&self) -> PathBuf {
        self.dir.join("ledger.db")
    }

    /// The trust file.
    pub fn trust_path(&self) -> PathBuf {
        self.dir.join("trust.json")
    }

    fn secrets_dir(&self) -> PathBuf {
        self.dir.join("secrets")
    }

    /// Creates the directory and fresh secrets. Refuses an existing home.
    pub fn create(&self) -> Result<Secrets, HomeError> {
        let sdir = self.secrets_dir();
        if sdir.join("master.key").exists() {
            return Err(HomeError::Exists(self.dir.clone()));
        }
        fs::create_dir_all(&sdir).map_err(io(&sdir))?;
        for d in [&self.dir, &sdir] {
            fs::set_permissions(d, fs::Permissions::from_mode(0o700)).map_err(io(d))?;
        }
        let mut master = [0u8; 32];
        getrandom::fill(&mut master).map_err(|e| HomeError::Io {
            path: sdir.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let signing = SigningKey::generate().map_err(|e| HomeError::Io {
            path: sdir.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        write_private(
            &sdir.join("signing.key"),
            hex(&signing.to_bytes()).as_bytes(),
        )?;
        write_private(&sdir.join("master.key"), hex(&master).as_bytes())?;
        Ok(Secrets {
            master: master.to_vec(),
            public_keys: BTreeMap::from([(0, signing.public_key())]),
            signing: (0, signing),
        })
    }

    /// Creates a home: secrets, a new ledger with `user` as its first
    /// supervisor, and with `demo` the demo catalog and agreements; writes
    /// the trust file.
    pub fn init(&self, user: &str, demo: bool) -> Result<(Secrets, Ledger, Catalog), HomeError> {
        // Check everything before writing anything: a half-made home (new
        // secrets beside an old ledger) would issue IDs no client can check.
        if self.secrets_dir().join("master.key").exists() || self.ledger_path().exists() {
            return Err(HomeError::Exists(self.dir.clone()));
        }
        // A database ledger is made (empty) before the secrets, so an
        // unreachable or occupied database leaves no half-made home.
        let server = match &self.ledger {
            Some(url) => Some(Ledger::connect(url, true)?),
            None => None,
        };
        let secrets = self.create()?;
        let ledger = match server {
            Some(l) => {
                self.remember_ledger(self.ledger.as_deref().unwrap_or_default())?;
                l
            }
            None => Ledger::create(&self.ledger_path())?,
        };
        let mut ledger = self.key_ledger(ledger, &secrets)?;
        ledger.add_staff(user, user, Role::Supervisor)?;
        let catalog = if demo {
            let c = Catalog::parse("samples/catalog.toml", DEMO_CATALOG)?;
            ledger.set_catalog(&c, user, "samples/catalog.toml")?;
            ledger.set_agreements(
                &Agreements::parse("samples/agreements.toml", DEMO_AGREEMENTS)?,
                user,
                "samples/agreements.toml",
            )?;
            c
        } else {
            Catalog::default()
        };
        self.write_trust(&secrets, &catalog)?;
        Ok((secrets, ledger, catalog))
    }

    /// Opens the home's ledger ([`Ledger::open`]) with its audit key: the
    /// way every caller opens it. The anchor of the keyed chain is the one
    /// recorded in `HOME/secrets/audit.anchor`; when none is recorded yet
    /// (a ledger upgraded from schema version 4 or older), the ledger's
    /// anchor is found or written ([`Ledger::with_audit_key`]) and then
    /// recorded. So a ledger whose keyed entries were cut off to make it
    /// look older is refused ([`LedgerError::Unverified`]) rather than
    /// anchored again. Restoring a backup from before the upgrade is
    /// refused the same way; to accept one deliberately, remove
    /// `secrets/audit.anchor` first.
    pub fn open_ledger(&self, secrets: &Secrets) -> Result<Ledger, LedgerError> {
        self.key_ledger(self.ledger_unkeyed()?, secrets)
    }

    /// Gives `ledger` the audit key and the recorded anchor, recording the
    /// anchor when none was.
    fn key_ledger(&self, ledger: Ledger, secrets: &Secrets) -> Result<Ledger, LedgerError> {
        let path = self.secrets_dir().join("audit.anchor");
        let unusable = |reason: String| LedgerError::Inaccessible {
            path: path.clone(),
            reason,
        };
        let known: Option<Anchor> = match fs::read_to_string(&path) {
            Ok(text) => Some(serde_json::from_str(&text).map_err(|e| {
                unusable(format!("not a record of the audit trail's anchor ({e})"))
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(unusable(e.to_string())),
        };
        let ledger = ledger.with_audit_key(secrets.audit_key(), known.as_ref())?;
        if known.is_none() {
            if let Some(anchor) = ledger.audit_anchor() {
                let json = serde_json::to_string(anchor).unwrap_or_default();
                if let Err(e) = actline_client::files::write_private(&path, json.as_bytes()) {
                    // Another process may have recorded the same anchor.
                    let now = fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| serde_json::from_str::<Anchor>(&t).ok());
                    if now.as_ref() != Some(anchor) {
                        return Err(unusable(e.to_string()));
                    }
                }
            }
        }
        Ok(ledger)
    }

    /// Backs the ledger up into the new file `dest` (SQLite's online
    /// backup: the service may go on running), then verifies the copy as
    /// `audit verify` would, with this home's audit key and anchor. The copy
    /// is written owner-only beside `dest` and renamed to it only once it
    /// verified, so `dest` is a whole, verified ledger or does not exist.
    /// An existing `dest`, or one inside the home, is refused.
    pub fn backup_ledger(&self, secrets: &Secrets, dest: &Path) -> Result<Copied, HomeError> {
        self.refuse_output(dest)?;
        if fs::symlink_metadata(dest).is_ok() {
            return Err(HomeError::Io {
                path: dest.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "exists already; a backup never overwrites a file, name a new one",
                ),
            });
        }
        let name = dest.file_name().unwrap_or_default().to_string_lossy();
        let partial = dest.with_file_name(format!(".{name}.partial-{}", std::process::id()));
        let made = (|| {
            fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&partial)
                .map_err(io(&partial))?;
            self.open_ledger(secrets)?.backup_to(&partial)?;
            let copied = self.verify_copy(secrets, &partial)?;
            fs::rename(&partial, dest).map_err(io(dest))?;
            Ok(copied)
        })();
        if made.is_err() {
            let _ = fs::remove_file(&partial);
        }
        made
    }

    /// Copies the home's ledger into a new, empty PostgreSQL ledger at
    /// `url` (made there by this call), with its audit trail: the copy is
    /// verified with this home's key and anchor, and must end at the same
    /// entry with the same hash as the ledger it came from, which is
    /// verified first. Then the home remembers `url` and uses that ledger
    /// from now on; the old one is left as it was. A database that holds a
    /// ledger with anything in it, or something else, is refused and left
    /// as it was.
    pub fn copy_ledger(&self, secrets: &Secrets, url: &str) -> Result<Copied, HomeError> {
        let source = self.open_ledger(secrets)?;
        let (entries, head) = source.verify_audit()?;
        let mut dest = Ledger::connect(url, true)?;
        source.copy_into(&mut dest)?;
        let anchor = source.audit_anchor().cloned();
        let dest = dest.with_audit_key(secrets.audit_key(), anchor.as_ref())?;
        let (copied, copied_head) = dest.verify_audit()?;
        if (copied, &copied_head) != (entries, &head) {
            return Err(HomeError::Ledger(LedgerError::Unverified(format!(
                "{}: the copy's audit trail ends at entry {copied} ({copied_head}), the ledger's at {entries} ({head})",
                dest.place()
            ))));
        }
        let (keys, activations) = dest.sizes()?;
        self.remember_ledger(url)?;
        Ok(Copied {
            entries,
            head,
            keys,
            activations,
        })
    }

    /// Replaces the ledger with the backup `from`, once `from` verified with
    /// this home's audit key and anchor (a backup of another home, or a
    /// damaged one, is refused and nothing changes). The ledger as it was is
    /// first backed up into the home as `ledger.before-restore-STAMP.db`
    /// (returned with what it held, and what the restore takes back), so a
    /// restore loses nothing for good.
    pub fn restore_ledger(&self, secrets: &Secrets, from: &Path) -> Result<Restored, HomeError> {
        if !from.is_file() {
            return Err(HomeError::Io {
                path: from.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such backup file"),
            });
        }
        // What is wrong with the backup is said of the backup.
        let of_backup = |e: LedgerError| match e {
            LedgerError::Sql(e) => LedgerError::Corrupt {
                path: from.to_path_buf(),
                reason: e.to_string(),
            },
            LedgerError::Unverified(why) => LedgerError::Unverified(format!(
                "{}: not a backup of this home's ledger, or altered: {why}",
                from.display()
            )),
            other => other,
        };
        let source = Ledger::open(from)
            .and_then(|l| self.key_ledger(l, secrets))
            .map_err(of_backup)?;
        source.verify_audit().map_err(of_backup)?;
        let stamp = crate::days::now_rfc3339().replace([':', '-'], "");
        let (before, _) = (1..1000)
            .map(|n| match n {
                1 => self.dir.join(format!("ledger.before-restore-{stamp}.db")),
                n => self
                    .dir
                    .join(format!("ledger.before-restore-{stamp}-{n}.db")),
            })
            .find_map(|p| {
                fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&p)
                    .ok()
                    .map(|f| (p, f))
            })
            .ok_or_else(|| HomeError::Io {
                path: self.dir.clone(),
                source: std::io::Error::other("cannot name the copy of the replaced ledger"),
            })?;
        let mut live = self.open_ledger(secrets)?;
        live.backup_to(&before)?;
        let replaced = self.verify_copy(secrets, &before)?;
        let taken_back = TakenBack::between(&live, &source)?;
        live.restore_from(&source)?;
        drop(live);
        let restored = self.verify_copy(secrets, &self.ledger_path())?;
        Ok(Restored {
            restored,
            replaced,
            kept_in: before,
            taken_back,
        })
    }

    /// Opens the ledger file `path` with this home's audit key and anchor,
    /// verifies it, and counts what it holds.
    fn verify_copy(&self, secrets: &Secrets, path: &Path) -> Result<Copied, HomeError> {
        let copy = self.key_ledger(Ledger::open(path)?, secrets)?;
        let (entries, head) = copy.verify_audit()?;
        let (keys, activations) = copy.sizes()?;
        Ok(Copied {
            entries,
            head,
            keys,
            activations,
        })
    }

    /// Refuses a home that others can write (group or other write bit) and
    /// a secrets directory others can write or enter (any group write or
    /// any access for others), naming the directory and the fix. A
    /// directory that cannot be examined (permissions) is an
    /// [`HomeError::Io`] naming it. A home that does not exist passes: the
    /// caller reports the missing ledger.
    pub fn check_permissions(&self) -> Result<(), HomeError> {
        let sdir = self.secrets_dir();
        for (dir, forbidden, what) in [
            (&self.dir, 0o022, "writable by others"),
            (&sdir, 0o027, "open to others"),
        ] {
            match fs::metadata(dir) {
                Ok(m) => {
                    let mode = m.permissions().mode() & 0o777;
                    if mode & forbidden != 0 {
                        return Err(HomeError::Unsafe {
                            path: dir.clone(),
                            mode,
                            what,
                        });
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(dir)(e)),
            }
        }
        Ok(())
    }

    /// Loads the secrets, refusing files others can read and directories
    /// others can write (see [`Home::check_permissions`]).
    pub fn secrets(&self) -> Result<Secrets, HomeError> {
        self.check_permissions()?;
        let sdir = self.secrets_dir();
        let mpath = sdir.join("master.key");
        match fs::metadata(&mpath) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(HomeError::NotInitialised(self.dir.clone()))
            }
            Err(e) => return Err(io(&mpath)(e)),
        }
        let master = unhex(&read_private(&mpath)?)
            .filter(|m| m.len() == 32)
            .ok_or_else(|| HomeError::BadKey(mpath.clone()))?;
        let record = self.signing_keys()?;
        let spath = self.signing_key_path(record.current);
        let signing = unhex(&read_private(&spath)?)
            .and_then(|b| SigningKey::from_bytes(&b))
            .filter(|k| {
                record
                    .keys
                    .get(&record.current)
                    .is_some_and(|e| e.public == hex(&k.public_key()))
            })
            .ok_or(HomeError::BadKey(spath))?;
        let public_keys = record
            .keys
            .iter()
            .map(|(n, e)| unhex(&e.public).map(|k| (*n, k)))
            .collect::<Option<_>>()
            .ok_or_else(|| HomeError::BadKey(self.signing_record_path()))?;
        Ok(Secrets {
            master,
            signing: (record.current, signing),
            public_keys,
        })
    }

    fn signing_record_path(&self) -> PathBuf {
        self.secrets_dir().join("signing.json")
    }

    /// Where private key `number` lives.
    fn signing_key_path(&self, number: u8) -> PathBuf {
        self.secrets_dir().join(match number {
            0 => "signing.key".to_string(),
            n => format!("signing-{n}.key"),
        })
    }

    /// The signing keys on record: `signing.json`, or for a home from
    /// before rotation, key 0 alone from `signing.key`.
    pub fn signing_keys(&self) -> Result<SigningKeys, HomeError> {
        let path = self.signing_record_path();
        match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|_| HomeError::BadKey(path.clone())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let spath = self.signing_key_path(0);
                let key = unhex(&read_private(&spath)?)
                    .and_then(|b| SigningKey::from_bytes(&b))
                    .ok_or(HomeError::BadKey(spath))?;
                Ok(SigningKeys {
                    current: 0,
                    keys: BTreeMap::from([(
                        0,
                        SigningKeyEntry {
                            public: hex(&key.public_key()),
                            made: None,
                            retired: None,
                        },
                    )]),
                })
            }
            Err(e) => Err(io(&path)(e)),
        }
    }

    fn write_signing_keys(&self, record: &SigningKeys) -> Result<(), HomeError> {
        let json = serde_json::to_string_pretty(record).unwrap_or_default();
        write_private(&self.signing_record_path(), json.as_bytes())
    }

    /// Makes a new signing key, the next number; it does not sign until
    /// [`Home::use_signing_key`] (give clients a trust file with it first).
    pub fn new_signing_key(&self) -> Result<u8, HomeError> {
        let mut record = self.signing_keys()?;
        let number = record
            .keys
            .keys()
            .max()
            .map_or(Some(0), |n| n.checked_add(1))
            .ok_or_else(|| HomeError::Signing("all 256 signing key numbers are used".into()))?;
        let key = SigningKey::generate().map_err(|e| HomeError::Io {
            path: self.secrets_dir(),
            source: std::io::Error::other(e.to_string()),
        })?;
        write_private(
            &self.signing_key_path(number),
            hex(&key.to_bytes()).as_bytes(),
        )?;
        record.keys.insert(
            number,
            SigningKeyEntry {
                public: hex(&key.public_key()),
                made: Some(crate::days::now_rfc3339()),
                retired: None,
            },
        );
        self.write_signing_keys(&record)?;
        Ok(number)
    }

    /// Signs new confirmation IDs with key `number` from now on (a running
    /// service picks it up when restarted).
    pub fn use_signing_key(&self, number: u8) -> Result<(), HomeError> {
        let mut record = self.signing_keys()?;
        match record.keys.get(&number) {
            None => return Err(HomeError::Signing(format!("no signing key {number}"))),
            Some(e) if e.retired.is_some() => {
                return Err(HomeError::Signing(format!(
                    "signing key {number} is retired: its private half is gone"
                )))
            }
            Some(_) if number == record.current => {
                return Err(HomeError::Signing(format!(
                    "signing key {number} is already the one in use"
                )))
            }
            Some(_) => {}
        }
        read_private(&self.signing_key_path(number))?;
        record.current = number;
        self.write_signing_keys(&record)
    }

    /// Destroys the private half of key `number` (not the one in use):
    /// nothing can sign with it again, and clients keep verifying what it
    /// signed, since its public half stays in every trust file.
    pub fn retire_signing_key(&self, number: u8) -> Result<(), HomeError> {
        let mut record = self.signing_keys()?;
        if number == record.current {
            return Err(HomeError::Signing(format!(
                "signing key {number} is the one in use: `signing-key use` another first"
            )));
        }
        let entry = record
            .keys
            .get_mut(&number)
            .ok_or_else(|| HomeError::Signing(format!("no signing key {number}")))?;
        if entry.retired.is_some() {
            return Err(HomeError::Signing(format!(
                "signing key {number} is retired already"
            )));
        }
        entry.retired = Some(crate::days::now_rfc3339());
        // The record first: a key marked retired whose file is still there
        // is retired again; a deleted key still on record would not load.
        self.write_signing_keys(&record)?;
        let path = self.signing_key_path(number);
        fs::remove_file(&path).map_err(io(&path))
    }

    /// Writes the vendor's trust file for `catalog` (owner-only: it holds
    /// every product's secrets; never give it to a client).
    pub fn write_trust(&self, secrets: &Secrets, catalog: &Catalog) -> Result<PathBuf, HomeError> {
        let path = self.trust_path();
        let json = serde_json::to_string_pretty(&secrets.trust(catalog)).unwrap_or_default();
        write_private(&path, json.as_bytes())?;
        Ok(path)
    }

    /// Refuses an output path that is the ledger or any other file of the
    /// home, before anything is opened for writing: paths are compared
    /// canonicalised (a file that does not exist yet by its canonical
    /// parent), and an existing file also by device and inode, so symbolic
    /// and hard links are caught too. A home that does not exist refuses
    /// nothing (opening its ledger reports it).
    pub fn refuse_output(&self, output: &Path) -> Result<(), HomeError> {
        use std::os::unix::fs::MetadataExt;
        let refuse = || HomeError::InsideHome {
            path: output.to_path_buf(),
            home: self.dir.clone(),
        };
        let Ok(home_dir) = self.dir.canonicalize() else {
            return Ok(());
        };
        let target = match output.canonicalize() {
            Ok(p) => p,
            Err(_) => {
                let parent = match output.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                let Some(name) = output.file_name() else {
                    return Err(HomeError::Io {
                        path: output.to_path_buf(),
                        source: std::io::Error::new(
                            std::io::ErrorKind::InvalidInput,
                            "not a file name",
                        ),
                    });
                };
                parent.canonicalize().map_err(io(&parent))?.join(name)
            }
        };
        if target.starts_with(&home_dir) {
            return Err(refuse());
        }
        if let Ok(meta) = fs::metadata(&target) {
            let mut dirs = vec![home_dir];
            while let Some(dir) = dirs.pop() {
                for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
                    let Ok(m) = entry.metadata() else { continue };
                    if m.is_dir() {
                        dirs.push(entry.path());
                    } else if m.dev() == meta.dev() && m.ino() == meta.ino() {
                        return Err(refuse());
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes the trust file for clients of `product` to `out`
    /// ([`Secrets::trust_for`]), owner-only (0600) and atomically: it still
    /// holds that product's setup secret, and its verification secret if it
    /// is compact. Refuses to write over the vendor's own trust file.
    pub fn export_trust(
        &self,
        secrets: &Secrets,
        product: &Product,
        catalog: &Catalog,
        out: &Path,
    ) -> Result<PathBuf, HomeError> {
        let json =
            serde_json::to_string_pretty(&secrets.trust_for(product, catalog)).unwrap_or_default();
        write_private(out, json.as_bytes())?;
        Ok(out.to_path_buf())
    }
}

/// The operating-system user running this process: the name of the real
/// user ID from the password database, falling back to `$USER`.
pub fn os_user() -> String {
    let uid = fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1).and_then(|u| u.parse().ok()))
    });
    match uid {
        Some(uid) => user_name(uid),
        None => std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
    }
}

/// The name of user ID `uid` in the password database (`/etc/passwd`), or
/// `uid<N>` when it has none. The service names Unix-socket callers so.
pub fn user_name(uid: u32) -> String {
    let uid_text = uid.to_string();
    if let Ok(passwd) = fs::read_to_string("/etc/passwd") {
        for line in passwd.lines() {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() > 2 && f[2] == uid_text {
                return f[0].to_string();
            }
        }
    }
    format!("uid{uid}")
}
