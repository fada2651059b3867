//! The demo desk (`actline agent --demo`): a vendor home under the user's
//! data directory, made on first use with the demo catalog and agreements,
//! a few keys, and one call handed over by the IVR, so every screen has
//! something to show. The keys are listed in `demo-keys.txt` beside the
//! ledger (for trying the desk, and for the end-to-end test), and each of
//! their products has its client trust file beside it, `trust-PRODUCT.json`
//! (what `actline trust export` writes; the home's own `trust.json` is the
//! vendor's, with every product's secrets).
//!
//! Like every other part of the desk, it makes them by engine requests (as
//! the user who owns the new home, its first supervisor).

use actline_engine::client::files::write_private;
use actline_engine::fingerprint::HardwareHash;
use actline_engine::home::{os_user, Home};
use actline_engine::ids::InstallationId;
use actline_engine::keys::{KeyKind, ProductKey};
use actline_engine::service::{Reply, Request, Service};
use anyhow::{bail, Context, Result};
use std::fmt::Write as _;
use std::path::PathBuf;

/// The keys file in the demo home.
pub const KEYS_FILE: &str = "demo-keys.txt";

/// The products the demo desk issues keys for.
const DEMO_PRODUCTS: [&str; 3] = ["studio", "notes", "vault"];

/// The client trust file for `product` in the demo home.
pub fn trust_file(home: &Home, product: &str) -> PathBuf {
    home.dir().join(format!("trust-{product}.json"))
}

/// `$XDG_DATA_HOME/actline-demo-desk`, or `~/.local/share/actline-demo-desk`:
/// beside the default vendor home, never inside it, so a vendor's real home
/// and the demo cannot be taken for each other.
pub fn dir() -> PathBuf {
    let vendor = Home::default_dir();
    vendor.with_file_name("actline-demo-desk")
}

/// Deletes the demo desk and makes it again in its first state. Refuses a
/// directory that is not a demo desk (no `demo-keys.txt` in it), so a
/// mistyped `XDG_DATA_HOME` never deletes a vendor home.
pub fn reset() -> Result<Home> {
    let home = Home::at(dir());
    if home.dir().exists() {
        if !home.dir().join(KEYS_FILE).exists() {
            bail!(
                "{}: not a demo desk (no {KEYS_FILE}); not deleting it",
                home.dir().display()
            );
        }
        std::fs::remove_dir_all(home.dir())
            .with_context(|| format!("deleting the demo desk {}", home.dir().display()))?;
    }
    ensure()
}

/// The demo home, made when it does not exist yet.
pub fn ensure() -> Result<Home> {
    let home = Home::at(dir());
    if home.ledger_path().exists() {
        // A desk made before the per-product trust files: add them.
        let missing: Vec<_> = DEMO_PRODUCTS
            .iter()
            .filter(|p| !trust_file(&home, p).exists())
            .collect();
        if !missing.is_empty() {
            let service = Service::open(home.clone())?;
            for name in missing {
                write_trust(&service, &home, name)?;
            }
        }
        return Ok(home);
    }
    if home.dir().join("secrets").exists() {
        bail!(
            "{}: a half-made demo desk (secrets but no ledger); remove the directory and start again",
            home.dir().display()
        );
    }
    create(&home).with_context(|| format!("making the demo desk in {}", home.dir().display()))?;
    Ok(home)
}

/// Writes `product`'s client trust file into the demo home.
fn write_trust(service: &Service, home: &Home, product: &str) -> Result<()> {
    let me = os_user();
    let request = Request::TrustExport {
        product: product.to_string(),
    };
    let Reply::Trust(t) = service.handle(&me, &request, None)? else {
        bail!("the engine answered a trust export with something else");
    };
    let json = serde_json::to_string_pretty(&t.trust)?;
    let path = trust_file(home, product);
    write_private(&path, json.as_bytes()).with_context(|| format!("writing {}", path.display()))
}

/// Makes a demo home at `home` for the current user (a supervisor).
pub fn create(home: &Home) -> Result<()> {
    let me = os_user();
    drop(home.init(&me, true)?);
    let service = Service::open(home.clone())?;
    let ask = |request: Request| service.handle(&me, &request, None);
    let mut listing = String::from("# product agreement key (made by `actline agent --demo`)\n");
    let mut issued = Vec::new();
    for (product, agreement, limit) in [
        ("studio", Some("4711"), 10),
        ("notes", Some("5001"), 50),
        ("studio", Some("5002"), 1),
        ("vault", None, 3),
    ] {
        let Reply::Key(rec) = ask(Request::KeyIssue {
            product: product.to_string(),
            kind: KeyKind::Mak,
            activations: Some(limit),
            agreement: agreement.map(str::to_string),
            reason: Some("the demo desk".to_string()),
        })?
        else {
            bail!("the engine answered a key issue with something else");
        };
        let _ = writeln!(
            listing,
            "{product} {} {}",
            agreement.unwrap_or("-"),
            rec.key
        );
        issued.push((rec.product, rec.key));
        if !trust_file(home, product).exists() {
            write_trust(&service, home, product)?;
        }
    }
    // A caller the IVR could not finish with: three groups entered.
    let (code, key) = &issued[0];
    let key = ProductKey::parse(key).context("the demo key parses")?;
    let machine = HardwareHash::numbered(11);
    let iid = InstallationId::new(*code, &key, machine, actline_engine::days::today());
    let groups: Vec<String> = iid.to_string().split('-').map(str::to_string).collect();
    ask(Request::HandOver {
        call: "demo-call-1".into(),
        reason: "the caller asked for an agent after group 3".into(),
        groups: groups[..3].to_vec(),
        installation_id: None,
        reasons: vec![],
    })?;
    ask(Request::HandOver {
        call: "demo-call-2".into(),
        reason: "the caller entered the whole ID and asked for an agent to read the answer".into(),
        groups: groups.clone(),
        installation_id: Some(iid.to_string()),
        reasons: vec![],
    })?;
    std::fs::write(home.dir().join(KEYS_FILE), listing)
        .with_context(|| format!("writing {KEYS_FILE}"))?;
    Ok(())
}
