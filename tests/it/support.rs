//! A temporary vendor home and client, and a command for the real binary.

use actline::fingerprint::Components;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Env {
    pub dir: tempfile::TempDir,
}

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_actline"));
    c.env_remove("ACTLINE_HOME")
        .env_remove("ACTLINE_CLIENT_DIR")
        .env_remove("ACTLINE_TODAY")
        .env_remove("ACTLINE_SERVER")
        .env_remove("ACTLINE_TOKEN_FILE")
        .env_remove("ACTLINE_CA")
        .env_remove("ACTLINE_LEDGER");
    c
}

pub fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

pub fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).trim().to_string()
}

/// Whether this run of the suite keeps its ledgers on PostgreSQL
/// (`ACTLINE_TEST_LEDGER=postgres`, with the cluster `scripts/with-postgres.sh`
/// started in `ACTLINE_TEST_PG`) rather than in SQLite files.
pub fn on_postgres() -> bool {
    match std::env::var("ACTLINE_TEST_LEDGER").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("ACTLINE_TEST_LEDGER={other}: use sqlite or postgres"),
    }
}

/// The throwaway cluster's URL; the PostgreSQL runs need one.
pub fn pg_cluster() -> String {
    std::env::var("ACTLINE_TEST_PG").expect(
        "the PostgreSQL tests need a server: run them as `scripts/with-postgres.sh cargo test --release`",
    )
}

/// Runs `sql` through psql on `url`; its unaligned output.
pub fn psql(url: &str, sql: &str) -> String {
    let o = Command::new("psql")
        .args([url, "-qXtA", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .unwrap();
    assert!(o.status.success(), "psql {sql}: {}", err(&o));
    text(&o)
}

/// A new, empty database on the cluster, named `t_<hint>` plus a number
/// no other test of this run has; its URL.
pub fn pg_database(hint: &str) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("t_{hint}_{}_{n}", std::process::id());
    let url = pg_cluster();
    psql(&url, &format!("CREATE DATABASE {name}"));
    format!("{}/{name}", url.rsplit_once('/').unwrap().0)
}

impl Drop for Env {
    /// A database made for this home goes with it.
    fn drop(&mut self) {
        if let Some(url) = self.ledger_url() {
            if let (Some((cluster, name)), Ok(admin)) =
                (url.rsplit_once('/'), std::env::var("ACTLINE_TEST_PG"))
            {
                if admin.starts_with(cluster) && name.starts_with("t_") {
                    let _ = Command::new("psql")
                        .args([&admin, "-qX", "-c"])
                        .arg(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .output();
                }
            }
        }
    }
}

impl Env {
    /// A fresh home initialised with the demo catalog, its ledger on the
    /// backend this run of the suite is for ([`on_postgres`]).
    pub fn demo() -> Self {
        if on_postgres() {
            Self::demo_on(Some(&pg_database("demo")))
        } else {
            Self::demo_on(None)
        }
    }

    /// A fresh demo home whose ledger is in the database at `url`, or in
    /// the home's SQLite file.
    pub fn demo_on(url: Option<&str>) -> Self {
        let e = Env {
            dir: tempfile::tempdir().unwrap(),
        };
        let o = match url {
            Some(url) => e.vendor(&["--ledger", url, "init", "--demo"]),
            None => e.vendor(&["init", "--demo"]),
        };
        assert!(o.status.success(), "init: {}", err(&o));
        e
    }

    /// The URL of this home's ledger when it is on PostgreSQL.
    pub fn ledger_url(&self) -> Option<String> {
        std::fs::read_to_string(self.home().join("secrets/ledger.url"))
            .ok()
            .map(|u| u.trim().to_string())
    }

    /// This home's ledger, opened directly (no audit key: for reading rows).
    pub fn ledger(&self) -> actline::ledger::Ledger {
        match self.ledger_url() {
            Some(url) => actline::ledger::Ledger::connect(&url, false).unwrap(),
            None => actline::ledger::Ledger::open(&self.home().join("ledger.db")).unwrap(),
        }
    }

    /// Runs SQL statements on this home's ledger, on whichever backend it
    /// is, as someone with write access to the database would; with
    /// `unguarded`, after dropping the triggers that keep the audit trail
    /// append-only (the attack the chain must still catch).
    pub fn sql(&self, unguarded: bool, sql: &str) -> String {
        match self.ledger_url() {
            Some(url) => {
                let guard = if unguarded {
                    "DROP TRIGGER IF EXISTS audit_no_update ON audit; "
                } else {
                    ""
                };
                psql(&url, &format!("{guard}{sql}"))
            }
            None => {
                let db = rusqlite::Connection::open(self.home().join("ledger.db")).unwrap();
                if unguarded {
                    db.execute_batch(
                        "DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;",
                    )
                    .unwrap();
                }
                let mut out = Vec::new();
                let mut rest = sql.trim();
                // Statements one by one; the rows of the last one, if any.
                while !rest.is_empty() {
                    let (one, tail) = rest.split_once(';').unwrap_or((rest, ""));
                    rest = tail.trim();
                    let one = one.trim();
                    if one.is_empty() {
                        continue;
                    }
                    let mut st = db.prepare(one).unwrap();
                    let cols = st.column_count();
                    let mut rows = st.query([]).unwrap();
                    out.clear();
                    while let Some(r) = rows.next().unwrap() {
                        let cells: Vec<String> = (0..cols)
                            .map(|i| match r.get_ref(i).unwrap() {
                                rusqlite::types::ValueRef::Null => String::new(),
                                rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                                rusqlite::types::ValueRef::Real(v) => v.to_string(),
                                rusqlite::types::ValueRef::Text(t) => {
                                    String::from_utf8_lossy(t).to_string()
                                }
                                rusqlite::types::ValueRef::Blob(_) => "<blob>".into(),
                            })
                            .collect();
                        out.push(cells.join("|"));
                    }
                }
                out.join("\n")
            }
        }
    }

    /// True, saying so, when this test checks something only a SQLite
    /// file has (its pages, its journal, its path) and the suite runs on
    /// PostgreSQL; the test then has nothing to check.
    pub fn sqlite_only(&self, what: &str) -> bool {
        let pg = self.ledger_url().is_some();
        if pg {
            eprintln!("not on PostgreSQL: this test checks {what}");
        }
        pg
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn vendor(&self, args: &[&str]) -> Output {
        bin()
            .arg("--home")
            .arg(self.home())
            .args(args)
            .output()
            .unwrap()
    }

    pub fn client(&self, state: &str, fp: &Path, args: &[&str]) -> Output {
        self.client_at(&self.dir.path().join(state), fp, args)
    }

    /// The client binary on a state directory anywhere.
    pub fn client_at(&self, state: &Path, fp: &Path, args: &[&str]) -> Output {
        bin()
            .arg("client")
            .arg("--state")
            .arg(state)
            .arg("--trust")
            .arg(self.home().join("trust.json"))
            .arg("--fingerprint")
            .arg(fp)
            .args(args)
            .output()
            .unwrap()
    }

    pub fn issue(&self, args: &[&str]) -> String {
        let mut a = vec!["key", "issue"];
        a.extend_from_slice(args);
        let o = self.vendor(&a);
        assert!(o.status.success(), "key issue: {}", err(&o));
        text(&o)
    }

    /// Writes a posed machine and returns its path.
    pub fn machine(&self, name: &str, c: &Components) -> PathBuf {
        let p = self.dir.path().join(format!("{name}.json"));
        std::fs::write(&p, serde_json::to_string(c).unwrap()).unwrap();
        p
    }

    /// Makes an installation ID through the client binary.
    pub fn iid(&self, state: &str, fp: &Path, key: &str, product: &str) -> String {
        let o = self.client(state, fp, &["iid", "--key", key, "--product", product]);
        assert!(o.status.success(), "iid: {}", err(&o));
        text(&o)
    }
}

/// A distinct machine number `n`.
pub fn machine(n: u32) -> Components {
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

/// `count` machines that differ in every identity component.
pub fn distinct_machines(count: usize) -> Vec<Components> {
    (0..count as u32).map(machine).collect()
}

pub fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// Whether tmux is here; says why a test is skipped when it is not.
pub fn have_tmux() -> bool {
    let here = Command::new("tmux").arg("-V").output().is_ok();
    if !here {
        eprintln!("skipped: tmux is not installed (apt-get install -y tmux)");
    }
    here
}

/// A private tmux server (its own socket name), killed when dropped.
pub struct Tmux(String);

impl Tmux {
    /// Starts `command` in a 200 × 50 window named `desk`; `None` when tmux
    /// is missing.
    pub fn start(command: &str) -> Option<Self> {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let t = Tmux(format!("actline-it-{}-{n}", std::process::id()));
        let ok = Command::new("tmux")
            .args([
                "-L",
                &t.0,
                "new-session",
                "-d",
                "-s",
                "desk",
                "-x",
                "200",
                "-y",
                "50",
            ])
            .arg(command)
            .env_remove("TMUX")
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        ok.then_some(t)
    }

    /// The tmux server's socket name (`tmux -L NAME …`).
    pub fn name(&self) -> &str {
        &self.0
    }

    pub fn screen(&self) -> String {
        let o = Command::new("tmux")
            .args(["-L", &self.0, "capture-pane", "-p", "-J", "-t", "desk"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).to_string()
    }

    /// Waits (at most 15 s) until the screen shows `text`; the screen.
    pub fn wait_for(&self, text: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "never showed {text:?}:\n{s}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    pub fn keys(&self, literal: bool, keys: &str) {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.0, "send-keys", "-t", "desk"]);
        if literal {
            c.arg("-l");
        }
        assert!(c.arg(keys).status().unwrap().success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.0, "kill-server"])
            .status();
    }
}

/// After a batch into `output` stopped part-way, what it left: asserts that
/// the seats `key` uses equal the seat-taking grants recorded, and that
/// every confirmation ID printed on a complete line of `output` is recorded.
/// Returns the grants and the IDs printed.
pub fn batch_left_consistent(env: &Env, key: &str, output: &Path) -> (u32, usize) {
    let ledger = env.ledger();
    let k = actline::keys::ProductKey::parse(key).unwrap();
    let rows = ledger.activations_of(k.serial()).unwrap();
    // Machines that happen to match an earlier one on enough 6-bit digests
    // are reactivations: grants without a new seat.
    let grants = rows
        .iter()
        .filter(|r| r.decision == "granted" && r.new_seat)
        .count() as u32;
    assert_eq!(
        ledger.key_usage(k.serial()).unwrap().unwrap().used,
        grants,
        "seats used equal the seat-taking grants recorded"
    );
    let recorded: std::collections::HashSet<String> = rows
        .iter()
        .filter_map(|r| r.confirmation_id.clone())
        .collect();
    let out = std::fs::read_to_string(output).unwrap();
    // A line cut short by a kill is not a printed ID.
    let complete = &out[..out.rfind('\n').map_or(0, |i| i + 1)];
    let printed: Vec<&str> = complete
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(3))
        .filter(|c| !c.is_empty())
        .collect();
    for cid in &printed {
        assert!(recorded.contains(*cid), "printed but not recorded: {cid}");
    }
    (grants, printed.len())
}

/// `actline [via...] activate IID --json`, started, its output piped.
pub fn spawn_activate(via: &[&std::ffi::OsStr], iid: &str) -> std::process::Child {
    bin()
        .args(via)
        .args(["activate", iid, "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for every child and counts (granted, denied) by `decided`, which
/// says true, false, or nothing (a panic naming the exit and the error).
pub fn tally(
    children: Vec<std::process::Child>,
    decided: impl Fn(&Output) -> Option<bool>,
) -> (u32, u32) {
    let (mut granted, mut denied) = (0, 0);
    for c in children {
        let o = c.wait_with_output().unwrap();
        match decided(&o) {
            Some(true) => granted += 1,
            Some(false) => denied += 1,
            None => panic!("no decision (exit {:?}): {}", o.status.code(), err(&o)),
        }
    }
    (granted, denied)
}

/// A decision by `activate`'s exit code: 0 granted, 3 denied.
pub fn by_exit(o: &Output) -> Option<bool> {
    match o.status.code() {
        Some(0) => Some(true),
        Some(3) => Some(false),
        _ => None,
    }
}

/// A small tmpfs, unmounted when dropped.
pub struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. "4m") on `dir`; `None` where that is
    /// not allowed (not root), and the caller says it skipped.
    pub fn mount(dir: &Path, size: &str) -> Option<Self> {
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then(|| Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// Fills the file system holding `filler` until `spare_kib` KiB are left.
pub fn fill_up(filler: &Path, spare_kib: u64) {
    let dir = filler.parent().unwrap();
    let o = std::process::Command::new("df")
        .args(["-k", "--output=avail"])
        .arg(dir)
        .output()
        .unwrap();
    let avail: u64 = text(&o).lines().last().unwrap().trim().parse().unwrap();
    let f = std::fs::File::create(filler).unwrap();
    let mut w = std::io::BufWriter::new(f);
    let block = vec![0u8; 1024];
    for _ in 0..avail.saturating_sub(spare_kib) {
        if std::io::Write::write_all(&mut w, &block).is_err() {
            break;
        }
    }
    let _ = w.into_inner().map(|f| f.sync_all());
}
