//! The vendor's commands: init, keys, activation, batch, catalog, agreements,
//! lookups, staff, audit, advice.

use super::{bad, denied, failed};
use actline::display::visible;
use actline::entitlement::rules::Role;
use actline::entitlement::{advice, Agreements, Catalog, Product};
use actline::home::{os_user, Home};
use actline::ids::InstallationId;
use actline::keys::{KeyKind, ProductKey};
use actline::ledger::{Activation, BatchItem, Ledger, LedgerError};
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde_json::json;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Load the demo catalog and agreements from samples/.
    #[arg(long)]
    demo: bool,
}

#[derive(Subcommand, Debug)]
pub enum KeyCmd {
    /// Issue a product key; prints it.
    Issue {
        /// Product name from the catalog.
        #[arg(long)]
        product: String,
        /// mak, site-host, setup or retail.
        #[arg(long, default_value = "mak")]
        kind: KeyKind,
        /// Activations allowed (default: the agreement's allowance; 6 hosts for site-host; 1 for retail).
        #[arg(long)]
        activations: Option<u32>,
        /// Agreement (licensing ID) the key belongs to.
        #[arg(long)]
        agreement: Option<String>,
    },
    /// Show a key: kind, product, agreement, seats used and left, activations.
    Show {
        /// The product key.
        key: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Change a key's activation limit (supervisors; audited).
    Limit {
        /// The product key.
        key: String,
        /// The new limit.
        limit: u32,
        /// Why (recorded in the audit trail).
        #[arg(long)]
        reason: String,
    },
    /// Revoke a key (a leaked key, a refund): it activates nothing more; existing activations stay (supervisors; audited).
    Revoke {
        /// The product key.
        key: String,
        /// Why (recorded in the audit trail).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Args, Debug)]
pub struct ActivateArgs {
    /// The installation ID, as read out (any grouping).
    iid: String,
    /// The agreement the caller says they are under.
    #[arg(long)]
    agreement: Option<String>,
    /// JSON output: decision, confirmation_id, reasons.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct BatchArgs {
    /// Input: one installation ID a line, or CSV lines `label,installation ID`.
    input: PathBuf,
    /// Output CSV: label, installation ID, decision, confirmation ID, reason.
    output: PathBuf,
    /// Installation IDs per transaction.
    #[arg(long, default_value_t = 100)]
    chunk: usize,
}

#[derive(Subcommand, Debug)]
pub enum CatalogCmd {
    /// Load a catalog file (all or nothing; never drops products in use).
    Load {
        /// The TOML file.
        file: PathBuf,
    },
    /// Show the catalog.
    Show {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum AgreementCmd {
    /// Load an agreements file (all or nothing).
    Load {
        /// The TOML file.
        file: PathBuf,
    },
    /// Show an agreement: keys, seats used and left, activations.
    Show {
        /// Licensing ID.
        id: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ActivationCmd {
    /// Show one activation with its decision trace.
    Show {
        /// Activation number.
        id: i64,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Release the seat an activation holds, so a replacement machine can take it (supervisors; audited).
    Release {
        /// Activation number.
        id: i64,
        /// Why.
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum StaffCmd {
    /// Add a staff member (or change their role).
    Add {
        /// Operating-system user name.
        name: String,
        /// agent or supervisor.
        #[arg(long, value_parser = ["agent", "supervisor"])]
        role: String,
    },
    /// List staff.
    List,
}

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Recompute the hash chain.
    Verify,
    /// Show the trail, optionally filtered.
    Show {
        /// Only entries whose action, actor or subject contains this.
        #[arg(long)]
        filter: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct AdviseArgs {
    /// Product name.
    #[arg(long)]
    product: String,
    /// Machines planned.
    #[arg(long)]
    machines: u32,
}

/// Opens the ledger of a home, after refusing a home or secrets directory
/// others can write (and reporting one that cannot be examined).
pub fn open(home: &Home) -> Result<Ledger> {
    home.check_permissions()?;
    match Ledger::open(&home.ledger_path()) {
        Err(LedgerError::Missing(_)) => Err(bad(format!(
            "{}: no ledger here — run `actline --home {} init --demo` first",
            home.dir().display(),
            home.dir().display()
        ))),
        other => Ok(other?),
    }
}

pub fn init(home: &Home, a: &InitArgs) -> Result<()> {
    let me = os_user();
    let (_, _, catalog) = home.init(&me, a.demo)?;
    let trust = home.trust_path();
    outln!("initialised {}", home.dir().display())?;
    outln!("  ledger   {}", home.ledger_path().display())?;
    outln!(
        "  secrets  {} (owner-only)",
        home.dir().join("secrets").display()
    )?;
    outln!(
        "  trust    {} (every product's secrets: vendor-only; give clients `actline trust export --product P --out FILE`)",
        trust.display()
    )?;
    outln!("  staff    {me} (supervisor)")?;
    if a.demo {
        outln!(
            "  catalog  {} products, agreements loaded",
            catalog.products.len()
        )?;
    }
    Ok(())
}

/// A product by name, or a usage error listing the catalog's products.
pub fn product<'a>(catalog: &'a Catalog, name: &str) -> Result<&'a Product> {
    catalog.by_name(name).ok_or_else(|| {
        bad(format!(
            "product {name:?} is not in the catalog (known: {})",
            catalog
                .products
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

fn parse_key(ledger: &Ledger, typed: &str) -> Result<actline::entitlement::KeyRecord> {
    let key = ProductKey::parse(typed).map_err(|e| bad(format!("product key: {e}")))?;
    let rec = ledger
        .key(key.serial())?
        .ok_or_else(|| bad(format!("key {} is not on record", key.short())))?;
    if rec.key != key.to_string() {
        return Err(bad(format!("key {} is not on record", key.short())));
    }
    Ok(rec)
}

pub fn key(home: &Home, cmd: KeyCmd) -> Result<()> {
    let mut ledger = open(home)?;
    let me = os_user();
    match cmd {
        KeyCmd::Issue {
            product: name,
            kind,
            activations,
            agreement,
        } => {
            let secrets = home.secrets()?;
            let catalog = ledger.catalog()?;
            let p = product(&catalog, &name)?.clone();
            let agreements = ledger.agreements()?;
            if let Some(id) = agreement.as_deref() {
                agreements
                    .get(id)
                    .ok_or_else(|| bad(format!("agreement {id} is not on file")))?;
            }
            let default = match kind {
                KeyKind::SiteHost => Some(actline::entitlement::rules::SITE_HOSTS_MAX),
                KeyKind::Retail | KeyKind::Setup => Some(1),
                KeyKind::Mak => agreement
                    .as_deref()
                    .and_then(|a| agreements.get(a))
                    .and_then(|a| a.allowance()),
            };
            let limit = activations
                .or(default)
                .ok_or_else(|| bad("--activations N is needed (no agreement allowance applies)"))?;
            let rec = ledger.issue_key(&me, &p, kind, agreement.as_deref(), limit, &|k, c| {
                secrets.key_secret(k, c)
            })?;
            outln!("{}", rec.key)?;
            Ok(())
        }
        KeyCmd::Show { key, json } => {
            let rec = parse_key(&ledger, &key)?;
            let usage = ledger.key_usage(rec.serial)?.context("key vanished")?;
            let acts = ledger.activations_of(rec.serial)?;
            let catalog = ledger.catalog()?;
            let pname = catalog
                .by_code(rec.product)
                .map(|p| p.name.clone())
                .unwrap_or_else(|| rec.product.to_string());
            if json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(
                        &json!({"key": usage.key, "product": pname, "used": usage.used, "left": usage.left, "activations": acts})
                    )?
                )?;
            } else {
                outln!("key        {}", rec.key)?;
                outln!("kind       {}", rec.kind)?;
                outln!("product    {}", visible(&pname))?;
                outln!(
                    "agreement  {}",
                    visible(rec.agreement.as_deref().unwrap_or("(direct)"))
                )?;
                if rec.revoked {
                    outln!(
                        "seats      revoked: {} used, 0 left (the limit was {})",
                        usage.used,
                        rec.limit
                    )?;
                } else {
                    outln!(
                        "seats      {} used, {} left of {}",
                        usage.used,
                        usage.left,
                        rec.limit
                    )?;
                }
                for a in acts {
                    outln!(
                        "  #{:<5} {} {:<8} {}{}",
                        a.id,
                        a.created_at,
                        a.decision,
                        visible(a.label.as_deref().unwrap_or_default()),
                        if a.released { " (seat released)" } else { "" }
                    )?;
                }
            }
            Ok(())
        }
        KeyCmd::Limit { key, limit, reason } => {
            let rec = parse_key(&ledger, &key)?;
            let rec = ledger.set_limit(&me, rec.serial, limit, &reason)?;
            outln!("limit of {} is now {}", rec.key, rec.limit)?;
            Ok(())
        }
        KeyCmd::Revoke { key, reason } => {
            let rec = parse_key(&ledger, &key)?;
            ledger.revoke_key(&me, rec.serial, &reason)?;
            outln!("{} is revoked: it activates nothing more", rec.key)?;
            Ok(())
        }
    }
}

/// Prints a decision for people; text from outside (customer names and
/// labels in the trace) is shown through [`visible`].
pub fn print_activation(a: &Activation) -> std::io::Result<()> {
    outln!("decision: {} (activation #{})", a.decision.word(), a.id)?;
    for r in &a.decision.trace {
        outln!("  - {}", visible(r))?;
    }
    if let Some(cid) = &a.confirmation_id {
        outln!("confirmation ID:")?;
        for (i, g) in cid.split('-').enumerate() {
            out!(
                "{}{:>2}: {g}",
                if i % 5 == 0 { "\n  " } else { "   " },
                i + 1
            )?;
        }
        outln!("\n\n  {cid}")?;
    }
    Ok(())
}

pub fn activate(home: &Home, a: &ActivateArgs) -> Result<()> {
    let iid = InstallationId::parse(&a.iid).map_err(|e| bad(format!("installation ID: {e}")))?;
    let secrets = home.secrets()?;
    let mut ledger = open(home)?;
    let channel = ledger.channel_for(&os_user())?;
    let act = ledger.activate(
        &iid,
        &channel,
        a.agreement.as_deref(),
        None,
        actline::days::today(),
        &|g, p, i| secrets.confirmation_id(g, p, i),
    )?;
    if a.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "decision": act.decision.word(),
                "activation": act.id,
                "installation_id": iid.to_string(),
                "product": act.product.as_ref().map(|p| p.name.clone()),
                "confirmation_id": act.confirmation_id,
                "reasons": act.decision.trace,
                "remedy": act.decision.outcome.as_ref().err().map(|d| d.remedy.clone()),
            }))?
        )?;
    } else {
        print_activation(&act)?;
    }
    match &act.decision.outcome {
        Ok(_) => Ok(()),
        Err(d) => Err(denied(format!("denied — {}", d.remedy))),
    }
}

/// Reads batch input: `IID` or `label,IID` a line; blank lines and lines
/// starting with `#` are skipped; a header line `label,...` is skipped.
fn read_batch(path: &PathBuf) -> Result<Vec<(usize, Option<String>, String)>> {
    let text =
        std::fs::read_to_string(path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
    // Spreadsheets write a byte-order mark first.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty()
            || line.starts_with('#')
            || line.to_ascii_lowercase().starts_with("label,")
        {
            continue;
        }
        let (label, iid) = split_label(line);
        out.push((i + 1, label, iid));
    }
    Ok(out)
}

/// Splits a batch line into an optional CSV label (quoted with `"` and `""`
/// when it holds commas) and the installation ID.
fn split_label(line: &str) -> (Option<String>, String) {
    if let Some(rest) = line.strip_prefix('"') {
        let mut label = String::new();
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if chars.peek().map(|p| p.1) == Some('"') {
                    chars.next();
                    label.push('"');
                    continue;
                }
                let after = rest[i + 1..].trim_start();
                let iid = after.strip_prefix(',').unwrap_or(after);
                return (Some(label), iid.trim().trim_matches('"').to_string());
            }
            label.push(c);
        }
    }
    match line.split_once(',') {
        Some((l, r)) => (
            Some(l.trim().to_string()),
            r.trim().trim_matches('"').to_string(),
        ),
        None => (None, line.to_string()),
    }
}

/// A CSV field. A field a spreadsheet would run as a formula is prefixed
/// with `'`: one starting with `=`, `+`, `-` or `@`, or with a tab or a
/// carriage return (spreadsheets skip those and run what follows, so
/// `"\t=cmd"` is a formula too). A field holding a comma, a quote, a line
/// feed or a bare carriage return is quoted, so every record stays one row.
fn csv(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn batch(home: &Home, a: &BatchArgs) -> Result<()> {
    home.refuse_output(&a.output)
        .map_err(|e| bad(e.to_string()))?;
    let lines = read_batch(&a.input)?;
    let secrets = home.secrets()?;
    let mut ledger = open(home)?;
    let channel = ledger.channel_for(&os_user())?;
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&a.output)
            .map_err(|e| bad(format!("{}: {e}", a.output.display())))?,
    );
    writeln!(out, "label,installation_id,decision,confirmation_id,reason")?;
    // Results are written in input order: an unreadable line's row goes out
    // just before the next decided line after it.
    let mut items = Vec::new();
    let mut item_lines = Vec::new();
    let mut rejected = std::collections::VecDeque::new();
    for (line, label, text) in &lines {
        match InstallationId::parse(text) {
            Ok(iid) => {
                items.push(BatchItem {
                    iid,
                    label: label.clone(),
                });
                item_lines.push(*line);
            }
            Err(e) => rejected.push_back((
                *line,
                format!(
                    "{},{},invalid,,{}",
                    csv(label.as_deref().unwrap_or("")),
                    csv(text),
                    csv(&format!("{}: line {line}: {e}", a.input.display()))
                ),
            )),
        }
    }
    let invalid = rejected.len();
    let total = items.len();
    let tty = std::io::stderr().is_terminal();
    let (mut done, mut granted) = (0usize, 0usize);
    let mut write_err: Option<std::io::Error> = None;
    let mut progress = |acts: &[Activation]| {
        for act in acts {
            let item = &items[done];
            while rejected
                .front()
                .is_some_and(|(line, _)| *line < item_lines[done])
            {
                if let Some((_, row)) = rejected.pop_front() {
                    if let Err(e) = writeln!(out, "{row}") {
                        write_err.get_or_insert(e);
                    }
                }
            }
            done += 1;
            granted += act.decision.outcome.is_ok() as usize;
            let reason = act.decision.trace.last().cloned().unwrap_or_default();
            let r = writeln!(
                out,
                "{},{},{},{},{}",
                csv(item.label.as_deref().unwrap_or("")),
                item.iid,
                act.decision.word(),
                act.confirmation_id.as_deref().unwrap_or(""),
                csv(&reason)
            );
            if let Err(e) = r {
                write_err.get_or_insert(e);
            }
        }
        // A committed chunk's results reach the disk before the next chunk.
        if let Err(e) = out.flush() {
            write_err.get_or_insert(e);
        }
        if tty {
            let width = 30;
            let filled = (done * width).checked_div(total).unwrap_or(width);
            eprint!(
                "\r[{}{}] {done}/{total}",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
        }
    };
    let result = ledger.activate_batch(
        &items,
        a.chunk,
        &channel,
        actline::days::today(),
        &|g, p, i| secrets.confirmation_id(g, p, i),
        &mut progress,
    );
    for (_, row) in rejected {
        writeln!(out, "{row}")?;
    }
    out.flush()?;
    if tty {
        eprintln!();
    }
    result?;
    if let Some(e) = write_err {
        return Err(bad(format!("{}: {e}", a.output.display())));
    }
    eprintln!(
        "{total} decided: {granted} granted, {} denied; {invalid} invalid lines; results in {}",
        total - granted,
        a.output.display()
    );
    Ok(())
}

pub fn catalog(home: &Home, cmd: CatalogCmd) -> Result<()> {
    let mut ledger = open(home)?;
    match cmd {
        CatalogCmd::Load { file } => {
            let name = file.display().to_string();
            let text = std::fs::read_to_string(&file).map_err(|e| bad(format!("{name}: {e}")))?;
            let c = Catalog::parse(&name, &text).map_err(|e| bad(e.to_string()))?;
            ledger.set_catalog(&c, &os_user(), &name)?;
            let secrets = home.secrets()?;
            home.write_trust(&secrets, &c)?;
            outln!(
                "loaded {} products from {name}; trust file updated",
                c.products.len()
            )?;
        }
        CatalogCmd::Show { json } => {
            let c = ledger.catalog()?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&c)?)?;
            } else {
                for (family, versions) in c.families() {
                    outln!("{}", visible(family))?;
                    for p in versions {
                        outln!(
                            "  {:<12} code {:<5} version {:<3} {:<11} {:<7} site threshold {}{}",
                            visible(&p.name),
                            p.code,
                            p.version,
                            p.class.name(),
                            p.profile.name(),
                            c.threshold(p),
                            if p.own_key { ", needs its own key" } else { "" }
                        )?;
                    }
                }
                for h in &c.hosts {
                    outln!(
                        "host {} activates {}",
                        visible(&h.host),
                        visible(&h.activates.join(", "))
                    )?;
                }
            }
        }
    }
    Ok(())
}

pub fn agreement(home: &Home, cmd: AgreementCmd) -> Result<()> {
    let mut ledger = open(home)?;
    match cmd {
        AgreementCmd::Load { file } => {
            let name = file.display().to_string();
            let text = std::fs::read_to_string(&file).map_err(|e| bad(format!("{name}: {e}")))?;
            let a = Agreements::parse(&name, &text).map_err(|e| bad(e.to_string()))?;
            ledger.set_agreements(&a, &os_user(), &name)?;
            outln!("loaded {} agreements from {name}", a.0.len())?;
        }
        AgreementCmd::Show { id, json } => {
            let all = ledger.agreements()?;
            let a = all
                .get(&id)
                .ok_or_else(|| bad(format!("agreement {id} is not on file")))?;
            let keys = ledger.keys_of(&id)?;
            let affiliates: Vec<&str> = all
                .0
                .values()
                .filter(|x| x.parent.as_deref() == Some(id.as_str()))
                .map(|x| x.id.as_str())
                .collect();
            let mut acts = Vec::new();
            for k in &keys {
                acts.extend(ledger.activations_of(k.key.serial)?);
            }
            if json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(
                        &json!({"agreement": a, "allowance": a.allowance(), "affiliates": affiliates, "keys": keys, "activations": acts})
                    )?
                )?;
            } else {
                outln!(
                    "{} — {}",
                    visible(&a.label()),
                    a.level
                        .map(|l| format!("level {l:?}"))
                        .or(a.licences.map(|n| format!("{n} licences")))
                        .unwrap_or_default()
                )?;
                if let Some(p) = &a.parent {
                    outln!("affiliate of {}: may use its keys", visible(p))?;
                }
                if !affiliates.is_empty() {
                    outln!("affiliates: {}", visible(&affiliates.join(", ")))?;
                }
                for k in &keys {
                    outln!(
                        "  {} {:<9} {} used, {} left{}",
                        k.key.key,
                        k.key.kind.name(),
                        k.used,
                        k.left,
                        if k.key.revoked { " (revoked)" } else { "" }
                    )?;
                }
                outln!("{} activations recorded", acts.len())?;
            }
        }
    }
    Ok(())
}

pub fn activation(home: &Home, cmd: ActivationCmd) -> Result<()> {
    let mut ledger = open(home)?;
    match cmd {
        ActivationCmd::Show { id, json } => {
            let a = ledger
                .activation(id)?
                .ok_or_else(|| bad(format!("no activation #{id}")))?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&a)?)?;
            } else {
                outln!(
                    "activation #{} — {} by {} at {}",
                    a.id,
                    a.decision,
                    visible(&a.actor),
                    a.created_at
                )?;
                outln!("installation ID  {}", a.installation_id)?;
                if a.released {
                    outln!("seat             released (the machine was replaced; the key's next new machine takes the seat)")?;
                }
                if let Some(c) = &a.confirmation_id {
                    outln!("confirmation ID  {c}")?;
                }
                for r in &a.reasons {
                    outln!("  - {}", visible(r))?;
                }
            }
        }
        ActivationCmd::Release { id, reason } => {
            ledger.release_seat(&os_user(), id, &reason)?;
            outln!("seat of activation #{id} released")?;
        }
    }
    Ok(())
}

pub fn staff(home: &Home, cmd: StaffCmd) -> Result<()> {
    let mut ledger = open(home)?;
    match cmd {
        StaffCmd::Add { name, role } => {
            let role = if role == "supervisor" {
                Role::Supervisor
            } else {
                Role::Agent
            };
            ledger.add_staff(&os_user(), &name, role)?;
            outln!("{} is now {}", visible(&name), role.name())?;
        }
        StaffCmd::List => {
            for (n, r) in ledger.staff()? {
                outln!("{} {}", visible(&n), r.name())?;
            }
        }
    }
    Ok(())
}

pub fn audit(home: &Home, cmd: AuditCmd) -> Result<()> {
    // A ledger too damaged to open fails verification too.
    let ledger = match open(home) {
        Err(e)
            if e.chain().any(|c| {
                matches!(
                    c.downcast_ref::<LedgerError>(),
                    Some(LedgerError::Corrupt { .. } | LedgerError::CorruptRow { .. })
                )
            }) =>
        {
            return Err(failed(format!("{e:#}")))
        }
        other => other?,
    };
    match cmd {
        AuditCmd::Verify => match ledger.verify_audit() {
            Ok((n, head)) => {
                outln!("audit trail intact: {n} entries chain; newest entry's hash {head}")?
            }
            Err(e) => return Err(failed(e.to_string())),
        },
        AuditCmd::Show { filter } => {
            for e in ledger.audit_entries()? {
                if let Some(f) = &filter {
                    if ![&e.action, &e.actor, &e.subject, &e.detail]
                        .iter()
                        .any(|s| s.contains(f.as_str()))
                    {
                        continue;
                    }
                }
                // Reasons are free text: never let them drive the terminal.
                outln!(
                    "{:>5} {} {:<12} {:<16} {} {}",
                    e.id,
                    e.at,
                    visible(&e.actor),
                    visible(&e.action),
                    visible(&e.subject),
                    visible(&e.detail)
                )?;
            }
        }
    }
    Ok(())
}

pub fn advise(home: &Home, a: &AdviseArgs) -> Result<()> {
    let ledger = open(home)?;
    let catalog = ledger.catalog()?;
    let p = product(&catalog, &a.product)?;
    if a.machines == 0 {
        return Err(bad("--machines must be at least 1"));
    }
    let adv = advice::recommend(&catalog, p, a.machines);
    outln!("{}: {}", adv.kind, visible(&adv.reason))?;
    Ok(())
}
