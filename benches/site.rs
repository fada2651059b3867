//! Site activation under load (issue 14): one site host on loopback, 1,000
//! client machines that all hold a lease, renewing at the same moment.
//!
//! The vendor home and the host are set up with the real `actline` binary,
//! as a vendor and a site's administrator would (demo home, a vault
//! site-host key activated by phone, a notes volume key); the host then
//! serves in this process ([`Host::open`] + [`site::host::serve`] on
//! 127.0.0.1:0). Every client is a distinct posed machine, its request built
//! as `Client::site_activate` builds it.
//!
//! Each round releases 1,000 threads at once through a [`Barrier`]; each
//! sends one renewal with [`net::ask`] and times it from connect to the
//! answer read. The client-side check of the answer ([`Signed::verify`],
//! two pairings) runs after every thread of the round has its answer, so
//! it neither counts in the latency nor competes with the host for the two
//! cores. Printed per round: requests per second (answers over the wall
//! time from the first connect to the last answer), p50/p99/max latency,
//! leases renewed, what the host refused and why, and the loopback's TCP
//! listen-queue overflows and SYN retransmissions during the round (Linux,
//! `/proc/net/netstat`: a dropped SYN is sent again after 1 s). A fourth
//! round of 100 clients, fewer than the listen backlog, is the comparison.
//! Before the rounds,
//! one thread renews 200 machines one after another (the host's service
//! time without contention), and the cost of one journal line written and
//! flushed to this disk is measured beside it.
//!
//! Bounded: `net::ask` connects within 5 s and reads within 10 s, and a
//! watchdog ends the process if a round takes more than two minutes.
//!
//! `cargo bench --bench site` (a plain program: `harness = false`, no
//! criterion). `ACTLINE_SITE_CLIENTS=N` changes the number of machines.

mod common;
use actline::client::site::{
    self,
    book::{Book, Hosted, Request},
    host::{Host, Machine},
    net,
    wire::{nonce, Ask, Credentials, HostKey, Reply, Signed, Verdict, VERSION},
};
use actline::client::{ClientError, Trust};
use actline::fingerprint::Components;
use actline::ids::InstallationId;
use actline::keys::ProductKey;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

const ROUNDS: usize = 3;
const ROUND_LIMIT: Duration = Duration::from_secs(120);
const PRODUCT: &str = "notes";

fn main() {
    let clients: usize = std::env::var("ACTLINE_SITE_CLIENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000);
    let dir = tempfile::tempdir().unwrap();
    let setup = Instant::now();
    let site = Site::set_up(dir.path());
    println!(
        "site: vendor home, vault host activated by phone, notes key: {:.1} s ({})",
        setup.elapsed().as_secs_f64(),
        dir.path().display()
    );

    // The host, in this process, on a port of the OS's choosing.
    let posed = site.host_fingerprint.clone();
    let machine: Machine = Box::new(move || {
        actline::client::read_fingerprint(&posed).map_err(|e| ClientError::Setup(e.to_string()))
    });
    let host = Host::open(
        &site.host_state,
        Trust::load(&site.vault_trust).unwrap(),
        Some("vault".into()),
        machine,
    )
    .unwrap();
    let listener = actline::client::site::host::listen("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let refusals: Arc<Mutex<Vec<String>>> = Arc::default();
    let log_to = refusals.clone();
    let log: Arc<dyn Fn(&str) + Send + Sync> = Arc::new(move |line: &str| {
        // "PEER: what": keep what, so equal refusals count together.
        let what = line.split_once(": ").map_or(line, |(_, w)| w);
        log_to.lock().unwrap().push(what.to_string());
    });
    let host = Arc::new(host);
    std::thread::Builder::new()
        .name("site-serve".into())
        .spawn(move || site::host::serve(listener, host, log))
        .unwrap();
    println!("host serving notes on {addr}");

    let fleet = Arc::new(Fleet::new(&site, clients));

    // Every machine takes its lease, one after another; the first 24 are
    // counted below notes' threshold of 25 and ask again once it is reached.
    let t = Instant::now();
    let mut counting = Vec::new();
    for i in 0..clients {
        if let Verdict::Counting { .. } = fleet.ask_one(&addr, i).unwrap() {
            counting.push(i);
        }
    }
    for &i in &counting {
        let v = fleet.ask_one(&addr, i).unwrap();
        assert!(matches!(v, Verdict::Leased { .. }), "machine {i}: {v:?}");
    }
    println!(
        "leased {clients} machines one by one ({} counted first, below the threshold): {:.1} s, {:.0} requests/s with each answer's check",
        counting.len(),
        t.elapsed().as_secs_f64(),
        (clients + counting.len()) as f64 / t.elapsed().as_secs_f64()
    );
    refusals.lock().unwrap().clear();

    journal_flush_cost(&site.host_state);
    host_cpu_cost(clients);

    // One client renewing in turn: the host's own time per request.
    let n = clients.min(200);
    let mut lat = Vec::with_capacity(n);
    for i in 0..n {
        let ask = fleet.ask(i).unwrap();
        let t0 = Instant::now();
        let reply = net::ask(&addr, &ask).unwrap();
        lat.push(t0.elapsed());
        let v = fleet.check(&ask, reply).unwrap();
        assert!(matches!(v, Verdict::Leased { renewed: true, .. }), "{v:?}");
    }
    let busy: Duration = lat.iter().sum();
    lat.sort();
    println!(
        "sequential: {n} renewals from one thread: {:.0} requests/s (over the time in net::ask; the checks left out), p50 {}, p99 {}",
        n as f64 / busy.as_secs_f64(),
        ms(pct(&lat, 50.0)),
        ms(pct(&lat, 99.0)),
    );

    println!();
    println!("| round | clients | answered | renewed | refused | rps | p50 | p99 | max | ≥ 1 s | wall | listen overflows | SYN retransmits |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    // The three rounds, then one of 100 clients: fewer than the listen
    // backlog (128), for comparison.
    let control = clients.min(100);
    for (r, n) in (1..=ROUNDS)
        .map(|r| (r.to_string(), clients))
        .chain([(format!("{control} only"), control)])
    {
        let before = tcp_counters();
        let out = round(&addr, &fleet, n);
        let after = tcp_counters();
        let logged = std::mem::take(&mut *refusals.lock().unwrap());
        out.print(
            &r,
            n,
            before.zip(after).map(|(b, a)| (a.0 - b.0, a.1 - b.1)),
        );
        for (why, n) in out.failures.iter().chain(&tally(&logged)) {
            eprintln!("  round {r}: {n} × {why}");
        }
        // Let the host's connection threads finish before the next round.
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// This network namespace's TCP listen-queue overflows and SYN
/// retransmissions so far (`/proc/net/netstat`), where Linux has them.
fn tcp_counters() -> Option<(i64, i64)> {
    let text = std::fs::read_to_string("/proc/net/netstat").ok()?;
    let mut lines = text.lines().filter(|l| l.starts_with("TcpExt:"));
    let (names, values) = (lines.next()?, lines.next()?);
    let field = |want: &str| {
        names
            .split_whitespace()
            .zip(values.split_whitespace())
            .find(|(n, _)| *n == want)
            .and_then(|(_, v)| v.parse::<i64>().ok())
    };
    Some((field("ListenOverflows")?, field("TCPSynRetrans")?))
}

/// The vendor home, the activated host state and the clients' material.
struct Site {
    host_state: PathBuf,
    host_fingerprint: PathBuf,
    vault_trust: PathBuf,
    notes_trust: PathBuf,
    notes_key: String,
}

impl Site {
    /// Sets up the site in `dir` with the `actline` binary (the manual
    /// recipe of the README's site activation section).
    fn set_up(dir: &Path) -> Self {
        let home = dir.join("V");
        let vendor = |args: &[&str]| {
            let mut a = vec!["--home", home.to_str().unwrap()];
            a.extend_from_slice(args);
            actline(&a)
        };
        vendor(&["init", "--demo"]);
        let host_key = vendor(&["key", "issue", "--product", "vault", "--kind", "site-host"]);
        let notes_key = vendor(&[
            "key",
            "issue",
            "--product",
            "notes",
            "--activations",
            "1000",
        ]);
        let (vault_trust, notes_trust) =
            (dir.join("vault-trust.json"), dir.join("notes-trust.json"));
        for (p, f) in [("vault", &vault_trust), ("notes", &notes_trust)] {
            vendor(&[
                "trust",
                "export",
                "--product",
                p,
                "--out",
                f.to_str().unwrap(),
            ]);
        }
        let host_state = dir.join("H");
        let host_fingerprint =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/fingerprint-a.json");
        let host = |args: &[&str]| {
            let mut a = vec![
                "client",
                "--state",
                host_state.to_str().unwrap(),
                "--trust",
                vault_trust.to_str().unwrap(),
                "--fingerprint",
                host_fingerprint.to_str().unwrap(),
            ];
            a.extend_from_slice(args);
            actline(&a)
        };
        let iid = host(&["iid", "--key", &host_key, "--product", "vault"]);
        assert_eq!(iid.split('-').count(), 14, "a site host's ID: {iid}");
        let grant: serde_json::Value =
            serde_json::from_str(&vendor(&["activate", &iid, "--json"])).unwrap();
        let cid = grant["confirmation_id"]
            .as_str()
            .unwrap_or_else(|| panic!("activate: {grant}"));
        host(&["confirm", cid]);
        Site {
            host_state,
            host_fingerprint,
            vault_trust,
            notes_trust,
            notes_key,
        }
    }
}

/// Runs the `actline` binary; its standard output, trimmed.
fn actline(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_actline"))
        .env_remove("ACTLINE_HOME")
        .env_remove("ACTLINE_CLIENT_DIR")
        .env_remove("ACTLINE_TODAY")
        .env_remove("ACTLINE_TRUST")
        .env_remove("ACTLINE_SERVER")
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "actline {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// The client machines: what each needs to ask and to check an answer.
struct Fleet {
    trust: Trust,
    code: u16,
    key: ProductKey,
    salt: Vec<u8>,
    machines: Vec<Components>,
}

impl Fleet {
    fn new(site: &Site, n: usize) -> Self {
        let trust = Trust::load(&site.notes_trust).unwrap();
        let code = trust.product(PRODUCT).unwrap().code;
        let salt = trust.salt();
        Fleet {
            trust,
            code,
            key: ProductKey::parse(&site.notes_key).unwrap(),
            salt,
            machines: (0..n as u32).map(machine).collect(),
        }
    }

    /// A fresh request for machine `i`, as `Client::site_activate` makes it.
    fn ask(&self, i: usize) -> Result<Ask, ClientError> {
        let now = site::now();
        let hw = self.machines[i].hash(&self.salt, self.key.serial());
        let iid = InstallationId::new(self.code, &self.key, hw, site::day_of(now));
        Ok(Ask {
            actline_site: VERSION,
            product: PRODUCT.into(),
            iid: iid.to_string(),
            nonce: nonce()?,
            time: now,
        })
    }

    /// The verdict of a verified answer, or what went wrong.
    fn check(&self, ask: &Ask, reply: Reply) -> Result<Verdict, String> {
        if let Some(why) = reply.refused {
            return Err(format!("refused: {why}"));
        }
        let answer: Signed = reply.answer.ok_or("neither an answer nor a refusal")?;
        answer
            .verify(&self.trust, ask, Some(site::now()))
            .map_err(|e| format!("does not verify: {e}"))?;
        Ok(answer.verdict)
    }

    fn ask_one(&self, addr: &str, i: usize) -> Result<Verdict, String> {
        let ask = self.ask(i).map_err(|e| e.to_string())?;
        let reply = net::ask(addr, &ask).map_err(|e| e.to_string())?;
        self.check(&ask, reply)
    }
}

/// A distinct machine `n` (as the integration tests pose them).
fn machine(n: u32) -> Components {
    Components {
        machine_id: format!("machine-{n}"),
        board: format!("board-{n}"),
        cpu: "cpu".into(),
        memory: "16GiB".into(),
        disk: format!("disk-{n}"),
        nic: format!("nic-{n}"),
        gpu: "gpu".into(),
        volume: format!("volume-{n}"),
        virtual_machine: n.is_multiple_of(2),
    }
}

/// What one round came to.
struct Round {
    /// Latency of every request that got a reply (lease or refusal).
    latencies: Vec<Duration>,
    answered: usize,
    renewed: usize,
    refused: usize,
    wall: Duration,
    /// Client-side failures (no reply, refusals, answers that do not verify).
    failures: BTreeMap<String, usize>,
}

impl Round {
    fn print(&self, r: &str, clients: usize, tcp: Option<(i64, i64)>) {
        let slow = self
            .latencies
            .iter()
            .filter(|d| **d >= Duration::from_secs(1))
            .count();
        println!(
            "| {r} | {clients} | {} | {} | {} | {:.0} | {} | {} | {} | {slow} | {:.2} s | {} | {} |",
            self.answered,
            self.renewed,
            self.refused,
            self.answered as f64 / self.wall.as_secs_f64(),
            ms(pct(&self.latencies, 50.0)),
            ms(pct(&self.latencies, 99.0)),
            ms(self.latencies.last().copied().unwrap_or_default()),
            self.wall.as_secs_f64(),
            tcp.map_or("?".into(), |t| t.0.to_string()),
            tcp.map_or("?".into(), |t| t.1.to_string()),
        );
    }
}

/// `clients` threads, released at once, each renewing its machine's lease.
fn round(addr: &str, fleet: &Arc<Fleet>, clients: usize) -> Round {
    let done = Arc::new(AtomicBool::new(false));
    let watch = done.clone();
    std::thread::spawn(move || {
        let start = Instant::now();
        while !watch.load(Ordering::Relaxed) {
            if start.elapsed() > ROUND_LIMIT {
                eprintln!(
                    "site bench: a round took over {} s; stopping",
                    ROUND_LIMIT.as_secs()
                );
                std::process::exit(1);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let go = Arc::new(Barrier::new(clients));
    let answered = Arc::new(Barrier::new(clients));
    let threads: Vec<_> = (0..clients)
        .map(|i| {
            let (fleet, go, answered, addr) = (
                fleet.clone(),
                go.clone(),
                answered.clone(),
                addr.to_string(),
            );
            std::thread::Builder::new()
                .name(format!("client-{i}"))
                .stack_size(256 * 1024)
                .spawn(move || {
                    let ask = fleet.ask(i);
                    // Nothing before here can block or panic past the
                    // barrier: every thread reaches it.
                    go.wait();
                    let start = Instant::now();
                    let reply = match &ask {
                        Ok(ask) => net::ask(&addr, ask).map_err(|e| e.to_string()),
                        Err(e) => Err(e.to_string()),
                    };
                    let end = Instant::now();
                    answered.wait();
                    let verdict = match (ask, reply) {
                        (Ok(ask), Ok(reply)) => Ok(fleet.check(&ask, reply)),
                        (_, Err(e)) => Err(e),
                        (Err(e), _) => Err(e.to_string()),
                    };
                    (start, end, verdict)
                })
                .unwrap()
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    done.store(true, Ordering::Relaxed);

    let first = results.iter().map(|r| r.0).min().unwrap();
    let last = results.iter().map(|r| r.1).max().unwrap();
    let mut out = Round {
        latencies: Vec::new(),
        answered: 0,
        renewed: 0,
        refused: 0,
        wall: last - first,
        failures: BTreeMap::new(),
    };
    for (start, end, verdict) in results {
        match verdict {
            Ok(checked) => {
                out.latencies.push(end - start);
                match checked {
                    Ok(Verdict::Leased { renewed: true, .. }) => {
                        out.answered += 1;
                        out.renewed += 1;
                    }
                    Ok(v) => {
                        out.answered += 1;
                        *out.failures
                            .entry(format!("not a renewal: {v:?}"))
                            .or_default() += 1;
                    }
                    Err(why) => {
                        if why.starts_with("refused") {
                            out.refused += 1;
                        } else {
                            out.answered += 1;
                        }
                        *out.failures.entry(why).or_default() += 1;
                    }
                }
            }
            Err(why) => *out.failures.entry(format!("no reply: {why}")).or_default() += 1,
        }
    }
    out.latencies.sort();
    out
}

/// What one journal line costs on this disk: appended and flushed
/// (`sync_data`), as the host does for every answer while it holds the
/// book's one lock.
fn journal_flush_cost(dir: &Path) {
    let path = dir.join("flush-probe.jsonl");
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap();
    let line = format!(
        "{{\"product\":201,\"seen\":{{\"probe\":\"{}\"}}}}\n",
        "0".repeat(120)
    );
    let mut lat: Vec<Duration> = (0..200)
        .map(|_| {
            let t = Instant::now();
            f.write_all(line.as_bytes()).unwrap();
            f.sync_data().unwrap();
            t.elapsed()
        })
        .collect();
    drop(f);
    let _ = std::fs::remove_file(&path);
    lat.sort();
    let p50 = pct(&lat, 50.0);
    println!(
        "journal: one line appended and flushed here: p50 {}, p99 {} (one lock: at most {:.0} answers/s)",
        ms(p50),
        ms(pct(&lat, 99.0)),
        1.0 / p50.as_secs_f64().max(1e-9)
    );
}

/// What the host computes per answer, without I/O: the book's decision
/// for one renewal among `clients` leased machines (under the book's lock)
/// and the answer's signature (outside it).
fn host_cpu_cost(clients: usize) {
    let hosted = [Hosted {
        product: 201,
        threshold: 25,
    }];
    let now = site::now();
    let mut book = Book::default();
    for n in 0..clients as u64 {
        let req = Request {
            product: 201,
            machine: common::hw(n),
            client_time: now,
        };
        book.decide(&req, &hosted, now).unwrap();
    }
    let mut decide: Vec<Duration> = (0..200u64)
        .map(|i| {
            let req = Request {
                product: 201,
                machine: common::hw(i * 7 % clients as u64),
                client_time: now,
            };
            let t = Instant::now();
            std::hint::black_box(book.decide(&req, &hosted, now).unwrap());
            t.elapsed()
        })
        .collect();
    decide.sort();
    let key = HostKey::generate().unwrap();
    let verdict = Verdict::Counting {
        count: 1,
        threshold: 25,
        retry_at: now,
    };
    let creds = Credentials {
        product: "vault".into(),
        iid: "0".repeat(90),
        cid: "0".repeat(60),
        public_key: "0".repeat(192),
    };
    let ask = Ask {
        actline_site: VERSION,
        product: PRODUCT.into(),
        iid: "0".repeat(60),
        nonce: nonce().unwrap(),
        time: now,
    };
    let mut sign: Vec<Duration> = (0..200)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(Signed::sign(&key, &ask, verdict, now, creds.clone()));
            t.elapsed()
        })
        .collect();
    sign.sort();
    println!(
        "host CPU per answer: book decision among {clients} machines p50 {} (under the one lock), signature p50 {}",
        ms(pct(&decide, 50.0)),
        ms(pct(&sign, 50.0)),
    );
}

/// The `p`th percentile of sorted `d` (nearest rank).
fn pct(d: &[Duration], p: f64) -> Duration {
    if d.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * d.len() as f64).ceil() as usize;
    d[rank.clamp(1, d.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn tally(lines: &[String]) -> BTreeMap<String, usize> {
    let mut t = BTreeMap::new();
    for l in lines {
        *t.entry(format!("host log: {l}")).or_default() += 1;
    }
    t
}
