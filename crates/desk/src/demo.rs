//! The demo desk (`actline agent --demo`): a vendor home under the user's
//! data directory, made on first use with the demo catalog and agreements,
//! a few keys, and one call handed over by the IVR, so every screen has
//! something to show. The keys are listed in `demo-keys.txt` beside the
//! ledger (for trying the desk, and for the end-to-end test), and each of
//! their products has its client trust file beside it, `trust-PRODUCT.json`
//! (what `actline trust export` writes; the home's own `trust.json` is the
//! vendor's, with every product's secrets).

use actline_engine::fingerprint::HardwareHash;
use actline_engine::home::{os_user, Home};
use actline_engine::ids::InstallationId;
use actline_engine::keys::{KeyKind, ProductKey};
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

/// `$XDG_DATA_HOME/actline/demo-desk`, or `~/.local/share/actline/demo-desk`.
pub fn dir() -> PathBuf {
    Home::default_dir().join("demo-desk")
}

/// The demo home, made when it does not exist yet.
pub fn ensure() -> Result<Home> {
    let home = Home::at(dir());
    if home.ledger_path().exists() {
        // A desk made before the per-product trust files: add them.
        if DEMO_PRODUCTS.iter().any(|p| !trust_file(&home, p).exists()) {
            let secrets = home.secrets()?;
            let catalog = actline_engine::ledger::Ledger::open(&home.ledger_path())?.catalog()?;
            for name in DEMO_PRODUCTS {
                if let Some(p) = catalog.by_name(name) {
                    if !trust_file(&home, name).exists() {
                        home.export_trust(&secrets, p, &trust_file(&home, name))?;
                    }
                }
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

/// Makes a demo home at `home` for the current user (a supervisor).
pub fn create(home: &Home) -> Result<()> {
    let me = os_user();
    let (secrets, mut ledger, catalog) = home.init(&me, true)?;
    let secret = |k: KeyKind, c: u16| secrets.key_secret(k, c);
    let mut listing = String::from("# product agreement key (made by `actline agent --demo`)\n");
    let mut issued = Vec::new();
    for (product, agreement, limit) in [
        ("studio", Some("4711"), 10),
        ("notes", Some("5001"), 50),
        ("studio", Some("5002"), 1),
        ("vault", None, 3),
    ] {
        let p = catalog
            .by_name(product)
            .with_context(|| format!("the demo catalog has no {product}"))?
            .clone();
        let rec = ledger.issue_key(&me, &p, KeyKind::Mak, agreement, limit, &secret)?;
        let _ = writeln!(
            listing,
            "{product} {} {}",
            agreement.unwrap_or("-"),
            rec.key
        );
        issued.push((p.code, rec.key));
        let trust = trust_file(home, product);
        if !trust.exists() {
            home.export_trust(&secrets, &p, &trust)?;
        }
    }
    // A caller the IVR could not finish with: three groups entered.
    let (code, key) = &issued[0];
    let key = ProductKey::parse(key).context("the demo key parses")?;
    let machine = HardwareHash::numbered(11);
    let iid = InstallationId::new(*code, &key, machine, actline_engine::days::today());
    let groups: Vec<String> = iid.to_string().split('-').map(str::to_string).collect();
    ledger.hand_over(
        "demo-call-1",
        "the caller asked for an agent after group 3",
        &groups[..3],
        None,
        &[],
    )?;
    ledger.hand_over(
        "demo-call-2",
        "the caller entered the whole ID and asked for an agent to read the answer",
        &groups,
        Some(&iid.to_string()),
        &[],
    )?;
    std::fs::write(home.dir().join(KEYS_FILE), listing)
        .with_context(|| format!("writing {KEYS_FILE}"))?;
    Ok(())
}
