//! `actline demo`: the whole activation loop, step by step, in a throwaway
//! home, through the same library calls the commands make.

use super::activate::print_activation;
use actline::client::{Client, Status};
use actline::service::ActivationView;

pub use super::args::DemoArgs;
use actline::fingerprint::Components;
use actline::home::{os_user, Home};
use actline::keys::KeyKind;
use anyhow::{Context, Result};
use std::path::PathBuf;

fn posed(json: &str) -> Result<Components> {
    Ok(serde_json::from_str(json)?)
}

fn step(n: u32, title: &str, cmd: &str) -> std::io::Result<()> {
    outln!("\n── step {n}: {title}")?;
    outln!("   $ {cmd}")
}

pub fn run(a: &DemoArgs) -> Result<()> {
    let mut rnd = [0u8; 6];
    getrandom::fill(&mut rnd).ok();
    let root: PathBuf =
        std::env::temp_dir().join(format!("actline-demo-{}", actline::home::hex(&rnd)));
    let result = run_in(&root);
    if a.keep {
        outln!("\nthe demo home is kept at {}", root.display())?;
    } else {
        let _ = std::fs::remove_dir_all(&root);
    }
    result
}

fn run_in(root: &std::path::Path) -> Result<()> {
    let home = Home::at(root.join("vendor"));
    let me = os_user();
    let today = actline::days::today();
    outln!(
        "actline demo: a vendor, a key, an air-gapped machine, a phone call, a confirmation ID."
    )?;
    outln!("(throwaway home {})", root.display())?;

    step(1, "the vendor sets up", "actline --home V init --demo")?;
    let (secrets, mut ledger, catalog) = home.init(&me, true)?;
    outln!(
        "   ledger, signing key and the vendor's trust file written; {} products; you ({me}) are a supervisor",
        catalog.products.len()
    )?;

    step(
        2,
        "the vendor issues a key for studio with 2 activations",
        "actline --home V key issue --product studio --activations 2 --agreement 4711",
    )?;
    let studio = catalog
        .by_name("studio")
        .context("demo catalog has studio")?
        .clone();
    let key = ledger.issue_key(&me, &studio, KeyKind::Mak, Some("4711"), 2, &|k, c| {
        secrets.key_secret(k, c)
    })?;
    outln!("   {}", key.key)?;

    step(
        3,
        "the vendor exports the trust file studio's clients need (nothing of other products)",
        "actline --home V trust export --product studio --out studio-trust.json",
    )?;
    let studio_trust =
        home.export_trust(&secrets, &studio, &catalog, &root.join("studio-trust.json"))?;
    outln!("   {}", studio_trust.display())?;
    let trust = actline::client::Trust::load(&studio_trust)?;
    let machine_a = posed(include_str!("../../samples/fingerprint-a.json"))?;
    let client = Client::new(root.join("client-a"), trust.clone());
    step(4, "on the air-gapped machine, the product makes an installation ID", "actline client --state C --trust studio-trust.json iid --key KEY --product studio --fingerprint samples/fingerprint-a.json")?;
    let iid = client
        .make_iid(&key.key, "studio", &machine_a, today)?
        .context("a mak key makes an installation ID")?;
    outln!("   {iid}")?;
    outln!(
        "   status: {}",
        client.status(&machine_a, today)?.describe()
    )?;

    step(
        5,
        "the caller reads it out; the agent asks for a decision",
        "actline --home V activate IID",
    )?;
    let channel = ledger.channel_for(&me)?;
    let act = ledger.activate(&iid, &channel, None, None, today, &|g, p, i| {
        secrets.confirmation_id(g, p, i)
    })?;
    print_activation(&ActivationView::of(&iid, &act))?;
    let cid = act.confirmation_id.clone().context("granted")?;

    step(
        6,
        "the user types the confirmation ID; the machine verifies it offline",
        "actline client --state C --trust studio-trust.json confirm CID",
    )?;
    let terms = client.confirm(&cid, &machine_a, today)?;
    outln!("   activated ({} key)", terms.kind)?;
    outln!(
        "   status: {}",
        client.status(&machine_a, today)?.describe()
    )?;

    step(7, "months later the machine gets a new disk and more memory, and is reinstalled", "actline client ... --fingerprint samples/fingerprint-a-new-disk.json iid ...; actline activate IID")?;
    let machine_a2 = posed(include_str!("../../samples/fingerprint-a-new-disk.json"))?;
    let client2 = Client::new(root.join("client-a-reimaged"), trust.clone());
    let iid2 = client2
        .make_iid(&key.key, "studio", &machine_a2, today)?
        .context("iid")?;
    let act2 = ledger.activate(&iid2, &channel, None, None, today, &|g, p, i| {
        secrets.confirmation_id(g, p, i)
    })?;
    print_activation(&ActivationView::of(&iid2, &act2))?;

    step(
        8,
        "someone copies the activated state to another machine",
        "cp -r C C2; actline client --state C2 ... --fingerprint samples/fingerprint-b.json status",
    )?;
    let machine_b = posed(include_str!("../../samples/fingerprint-b.json"))?;
    let status = client.status(&machine_b, today)?;
    outln!("   {}", status.describe().replace('\n', "\n   "))?;
    assert!(
        matches!(status, Status::Grace { .. }),
        "a copied state must not count as activated"
    );

    step(
        9,
        "notes uses compact confirmation IDs: 8 groups of 6 digits",
        "actline --home V key issue --product notes --agreement 5001; actline --home V trust export --product notes --out notes-trust.json; ...",
    )?;
    let notes = catalog
        .by_name("notes")
        .context("demo catalog has notes")?
        .clone();
    let nkey = ledger.issue_key(&me, &notes, KeyKind::Mak, Some("5001"), 50, &|k, c| {
        secrets.key_secret(k, c)
    })?;
    let notes_trust =
        home.export_trust(&secrets, &notes, &catalog, &root.join("notes-trust.json"))?;
    let nclient = Client::new(
        root.join("client-notes"),
        actline::client::Trust::load(&notes_trust)?,
    );
    let niid = nclient
        .make_iid(&nkey.key, "notes", &machine_b, today)?
        .context("iid")?;
    let nact = ledger.activate(&niid, &channel, None, None, today, &|g, p, i| {
        secrets.confirmation_id(g, p, i)
    })?;
    print_activation(&ActivationView::of(&niid, &nact))?;
    nclient.confirm(
        nact.confirmation_id.as_deref().context("granted")?,
        &machine_b,
        today,
    )?;
    outln!(
        "   status: {}",
        nclient.status(&machine_b, today)?.describe()
    )?;

    step(
        10,
        "the audit trail is checked",
        "actline --home V audit verify",
    )?;
    outln!(
        "   audit trail intact: {} entries chain",
        ledger.verify_audit()?.0
    )?;
    outln!("\ndone. Try it yourself with the commands above, or `actline --help`.")?;
    Ok(())
}
