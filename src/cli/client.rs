//! `actline client`: the customer's machine.

pub use super::args::{ClientArgs, ClientCmd, SiteCmd};
use super::{bad, denied, failed};
use actline::client::{Client, Trust};
use actline::fingerprint::Components;
use anyhow::Result;
use std::path::PathBuf;

/// The machine to act as: a posed fingerprint file or this machine.
pub fn machine(file: &Option<PathBuf>) -> Result<Components> {
    match file {
        Some(f) => actline::client::read_fingerprint(f).map_err(|e| bad(e.to_string())),
        None => Ok(actline::client::collect()),
    }
}

pub fn run(a: ClientArgs) -> Result<()> {
    let dir = a.state.clone().unwrap_or_else(Client::default_dir);
    if let ClientCmd::Fingerprint = a.command {
        outln!(
            "{}",
            serde_json::to_string_pretty(&machine(&a.fingerprint)?)?
        )?;
        return Ok(());
    }
    let trust_path = a.trust.clone().unwrap_or_else(|| dir.join("trust.json"));
    let trust = Trust::load(&trust_path)?;
    let client = Client::new(dir, trust);
    let m = machine(&a.fingerprint)?;
    let today = actline::days::today();
    match a.command {
        ClientCmd::Iid { key, product } => match client.make_iid(&key, &product, &m, today)? {
            Some(iid) => outln!("{iid}")?,
            None => outln!("{product}: unlocked by a setup key — no activation needed")?,
        },
        ClientCmd::Confirm { cid, product } => {
            let terms = client.with_product(product).confirm(&cid, &m, today)?;
            outln!(
                "activated ({} key{})",
                terms.kind,
                if terms.reactivation {
                    ", reactivation"
                } else {
                    ""
                }
            )?;
        }
        ClientCmd::Status { json, product } => {
            let s = client.with_product(product).status(&m, today)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&s)?)?;
            } else {
                for line in s.describe().lines() {
                    outln!("{}", actline::display::visible(line))?;
                }
            }
            if let Some(reason) = s.ended() {
                return Err(failed(format!("activation ended: {reason}")));
            }
        }
        ClientCmd::Site(cmd) => return site(client, a.state, a.fingerprint, m, cmd),
        ClientCmd::Fingerprint => unreachable!("handled above"),
    }
    Ok(())
}

/// `actline client site …`.
fn site(
    client: Client,
    state: Option<PathBuf>,
    fingerprint: Option<PathBuf>,
    m: Components,
    cmd: SiteCmd,
) -> Result<()> {
    use actline::client::site;
    let now = site::now();
    let dir = state.unwrap_or_else(Client::default_dir);
    match cmd {
        SiteCmd::Serve { listen, product } => {
            // The host re-reads its machine at each self-check: a posed
            // fingerprint from its file, or this machine's hardware.
            let machine: site::host::Machine = Box::new(move || match &fingerprint {
                Some(f) => actline::client::read_fingerprint(f)
                    .map_err(|e| actline::client::ClientError::Setup(e.to_string())),
                None => Ok(actline::client::collect()),
            });
            // The address first: a host that cannot listen touches nothing.
            let listener =
                site::host::listen(&listen).map_err(|e| bad(format!("--listen {listen}: {e}")))?;
            let host = site::host::Host::open(&dir, client.trust().clone(), product, machine)?;
            let addr = listener.local_addr()?;
            to_stderr(&format!(
                "site host {} serving {} on {addr} (journal {})",
                host.product(),
                host.hosted().join(", "),
                host.dir().join(site::host::JOURNAL_FILE).display()
            ));
            let log: std::sync::Arc<dyn Fn(&str) + Send + Sync> =
                std::sync::Arc::new(|line: &str| {
                    to_stderr(&format!("site host: {}", actline::display::visible(line)))
                });
            site::host::serve(listener, std::sync::Arc::new(host), log)?;
        }
        SiteCmd::Activate {
            host,
            product,
            key,
            json,
        } => {
            let outcome = client.site_activate(&host, &product, key.as_deref(), &m, now)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&outcome)?)?;
            } else {
                outln!("{}", actline::display::visible(&outcome.describe()))?;
            }
            if let site::lease::SiteOutcome::Counting {
                count, threshold, ..
            } = outcome
            {
                return Err(denied(format!(
                    "not activated yet: {count} of {threshold} machines"
                )));
            }
        }
        SiteCmd::Status { json, product } => {
            // The host's own state has its key file; a machine's has a lease.
            if dir.join(site::host::KEY_FILE).exists() {
                let host_product = client.product_here(product)?;
                let st = site::host::status(&dir, client.trust(), &host_product, now)?;
                if json {
                    outln!("{}", serde_json::to_string_pretty(&st)?)?;
                    return Ok(());
                }
                for p in st {
                    outln!(
                        "{}: {} of {} machines in the last 30 days ({}), {} leases",
                        p.product,
                        p.count,
                        p.threshold,
                        if p.count >= p.threshold {
                            "activating"
                        } else {
                            "counting"
                        },
                        p.leases
                    )?;
                    for r in p.recent {
                        outln!(
                            "  machine {}: last request {}, {}",
                            r.machine,
                            actline::days::format(site::day_of(r.last_seen)),
                            r.lease_expires.map_or("no lease".into(), |e| format!(
                                "lease until {}",
                                actline::days::format(site::day_of(e))
                            ))
                        )?;
                    }
                }
                return Ok(());
            }
            let st = client.with_product(product).site_status(&m, now)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&st)?)?;
            } else {
                outln!(
                    "{}: {} (host {}; {} of {} machines counted){}",
                    st.product,
                    match &st.lease_expires {
                        Some(e) => format!("lease until {e}, {} days left", st.lease_days_left),
                        None => "no lease holds".into(),
                    },
                    actline::display::visible(&st.host),
                    st.count,
                    st.threshold,
                    st.last_renewal
                        .as_ref()
                        .map(|r| format!(", last renewal {r}"))
                        .unwrap_or_default()
                )?;
            }
        }
    }
    Ok(())
}

/// One line to standard error; a closed stderr is no reason to stop serving.
fn to_stderr(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
