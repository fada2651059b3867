//! Site activation on loopback (issue 14): a vendor home, a host activated
//! by phone with a site-host key and serving with `actline client site
//! serve`, and client machines (posed fingerprints) taking leases from it
//! with `site activate`, all through the real binary. Rogue hosts, replays
//! and altered answers are played by small TCP servers in this file.

use crate::support::*;
use actline::client::site::wire::{Ask, Credentials, HostKey, Reply, Signed, Verdict};
use actline::ids::InstallationId;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::Duration;

/// A running `site serve`, stopped by its PID.
pub(crate) struct HostProc {
    child: Child,
    pub(crate) addr: String,
}

impl HostProc {
    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for HostProc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A vendor home with a site-host key, trust files per product, and one
/// host machine activated by phone (also the C sample's site).
pub(crate) struct Site {
    pub(crate) env: Env,
    host_key: String,
    /// Volume keys by product.
    pub(crate) keys: std::collections::BTreeMap<&'static str, String>,
}

impl Site {
    pub(crate) fn new() -> Self {
        let env = Env::demo();
        let host_key = env.issue(&["--product", "vault", "--kind", "site-host"]);
        let mut keys = std::collections::BTreeMap::new();
        for p in ["notes", "studio", "vault"] {
            keys.insert(p, env.issue(&["--product", p, "--activations", "2000"]));
            let out = env.dir.path().join(format!("{p}-trust.json"));
            let o = env.vendor(&[
                "trust",
                "export",
                "--product",
                p,
                "--out",
                out.to_str().unwrap(),
            ]);
            assert!(o.status.success(), "{}", err(&o));
        }
        let site = Site {
            env,
            host_key,
            keys,
        };
        let fp = site.env.machine("host-a", &machine(9000));
        site.phone_activate("H", &fp, &site.host_key.clone());
        site
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.env.dir.path().join(name)
    }

    pub(crate) fn trust(&self, product: &str) -> PathBuf {
        self.path(&format!("{product}-trust.json"))
    }

    /// The client binary on state `state`, posing as `fp`, with `product`'s
    /// trust file, at day `today` (or the real one).
    pub(crate) fn client(
        &self,
        state: &str,
        fp: &Path,
        product: &str,
        today: Option<&str>,
        args: &[&str],
    ) -> Output {
        let mut c = bin();
        c.arg("client")
            .arg("--state")
            .arg(self.path(state))
            .arg("--trust")
            .arg(self.trust(product))
            .arg("--fingerprint")
            .arg(fp)
            .args(args);
        if let Some(t) = today {
            c.env("ACTLINE_TODAY", t);
        }
        c.output().unwrap()
    }

    /// The host machine's phone activation: its 14-group installation ID,
    /// the vendor's confirmation ID, entered.
    fn phone_activate(&self, state: &str, fp: &Path, key: &str) {
        let o = self.client(
            state,
            fp,
            "vault",
            None,
            &["iid", "--key", key, "--product", "vault"],
        );
        assert!(o.status.success(), "{}", err(&o));
        let iid = text(&o);
        let v: serde_json::Value =
            serde_json::from_slice(&self.env.vendor(&["activate", &iid, "--json"]).stdout).unwrap();
        let cid = v["confirmation_id"]
            .as_str()
            .unwrap_or_else(|| panic!("{v}"))
            .to_string();
        let o = self.client(state, fp, "vault", None, &["confirm", &cid]);
        assert!(o.status.success(), "{}", err(&o));
    }

    /// Starts `site serve` for state `state` on a free loopback port.
    pub(crate) fn serve(
        &self,
        state: &str,
        fp: &Path,
        today: Option<&str>,
    ) -> Result<HostProc, String> {
        let mut c = bin();
        c.arg("client")
            .arg("--state")
            .arg(self.path(state))
            .arg("--trust")
            .arg(self.trust("vault"))
            .arg("--fingerprint")
            .arg(fp)
            .args(["site", "serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(t) = today {
            c.env("ACTLINE_TODAY", t);
        }
        let mut child = c.spawn().unwrap();
        let mut first = String::new();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let _ = err.read_line(&mut first);
        let Some(addr) = first
            .strip_prefix("site host ")
            .and_then(|r| r.split(" on ").nth(1))
            .and_then(|r| r.split_whitespace().next())
            .map(str::to_string)
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(first);
        };
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in err.lines() {});
        Ok(HostProc { child, addr })
    }

    pub(crate) fn host_fp(&self) -> PathBuf {
        self.path("host-a.json")
    }

    /// `site activate` for machine `n` of `product`.
    pub(crate) fn activate(
        &self,
        host: &str,
        product: &str,
        n: u32,
        today: Option<&str>,
    ) -> Output {
        let fp = self.env.machine(&format!("m{n}"), &machine(n));
        let key = self.keys[product].clone();
        self.client(
            &format!("c-{product}-{n}"),
            &fp,
            product,
            today,
            &[
                "site",
                "activate",
                "--host",
                host,
                "--product",
                product,
                "--key",
                &key,
            ],
        )
    }

    fn status(&self, product: &str, n: u32, today: Option<&str>) -> Output {
        let fp = self.path(&format!("m{n}.json"));
        self.client(
            &format!("c-{product}-{n}"),
            &fp,
            product,
            today,
            &["status"],
        )
    }

    /// The host's `site status --json`, for `product`.
    fn host_status(&self, state: &str, product: &str) -> serde_json::Value {
        let o = self.client(
            state,
            &self.host_fp(),
            "vault",
            None,
            &["site", "status", "--json"],
        );
        assert!(o.status.success(), "{}", err(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .find(|p| p["product"] == product)
            .cloned()
            .unwrap()
    }

    /// The host's credentials as its state holds them, with `public_key`.
    fn credentials(&self, public_key: &[u8]) -> Credentials {
        let state: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(self.path("H/state.json")).unwrap())
                .unwrap();
        let act = &state["products"]["vault"]["activation"];
        Credentials {
            product: "vault".into(),
            iid: act["installation_id"].as_str().unwrap().into(),
            cid: act["confirmation_id"].as_str().unwrap().into(),
            public_key: actline::hex::hex(public_key),
        }
    }
}

fn day(offset: i64) -> String {
    let today = actline::days::today() as i64;
    actline::days::format((today + offset) as u16)
}

/// A one-shot TCP server on loopback answering each request line with
/// `answer(line)`, for at most `count` connections, each bounded in time.
fn fake_host(count: usize, answer: impl Fn(&str) -> String + Send + 'static) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for s in l.incoming().take(count) {
            let Ok(mut s) = s else { continue };
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            let mut line = String::new();
            let _ = BufReader::new(s.try_clone().unwrap()).read_line(&mut line);
            let _ = s.write_all(format!("{}\n", answer(line.trim_end())).as_bytes());
        }
    });
    addr
}

/// A fake host that answers one request with a lease of `days` days,
/// showing `creds` and signed with `key`.
fn signing_host(key: HostKey, creds: Credentials, days: i64) -> String {
    fake_host(1, move |line| {
        let ask: Ask = serde_json::from_str(line).unwrap();
        let verdict = Verdict::Leased {
            count: 99,
            threshold: 5,
            expires: ask.time + days * 86400,
            renew_at: ask.time + 7 * 86400,
            renewed: false,
        };
        serde_json::to_string(&Reply {
            actline_site: 1,
            answer: Some(Signed::sign(&key, &ask, verdict, ask.time, creds.clone())),
            refused: None,
        })
        .unwrap()
    })
}

/// Sends `line` to the real host and returns its reply line.
fn relay(addr: &str, line: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s.write_all(format!("{line}\n").as_bytes()).unwrap();
    let mut reply = String::new();
    BufReader::new(s).read_line(&mut reply).unwrap();
    reply.trim_end().to_string()
}

#[test]
fn thirty_desktops_the_first_24_are_told_24_of_25_and_all_are_activated_once_the_25th_arrives() {
    let site = Site::new();
    let host = site.serve("H", &site.host_fp(), None).unwrap();
    for n in 1..=24 {
        let o = site.activate(&host.addr, "notes", n, None);
        assert_eq!(o.status.code(), Some(3), "machine {n}: {}", err(&o));
        assert!(
            text(&o).contains(&format!("counts {n} of 25 machines")),
            "machine {n}: {}",
            text(&o)
        );
        assert!(
            site.status("notes", n, None).status.success(),
            "still in grace"
        );
    }
    let o = site.activate(&host.addr, "notes", 25, None);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        text(&o).contains("activated by the site host"),
        "{}",
        text(&o)
    );
    // On their next try, every machine is activated, the first 24 included.
    for n in 1..=30 {
        let o = site.activate(&host.addr, "notes", n, None);
        assert!(o.status.success(), "machine {n}: {}", err(&o));
        let s = site.status("notes", n, None);
        assert!(s.status.success(), "{}", err(&s));
        assert!(
            text(&s).contains("activated by the site host"),
            "{}",
            text(&s)
        );
    }
    let st = site.host_status("H", "notes");
    assert_eq!(
        (st["count"].as_u64(), st["leases"].as_u64()),
        (Some(30), Some(30)),
        "{st}"
    );
    // The same machine asking again, from a cloned image on the same
    // hardware, is one machine.
    let clone = site.client(
        "c-notes-clone",
        &site.path("m7.json"),
        "notes",
        None,
        &[
            "site",
            "activate",
            "--host",
            &host.addr,
            "--product",
            "notes",
            "--key",
            &site.keys["notes"],
        ],
    );
    assert!(clone.status.success(), "{}", err(&clone));
    assert_eq!(site.host_status("H", "notes")["count"], 30);
}

#[test]
fn a_server_product_activates_at_5_and_a_renewal_starts_the_180_days_again() {
    let site = Site::new();
    let d0 = day(0);
    let host = site.serve("H", &site.host_fp(), Some(&d0)).unwrap();
    for n in 1..=4 {
        let o = site.activate(&host.addr, "vault", n, Some(&d0));
        assert_eq!(o.status.code(), Some(3), "{}", err(&o));
        assert!(text(&o).contains(&format!("{n} of 5")), "{}", text(&o));
    }
    assert!(site
        .activate(&host.addr, "vault", 5, Some(&d0))
        .status
        .success());
    let o = site.client(
        "c-vault-5",
        &site.path("m5.json"),
        "vault",
        Some(&d0),
        &["site", "status", "--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["lease_days_left"], 180, "{v}");
    assert_eq!(v["lease_expires"], day(180));
    drop(host);

    // A week on, the host restarted (its journal kept the count): the
    // renewal runs 180 days from now.
    let d7 = day(7);
    let host = site.serve("H", &site.host_fp(), Some(&d7)).unwrap();
    let o = site.activate(&host.addr, "vault", 5, Some(&d7));
    assert!(o.status.success(), "{}", err(&o));
    assert!(text(&o).contains("lease renewed"), "{}", text(&o));
    assert!(text(&o).contains(&day(187)), "{}", text(&o));
    assert_eq!(site.host_status("H", "vault")["count"], 5);
}

#[test]
fn a_lease_not_renewed_for_180_days_ends_in_notification_mode_saying_so() {
    let site = Site::new();
    let host = site.serve("H", &site.host_fp(), None).unwrap();
    for n in 1..=5 {
        site.activate(&host.addr, "studio", n, None);
    }
    assert!(site.status("studio", 5, Some(&day(179))).status.success());
    let gone = host.addr.clone();
    drop(host);
    // Time travel past 180 days without the host.
    let o = site.status("studio", 5, Some(&day(181)));
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(
        text(&o).contains("grace period over: notification mode"),
        "{}",
        text(&o)
    );
    assert!(err(&o).contains("site lease from 127.0.0.1"), "{}", err(&o));
    assert!(err(&o).contains("ran out on"), "{}", err(&o));
    // With the host gone, a renewal says the host cannot be reached: exit 1.
    let o = site.activate(&gone, "studio", 5, None);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("cannot connect"), "{}", err(&o));
}

#[test]
fn a_client_clock_more_than_4_hours_off_is_refused_and_not_counted() {
    let site = Site::new();
    let host = site.serve("H", &site.host_fp(), None).unwrap();
    let o = site.activate(&host.addr, "studio", 1, Some(&day(1)));
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("ahead of the host's, more than the 4 hours allowed"),
        "{}",
        err(&o)
    );
    assert_eq!(site.host_status("H", "studio")["count"], 0);
}

#[test]
fn a_rogue_host_with_keys_of_its_own_activates_nothing() {
    let site = Site::new();
    // 1. The real host's state with its key swapped refuses to serve.
    let copy = site.path("H-swapped");
    copy_dir(&site.path("H"), &copy);
    std::fs::write(
        copy.join("site-host.key"),
        actline::hex::hex(&HostKey::generate().unwrap().to_bytes()),
    )
    .unwrap();
    let e = site
        .serve("H-swapped", &site.host_fp(), None)
        .err()
        .expect("refused");
    assert!(
        e.contains("is not the key vault's activation was granted for"),
        "{e}"
    );

    // 2. A server of its own that shows the real host's credentials but
    //    signs with its own key: the key does not match the activation.
    let rogue = HostKey::generate().unwrap();
    let creds = site.credentials(&rogue.public());
    let addr = signing_host(rogue, creds, 180);
    let o = site.activate(&addr, "studio", 1, None);
    assert_eq!(o.status.code(), Some(4), "{}", err(&o));
    assert!(
        err(&o).contains("not authorized by the vendor: its public key is not the one"),
        "{}",
        err(&o)
    );

    // 3. The real host's public key, a signature by another key.
    let real = actline::client::site::host::key_for(&site.path("H")).unwrap();
    let creds = site.credentials(&real.public());
    let addr = signing_host(HostKey::generate().unwrap(), creds, 180);
    let o = site.activate(&addr, "studio", 1, None);
    assert_eq!(o.status.code(), Some(4), "{}", err(&o));
    assert!(err(&o).contains("signature does not match"), "{}", err(&o));
    let s = site.status("studio", 1, None);
    assert!(
        !text(&s).contains("activated by"),
        "no lease was kept: {}",
        text(&s)
    );
}

#[test]
fn a_host_activated_with_a_mak_key_or_a_normal_id_activates_nothing() {
    let site = Site::new();
    // The vendor grants a host's 14-group ID only to a site-host key...
    let trust = actline::client::Trust::load(&site.trust("vault")).unwrap();
    let mak = actline::keys::ProductKey::parse(&site.keys["vault"]).unwrap();
    let hw = machine(77).hash(&trust.salt(), mak.serial());
    let host_iid =
        InstallationId::new_host(301, &mak, hw, actline::days::today(), b"some host key");
    let o = site.env.vendor(&["activate", &host_iid.to_string()]);
    assert_eq!(o.status.code(), Some(3), "{}", err(&o));
    assert!(
        text(&o).contains("only with a site-host key"),
        "{}",
        text(&o)
    );
    // ...and a site-host key only a host's ID.
    let sh = actline::keys::ProductKey::parse(&site.host_key).unwrap();
    let iid = InstallationId::new(
        301,
        &sh,
        machine(78).hash(&trust.salt(), sh.serial()),
        actline::days::today(),
    );
    let o = site.env.vendor(&["activate", &iid.to_string()]);
    assert_eq!(o.status.code(), Some(3), "{}", err(&o));
    assert!(
        text(&o).contains("activates only a host installation ID"),
        "{}",
        text(&o)
    );
    // A vault machine activated by phone with a mak key cannot serve.
    let fp = site.env.machine("mak-host", &machine(79));
    site.phone_activate("M", &fp, &site.keys["vault"].clone());
    let e = site.serve("M", &fp, None).err().expect("refused");
    assert!(e.contains("activated with a normal installation ID"), "{e}");
}

#[test]
fn a_replayed_or_altered_answer_is_refused() {
    let site = Site::new();
    let host = site.serve("H", &site.host_fp(), None).unwrap();
    for n in 1..=5 {
        site.activate(&host.addr, "studio", n, None);
    }
    // Record a real answer for machine 1's request...
    let real = host.addr.clone();
    let recorded = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let keep = recorded.clone();
    let addr = fake_host(1, move |line| {
        let r = relay(&real, line);
        *keep.lock().unwrap() = r.clone();
        r
    });
    assert!(site.activate(&addr, "studio", 1, None).status.success());
    let old = recorded.lock().unwrap().clone();
    // ...and play it back to machine 1's next request, and to machine 2's.
    for n in [1, 2] {
        let again = old.clone();
        let addr = fake_host(1, move |_| again.clone());
        let o = site.activate(&addr, "studio", n, None);
        assert_eq!(o.status.code(), Some(4), "{}", err(&o));
        assert!(err(&o).contains("answers another request"), "{}", err(&o));
    }
    // An answer altered on the way (a longer lease) fails the signature.
    let real = host.addr.clone();
    let addr = fake_host(1, move |line| {
        let mut v: serde_json::Value = serde_json::from_str(&relay(&real, line)).unwrap();
        let e = v["answer"]["verdict"]["expires"].as_i64().unwrap();
        v["answer"]["verdict"]["expires"] = (e + 3650 * 86400).into();
        v.to_string()
    });
    let o = site.activate(&addr, "studio", 3, None);
    assert_eq!(o.status.code(), Some(4), "{}", err(&o));
    assert!(err(&o).contains("signature does not match"), "{}", err(&o));
    // The stored lease of a machine, edited by hand, no longer counts.
    let state = site.path("c-studio-5/state.json");
    let text_before = std::fs::read_to_string(&state).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text_before).unwrap();
    let e = v["products"]["studio"]["site"]["lease"]["answer"]["verdict"]["expires"]
        .as_i64()
        .unwrap();
    std::fs::write(
        &state,
        text_before.replace(&e.to_string(), &(e + 3650 * 86400).to_string()),
    )
    .unwrap();
    let o = site.status("studio", 5, Some(&day(200)));
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
}

#[test]
fn a_host_state_copied_to_other_hardware_activates_nothing() {
    let site = Site::new();
    let copy = site.path("H-copy");
    copy_dir(&site.path("H"), &copy);
    let other = site.env.machine("other-hw", &machine(4242));
    let e = site.serve("H-copy", &other, None).err().expect("refused");
    assert!(
        e.contains("own activation does not hold on this machine"),
        "{e}"
    );
}

#[test]
fn malformed_oversized_and_slow_requests_get_one_line_and_the_host_stays_up() {
    let site = Site::new();
    let host = site.serve("H", &site.host_fp(), None).unwrap();
    let refused = |line: &str| -> String {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        v["refused"]
            .as_str()
            .unwrap_or_else(|| panic!("{v}"))
            .to_string()
    };
    assert!(refused(&relay(&host.addr, "not json")).contains("not a site activation request"));
    assert!(refused(&relay(
        &host.addr,
        r#"{"actline_site":2,"product":"x","iid":"1","nonce":"0","time":0}"#
    ))
    .contains("version 2"));
    assert!(refused(&relay(
        &host.addr,
        &format!(
            r#"{{"actline_site":1,"product":"accounting","iid":"1","nonce":"0","time":{}}}"#,
            actline::client::site::now()
        )
    ))
    .contains("may not activate \"accounting\""));
    // 64 KiB without a line end.
    let mut s = TcpStream::connect(&host.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let _ = s.write_all(&vec![b'x'; 64 * 1024]);
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).unwrap();
    assert!(refused(&line).contains("longer than 16384 bytes"), "{line}");
    // A client that sends half a line and stalls is cut off.
    let mut s = TcpStream::connect(&host.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(b"{\"actline_site\":").unwrap();
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).unwrap();
    assert!(
        refused(&line).contains("no whole line within 3 s"),
        "{line}"
    );
    // Still serving.
    let o = site.activate(&host.addr, "studio", 1, None);
    assert_eq!(o.status.code(), Some(3), "{}", err(&o));
}

#[test]
fn two_hosts_on_one_site_both_count_and_a_client_may_use_either() {
    let site = Site::new();
    let fp_b = site.env.machine("host-b", &machine(9001));
    site.phone_activate("H2", &fp_b, &site.host_key.clone());
    let a = site.serve("H", &site.host_fp(), None).unwrap();
    let b = site.serve("H2", &fp_b, None).unwrap();
    for n in 1..=5 {
        site.activate(&a.addr, "studio", n, None);
        site.activate(&b.addr, "studio", n, None);
    }
    assert_eq!(site.host_status("H", "studio")["count"], 5);
    assert_eq!(site.host_status("H2", "studio")["count"], 5);
    // Machine 1 renews at the other host; its lease still verifies.
    assert!(site.activate(&b.addr, "studio", 1, None).status.success());
    let s = site.status("studio", 1, None);
    assert!(
        text(&s).contains(&format!("site host {}", b.addr)),
        "{}",
        text(&s)
    );
}

#[test]
fn a_host_killed_mid_burst_loses_no_lease_it_answered() {
    let site = Site::new();
    let mut host = site.serve("H", &site.host_fp(), None).unwrap();
    // Five leases: 1 to 4 are counted, 5 reaches the threshold, 1 to 4 ask again.
    for n in (1..=5).chain(1..=4) {
        site.activate(&host.addr, "studio", n, None);
    }
    // 40 machines at once; the host is killed while they ask.
    let addr = host.addr.clone();
    let site = std::sync::Arc::new(site);
    let mut threads = Vec::new();
    for n in 6..46u32 {
        let (site, addr) = (site.clone(), addr.clone());
        threads.push(std::thread::spawn(move || {
            (n, site.activate(&addr, "studio", n, None))
        }));
    }
    std::thread::sleep(Duration::from_millis(150));
    host.kill9();
    let leased: Vec<u32> = threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .filter(|(_, o)| o.status.success())
        .map(|(n, _)| n)
        .collect();
    // Restarted on the same journal: every lease it answered is there.
    let again = site.serve("H", &site.host_fp(), None).unwrap();
    let st = site.host_status("H", "studio");
    assert!(
        st["leases"].as_u64().unwrap() >= 5 + leased.len() as u64,
        "{st} vs {} answered",
        leased.len()
    );
    for n in &leased {
        let o = site.activate(&again.addr, "studio", *n, None);
        assert!(
            text(&o).contains("lease renewed"),
            "machine {n}: {}",
            text(&o)
        );
    }
}

#[test]
fn a_host_whose_disk_is_full_grants_nothing_and_loses_nothing() {
    let site = Site::new();
    let mnt = site.path("H-tmpfs");
    std::fs::create_dir_all(&mnt).unwrap();
    let Some(_guard) = Tmpfs::mount(&mnt, "1m") else {
        eprintln!("skipped: cannot mount a tmpfs here (not root?)");
        return;
    };
    copy_dir(&site.path("H"), &mnt);
    let host = site.serve("H-tmpfs", &site.host_fp(), None).unwrap();
    for n in (1..=5).chain(1..=4) {
        site.activate(&host.addr, "studio", n, None);
    }
    fill_up(&mnt.join("filler"), 0);
    // The journal's last page may still take a line or two; then the disk
    // is full for it.
    let mut refused = None;
    for n in 6..40 {
        let o = site.activate(&host.addr, "studio", n, None);
        if o.status.code() == Some(2) {
            assert!(
                err(&o).contains("cannot record the decision"),
                "{}",
                err(&o)
            );
            assert!(err(&o).contains("nothing was granted"), "{}", err(&o));
            refused = Some(n);
            break;
        }
        assert!(o.status.success(), "{}", err(&o));
    }
    let n = refused.expect("a full disk refuses within 34 requests");
    assert!(!text(&site.status("studio", n, None)).contains("activated by"));
    // A renewal is refused too, and the lease it had is kept.
    let o = site.activate(&host.addr, "studio", 1, None);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(text(&site.status("studio", 1, None)).contains("activated by the site host"));
    std::fs::remove_file(mnt.join("filler")).unwrap();
    let o = site.activate(&host.addr, "studio", n, None);
    assert!(o.status.success(), "{}", err(&o));
    let st = site.host_status("H-tmpfs", "studio");
    assert_eq!(st["leases"].as_u64(), Some(n as u64), "{st}");
    // And the journal, reopened, holds every one of them.
    drop(host);
    let _again = site.serve("H-tmpfs", &site.host_fp(), None).unwrap();
    assert_eq!(
        site.host_status("H-tmpfs", "studio")["leases"].as_u64(),
        Some(n as u64)
    );
}

// Regressions from the black-box review of the first version.

#[test]
fn a_second_serve_on_the_same_state_detached_the_running_host_from_its_journal() {
    let site = Site::new();
    let host = site.serve("H", &site.host_fp(), None).unwrap();
    // A second serve, on a busy address or a free one, is refused and
    // leaves the journal alone.
    let o = site.client(
        "H",
        &site.host_fp(),
        "vault",
        None,
        &["site", "serve", "--listen", &host.addr],
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    let e = site
        .serve("H", &site.host_fp(), None)
        .err()
        .expect("refused");
    assert!(
        e.contains("another `site serve` already uses this host state"),
        "{e}"
    );
    for n in (1..=5).chain(1..=5) {
        site.activate(&host.addr, "studio", n, None);
    }
    drop(host);
    let _again = site.serve("H", &site.host_fp(), None).unwrap();
    assert_eq!(
        site.host_status("H", "studio")["leases"],
        5,
        "every lease on disk"
    );
}

#[test]
fn client_iid_threw_away_a_site_lease_that_still_held() {
    let site = Site::new();
    let host = site.serve("H", &site.host_fp(), None).unwrap();
    for n in 1..=5 {
        site.activate(&host.addr, "studio", n, None);
    }
    let o = site.client(
        "c-studio-5",
        &site.path("m5.json"),
        "studio",
        None,
        &["iid", "--key", &site.keys["studio"], "--product", "studio"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("is activated on this machine by the site host"),
        "{}",
        err(&o)
    );
    assert!(text(&site.status("studio", 5, None)).contains("activated by the site host"));
}

#[test]
fn a_counting_answer_under_another_key_broke_the_lease_it_kept() {
    let site = Site::new();
    let a = site.serve("H", &site.host_fp(), None).unwrap();
    for n in 1..=5 {
        site.activate(&a.addr, "studio", n, None);
    }
    let fp_b = site.env.machine("host-b", &machine(9001));
    site.phone_activate("H2", &fp_b, &site.host_key.clone());
    let b = site.serve("H2", &fp_b, None).unwrap();
    let other = site
        .env
        .issue(&["--product", "studio", "--activations", "10"]);
    let o = site.client(
        "c-studio-5",
        &site.path("m5.json"),
        "studio",
        None,
        &[
            "site",
            "activate",
            "--host",
            &b.addr,
            "--product",
            "studio",
            "--key",
            &other,
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", err(&o));
    let s = site.status("studio", 5, None);
    assert!(s.status.success(), "{}", err(&s));
    assert!(
        text(&s).contains(&format!("site host {}", a.addr)),
        "{}",
        text(&s)
    );
}

#[test]
fn site_status_reported_a_lease_that_status_said_had_ended() {
    let site = Site::new();
    let host = site.serve("H", &site.host_fp(), None).unwrap();
    for n in 1..=5 {
        site.activate(&host.addr, "studio", n, None);
    }
    // The state copied to another machine.
    copy_dir(&site.path("c-studio-5"), &site.path("copy"));
    let fp = site.env.machine("elsewhere", &machine(555));
    let o = site.client("copy", &fp, "studio", None, &["site", "status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (v["lease_days_left"].as_u64(), v["lease_expires"].is_null()),
        (Some(0), true),
        "{v}"
    );
}

#[test]
fn serve_made_a_new_host_key_when_the_old_one_was_missing() {
    let site = Site::new();
    std::fs::remove_file(site.path("H/site-host.key")).unwrap();
    let e = site
        .serve("H", &site.host_fp(), None)
        .err()
        .expect("refused");
    assert!(e.contains("the host key is missing"), "{e}");
    assert!(!site.path("H/site-host.key").exists());
}

#[test]
fn a_host_without_a_port_or_an_answer_that_is_no_site_reply_exited_1() {
    let site = Site::new();
    let o = site.activate("127.0.0.1", "studio", 1, None);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("expected the host's name and port"),
        "{}",
        err(&o)
    );
    let addr = fake_host(2, |_| "HTTP/1.1 400 Bad Request".into());
    let o = site.activate(&addr, "studio", 1, None);
    assert_eq!(o.status.code(), Some(4), "{}", err(&o));
    assert!(err(&o).contains("is not a site reply"), "{}", err(&o));
}

#[test]
fn a_lease_longer_than_180_days_from_an_authorized_host_was_taken() {
    let site = Site::new();
    let real = actline::client::site::host::key_for(&site.path("H")).unwrap();
    let creds = site.credentials(&real.public());
    let addr = signing_host(real, creds, 3650);
    let o = site.activate(&addr, "studio", 1, None);
    assert_eq!(o.status.code(), Some(4), "{}", err(&o));
    assert!(err(&o).contains("longer than 180 days"), "{}", err(&o));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}
