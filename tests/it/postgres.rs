//! The ledger on a real PostgreSQL server: the throwaway cluster
//! `scripts/with-postgres.sh` starts (its URL in `ACTLINE_TEST_PG`), one new
//! database per test.

use crate::support::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A fresh home whose ledger is in a new database of the shared cluster.
fn demo_on(name: &str) -> Env {
    Env::demo_on(Some(&pg_database(name)))
}

#[test]
fn forty_processes_racing_on_a_postgres_ledger_for_a_10_seat_key_get_exactly_10_grants() {
    let env = demo_on("race");
    assert!(
        !env.home().join("ledger.db").exists(),
        "no SQLite file beside a server ledger"
    );
    let key = env.issue(&["--product", "studio", "--activations", "10"]);
    let iids: Vec<String> = distinct_machines(40)
        .iter()
        .enumerate()
        .map(|(n, m)| {
            env.iid(
                &format!("s{n}"),
                &env.machine(&format!("m{n}"), m),
                &key,
                "studio",
            )
        })
        .collect();
    let home = env.home();
    let children: Vec<_> = iids
        .iter()
        .map(|iid| spawn_activate(&["--home".as_ref(), home.as_os_str()], iid))
        .collect();
    let (granted, denied) = tally(children, by_exit);
    assert_eq!((granted, denied), (10, 30));
    let shown = text(&env.vendor(&["key", "show", &key]));
    assert!(shown.contains("10 used, 0 left of 10"), "{shown}");
    let v = env.vendor(&["audit", "verify"]);
    assert!(v.status.success(), "{}", err(&v));
    assert!(text(&v).contains("audit trail intact"), "{}", text(&v));
}

#[test]
fn ledger_copy_moves_a_sqlite_ledger_to_postgres_with_its_chain_and_refuses_a_second_time() {
    let env = Env::demo_on(None);
    let key = env.issue(&["--product", "studio", "--activations", "5"]);
    let iid = env.iid("s", &sample("fingerprint-a.json"), &key, "studio");
    assert!(env.vendor(&["activate", &iid]).status.success());
    let before = text(&env.vendor(&["audit", "verify"]));
    let url = pg_database("copied");
    let o = env.vendor(&["ledger", "copy", "--to", &url]);
    assert!(o.status.success(), "copy: {}", err(&o));
    assert!(text(&o).contains("uses postgres://"), "{}", text(&o));
    // The home now uses the copy: same seats, a chain one entry longer
    // (the copy's own audit entry), verified there.
    let shown = text(&env.vendor(&["key", "show", &key]));
    assert!(shown.contains("1 used, 4 left of 5"), "{shown}");
    let after = env.vendor(&["audit", "verify"]);
    assert!(after.status.success(), "{}", err(&after));
    assert_ne!(text(&after), before);
    // The same installation ID again gets the same grant, from the copy.
    let again = env.vendor(&["activate", &iid, "--json"]);
    assert!(again.status.success(), "{}", err(&again));
    assert!(
        text(&again).contains("\"activation\": 1"),
        "{}",
        text(&again)
    );
    // A ledger with anything in it is never copied into.
    let other = Env::demo_on(None);
    let o = other.vendor(&["ledger", "copy", "--to", &url]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("already exists"), "{}", err(&o));
}

#[test]
fn an_unreachable_wrong_or_foreign_database_gets_one_line_and_never_shows_the_password() {
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    // Nothing listens on port 1.
    let o = env.vendor(&[
        "--ledger",
        "postgres://actline:hunter2@127.0.0.1:1/x?connect_timeout=2",
        "init",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let e = err(&o);
    assert!(e.contains("cannot reach the ledger's database"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(!env.home().join("secrets").exists(), "no half-made home");
    // A database that holds something else.
    let url = pg_database("foreign");
    let made = Command::new("psql")
        .args([url.as_str(), "-qXc", "CREATE TABLE invoices (id int)"])
        .output()
        .unwrap();
    assert!(made.status.success());
    let o = env.vendor(&["--ledger", &url, "init"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("not an actline ledger"), "{}", err(&o));
    // A database with no ledger, named for a command that needs one.
    let empty = pg_database("empty");
    let demo = Env::demo_on(None);
    let o = demo.vendor(&["--ledger", &empty, "key", "list"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("no ledger in this database"),
        "{}",
        err(&o)
    );
}

/// A PostgreSQL server of one test's own, so that stopping and starting it
/// disturbs no other test: `initdb` in a temporary directory (as the
/// `postgres` OS user when the tests run as root), listening on 127.0.0.1
/// at a free port and on a socket in its directory. Stopped by its PID
/// when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    port: u16,
    server: Option<std::process::Child>,
    /// The OS user the server runs as, when not the current one.
    owner: Option<(u32, u32)>,
    /// TLS only, with this certificate and key.
    tls: bool,
}

impl Cluster {
    /// A new cluster, started; with `tls`, a certificate for 127.0.0.1
    /// (`cert.pem` in its directory) and only TLS connections on TCP.
    fn new(tls: bool) -> Self {
        let bin = std::path::PathBuf::from(std::env::var("ACTLINE_TEST_PG_BIN").expect(
            "the PostgreSQL tests run through scripts/with-postgres.sh, which names the server's programs",
        ));
        let dir = tempfile::tempdir().unwrap();
        let owner = running_as_root().then(|| {
            let id = |flag: &str| -> u32 {
                let o = Command::new("id")
                    .args([flag, "postgres"])
                    .output()
                    .unwrap();
                text(&o).parse().expect("a postgres OS user")
            };
            (id("-u"), id("-g"))
        });
        let own = |p: &Path| {
            if let Some((u, g)) = owner {
                std::os::unix::fs::chown(p, Some(u), Some(g)).unwrap();
            }
        };
        own(dir.path());
        let data = dir.path().join("data");
        let o = as_owner(Command::new(bin.join("initdb")), owner)
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "actline",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "initdb: {}", err(&o));
        if tls {
            let (cert, key) = crate::service::loopback_cert(dir.path());
            for (from, to) in [(&cert, "server.crt"), (&key, "server.key")] {
                let p = data.join(to);
                std::fs::copy(from, &p).unwrap();
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
                own(&p);
            }
            // TCP only with TLS; the socket (for psql) as before.
            std::fs::write(
                data.join("pg_hba.conf"),
                "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
            )
            .unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut c = Cluster {
            dir,
            port,
            server: None,
            owner,
            tls,
        };
        c.start();
        c
    }

    /// Starts the server and waits (at most 20 s) until it takes
    /// connections.
    fn start(&mut self) {
        let bin = std::path::PathBuf::from(std::env::var("ACTLINE_TEST_PG_BIN").unwrap());
        let mut cmd = as_owner(Command::new(bin.join("postgres")), self.owner);
        cmd.arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("-k")
            .arg(self.dir.path())
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()]);
        if self.tls {
            cmd.args(["-c", "ssl=on"]);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.server = Some(child);
        for _ in 0..200 {
            let ready = Command::new(bin.join("pg_isready"))
                .arg("-q")
                .arg("-h")
                .arg(self.dir.path())
                .args(["-p", &self.port.to_string()])
                .status()
                .unwrap();
            if ready.success() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the test's PostgreSQL did not start within 20 s");
    }

    /// Stops the server by its PID (SIGINT: PostgreSQL's fast shutdown,
    /// which ends every session) and waits for it, at most 20 s.
    fn stop(&mut self) {
        let Some(mut child) = self.server.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        for _ in 0..200 {
            if child.try_wait().unwrap().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// A new database on this server, its URL (over TCP, with `query`).
    fn database(&self, name: &str, query: &str) -> String {
        let o = Command::new("psql")
            .arg("-h")
            .arg(self.dir.path())
            .args(["-p", &self.port.to_string(), "-U", "actline", "-qX"])
            .args(["-c", &format!("CREATE DATABASE {name}"), "postgres"])
            .output()
            .unwrap();
        assert!(o.status.success(), "psql: {}", err(&o));
        format!("postgres://actline@127.0.0.1:{}/{name}{query}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether the tests run as root (and so run the server as `postgres`).
fn running_as_root() -> bool {
    text(&Command::new("id").arg("-u").output().unwrap()) == "0"
}

/// `cmd`, to be run as `owner` when one is given.
fn as_owner(mut cmd: Command, owner: Option<(u32, u32)>) -> Command {
    use std::os::unix::process::CommandExt;
    if let Some((u, g)) = owner {
        cmd.gid(g).uid(u);
    }
    cmd
}

#[test]
fn the_database_restarted_in_the_middle_of_a_batch_loses_no_printed_confirmation_id() {
    let mut pg = Cluster::new(false);
    let env = Env::demo_on(Some(&pg.database("restarted", "")));
    let key = env.issue(&["--product", "studio", "--activations", "100000"]);
    let lines: Vec<String> = crate::service::iids(&env, &key, 2000)
        .into_iter()
        .enumerate()
        .map(|(n, iid)| format!("pc-{n},{iid}"))
        .collect();
    let input = env.dir.path().join("in.csv");
    let output = env.dir.path().join("out.csv");
    std::fs::write(&input, lines.join("\n")).unwrap();
    let batch = bin()
        .arg("--home")
        .arg(env.home())
        .args(["batch", input.to_str().unwrap(), output.to_str().unwrap()])
        .args(["--chunk", "10"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let printed = || {
        std::fs::read_to_string(&output)
            .map(|s| s.lines().count())
            .unwrap_or(0)
    };
    let start = Instant::now();
    while printed() < 100 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    pg.stop();
    let o = batch.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let e = err(&o);
    assert!(e.contains("cannot reach the ledger's database"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    pg.start();

    // Every confirmation ID printed is on record, and the seats match the
    // grants: nothing half-written.
    let (grants, printed) = batch_left_consistent(&env, &key, &output);
    assert!(grants < 2000, "stopped before the end ({grants})");
    assert!(printed >= 99, "{printed} printed");
    let v = env.vendor(&["audit", "verify"]);
    assert!(v.status.success(), "{}", err(&v));
    // The batch run again finishes: what was done is answered again, the rest decided.
    let again = env.dir.path().join("again.csv");
    let o = env.vendor(&["batch", input.to_str().unwrap(), again.to_str().unwrap()]);
    assert!(o.status.success(), "{}", err(&o));
    let shown = crate::service::json(&env.vendor(&["key", "show", &key, "--json"]));
    assert_eq!(shown["used"], 2000);
}

#[test]
fn after_the_database_restarts_the_service_fails_the_request_in_flight_clearly_and_serves_the_next()
{
    let mut pg = Cluster::new(false);
    let env = Env::demo_on(Some(&pg.database("service", "")));
    let key = env.issue(&["--product", "studio", "--activations", "10"]);
    let ids = crate::service::iids(&env, &key, 3);
    let server = crate::service::Server::start(&env.home(), None);
    let o = server.cli(&["activate", &ids[0]]);
    assert!(o.status.success(), "{}", err(&o));
    pg.stop();
    // The database down: a clear line, exit 1, and the service stays up.
    let o = server.cli(&["activate", &ids[1]]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(
        err(&o).contains("cannot reach the ledger's database"),
        "{}",
        err(&o)
    );
    pg.start();
    // Back: the service's connections were lost, the next request works.
    for iid in &ids[1..] {
        let o = server.cli(&["activate", iid]);
        assert!(o.status.success(), "{}", err(&o));
    }
    // Restarted while the service was idle: its connection is dead, which
    // it finds out only on the next request, and that request still works.
    pg.stop();
    pg.start();
    let shown = crate::service::json(&server.cli(&["key", "show", &key, "--json"]));
    assert_eq!(shown["used"], 3);
}

#[test]
fn forty_activations_through_two_services_on_one_database_for_a_10_seat_key_grant_exactly_10() {
    let env = demo_on("two_services");
    let key = env.issue(&["--product", "studio", "--activations", "10"]);
    let ids = crate::service::iids(&env, &key, 40);
    let services = [
        crate::service::Server::start(&env.home(), None),
        crate::service::Server::start(&env.home(), None),
    ];
    let urls: Vec<String> = services.iter().map(|s| s.url()).collect();
    let children: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(n, iid)| spawn_activate(&["--server".as_ref(), urls[n % 2].as_ref()], iid))
        .collect();
    let (granted, denied) = tally(children, |o| {
        match crate::service::json(o)["decision"].as_str() {
            Some("granted") => Some(true),
            Some("denied") => Some(false),
            _ => None,
        }
    });
    assert_eq!((granted, denied), (10, 30));
    for s in &services {
        let shown = crate::service::json(&s.cli(&["key", "show", &key, "--json"]));
        assert_eq!(
            (shown["used"].as_u64(), shown["left"].as_u64()),
            (Some(10), Some(0))
        );
    }
    let v = env.vendor(&["audit", "verify"]);
    assert!(v.status.success(), "{}", err(&v));
}

#[test]
fn a_url_asking_for_tls_gets_a_verified_tls_connection_and_a_wrong_certificate_one_line() {
    let pg = Cluster::new(true);
    let cert = pg.dir.path().join("cert.pem");
    let verified = pg.database(
        "tls",
        &format!("?sslmode=verify-full&sslrootcert={}", cert.display()),
    );
    // The server takes TCP connections with TLS only: a ledger made and
    // used through it went over TLS, certificate and name checked.
    let env = Env::demo_on(Some(&verified));
    let key = env.issue(&["--product", "studio", "--activations", "2"]);
    let iid = env.iid("m", &sample("fingerprint-a.json"), &key, "studio");
    let o = env.vendor(&["activate", &iid]);
    assert!(o.status.success(), "{}", err(&o));
    // Plain, it is refused by the server, in one line.
    let plain = verified.split('?').next().unwrap().to_string();
    let o = env.vendor(&["--ledger", &plain, "key", "list"]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(
        err(&o).contains("cannot reach the ledger's database"),
        "{}",
        err(&o)
    );
    assert_eq!(err(&o).lines().count(), 1, "{}", err(&o));
    // A certificate the URL's root did not sign is refused, in one line.
    let other = tempfile::tempdir().unwrap();
    let (stranger, _) = crate::service::loopback_cert(other.path());
    let wrong = format!(
        "{plain}?sslmode=verify-full&sslrootcert={}",
        stranger.display()
    );
    let o = env.vendor(&["--ledger", &wrong, "key", "list"]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(
        err(&o).to_lowercase().contains("certificate"),
        "{}",
        err(&o)
    );
    assert_eq!(err(&o).lines().count(), 1, "{}", err(&o));
}

impl Cluster {
    /// Runs `sql` as the superuser over the cluster's socket.
    fn admin(&self, db: &str, sql: &str) -> String {
        let o = Command::new("psql")
            .arg("-h")
            .arg(self.dir.path())
            .args(["-p", &self.port.to_string(), "-U", "actline", "-qXtA"])
            .args(["-v", "ON_ERROR_STOP=1", "-c", sql, db])
            .output()
            .unwrap();
        assert!(o.status.success(), "psql {sql}: {}", err(&o));
        text(&o)
    }
}

#[test]
fn wrong_credentials_and_a_newer_schema_get_one_line_and_leave_the_ledger_as_it_was() {
    let pg = Cluster::new(false);
    let url = pg.database("guarded", "");
    let env = Env::demo_on(Some(&url));
    // From now on TCP needs the password.
    pg.admin(
        "postgres",
        "ALTER ROLE actline PASSWORD 'right-horse-battery'",
    );
    std::fs::write(
        pg.dir.path().join("data/pg_hba.conf"),
        "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n",
    )
    .unwrap();
    pg.admin("postgres", "SELECT pg_reload_conf()");
    let with = |password: &str| url.replacen("actline@", &format!("actline:{password}@"), 1);
    let o = env.vendor(&["--ledger", &with("wrong-staple-guess"), "key", "list"]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let e = err(&o);
    assert!(e.contains("cannot reach the ledger's database"), "{e}");
    assert!(e.contains("password authentication failed"), "{e}");
    assert!(!e.contains("wrong-staple-guess"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    let o = env.vendor(&["--ledger", &with("right-horse-battery"), "key", "list"]);
    assert!(o.status.success(), "{}", err(&o));
    // A ledger a newer actline migrated: refused, untouched.
    pg.admin("guarded", "INSERT INTO actline_schema VALUES (99, 'later')");
    let entries = pg.admin("guarded", "SELECT count(*) FROM audit");
    let o = env.vendor(&["--ledger", &with("right-horse-battery"), "key", "list"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("newer than this actline"), "{}", err(&o));
    assert_eq!(err(&o).lines().count(), 1, "{}", err(&o));
    assert_eq!(pg.admin("guarded", "SELECT count(*) FROM audit"), entries);
    assert_eq!(
        pg.admin("guarded", "SELECT max(version) FROM actline_schema"),
        "99"
    );
}
