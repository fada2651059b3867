//! The engine as a service: the real `actline serve` on a Unix socket in a
//! temporary directory and TLS on 127.0.0.1, real clients, real OS users
//! when the tests run as root. Every service a test starts is stopped by
//! its PID when the test ends.

use crate::support::*;
use actline::ids::InstallationId;
use actline::keys::ProductKey;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A running `actline serve`, killed (by PID) when dropped.
pub(crate) struct Server {
    child: Child,
    socket: PathBuf,
    tls: Option<String>,
    /// Holds the socket's directory.
    _dir: tempfile::TempDir,
}

impl Server {
    /// Serves `home` on a socket in a fresh world-traversable directory,
    /// plus TLS on an ephemeral loopback port when `tls` names a
    /// certificate and key.
    pub(crate) fn start(home: &Path, tls: Option<(&Path, &Path)>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let socket = dir.path().join("actline.sock");
        let mut cmd = bin();
        cmd.arg("--home")
            .arg(home)
            .arg("serve")
            .arg("--socket")
            .arg(&socket)
            .args(["--head-timeout", "2"]);
        if let Some((cert, key)) = tls {
            cmd.args(["--listen", "127.0.0.1:0", "--tls-cert"])
                .arg(cert)
                .arg("--tls-key")
                .arg(key);
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The first log line says where it listens.
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stderr).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = tx.send(first);
            }
            // Keep draining so the service never blocks on a full pipe.
            for _ in lines {}
        });
        let first = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the service did not start within 20 s");
        let v: serde_json::Value = serde_json::from_str(&first).unwrap();
        assert_eq!(v["event"], "listening", "{first}");
        Server {
            child,
            socket,
            tls: v["tls"].as_str().map(str::to_string),
            _dir: dir,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("unix:{}", self.socket.display())
    }

    /// The command line against this service, as the current OS user.
    pub(crate) fn cli(&self, args: &[&str]) -> Output {
        bin()
            .arg("--server")
            .arg(self.url())
            .args(args)
            .output()
            .unwrap()
    }

    /// A raw HTTP/1.1 exchange on the socket; returns the whole response.
    fn raw(&self, request: &[u8]) -> String {
        let mut s = std::os::unix::net::UnixStream::connect(&self.socket).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = s.write_all(request);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).to_string()
    }

    /// SIGKILL, as an operator's `kill -9` would.
    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Installation IDs of `n` different machines for `key` (product studio).
pub(crate) fn iids(env: &Env, key: &str, n: u32) -> Vec<String> {
    let trust = actline::client::Trust::load(&env.home().join("trust.json")).unwrap();
    let salt = trust.salt();
    let k = ProductKey::parse(key).unwrap();
    (0..n)
        .map(|i| {
            InstallationId::new(
                101,
                &k,
                machine(i).hash(&salt, k.serial()),
                actline::days::today(),
            )
            .to_string()
        })
        .collect()
}

pub(crate) fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null)
}

#[test]
fn through_the_socket_commands_print_and_exit_as_on_the_home() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "1"]);
    let [a, b]: [String; 2] = iids(&env, &key, 2).try_into().unwrap();
    let server = Server::start(&env.home(), None);
    let remote = server.cli(&["activate", &a]);
    assert!(remote.status.success(), "{}", err(&remote));
    assert!(
        text(&remote).contains("decision: granted"),
        "{}",
        text(&remote)
    );
    // A denial exits 3 with the remedy, as locally.
    let denied = server.cli(&["activate", &b]);
    assert_eq!(denied.status.code(), Some(3), "{}", err(&denied));
    assert!(err(&denied).contains("denied —"), "{}", err(&denied));
    // The same lookups, the same text.
    drop(server);
    let local = env.vendor(&["key", "show", &key]);
    let server = Server::start(&env.home(), None);
    assert_eq!(text(&server.cli(&["key", "show", &key])), text(&local));
    // Bad input is named before anything is sent; an unknown key is bad input.
    let o = server.cli(&["activate", "12-34"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("installation ID"), "{}", err(&o));
    let o = server.cli(&["key", "show", "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    // A product's trust file comes from the service, identical to a local export.
    let (remote_t, local_t) = (env.dir.path().join("r.json"), env.dir.path().join("l.json"));
    let o = server.cli(&[
        "trust",
        "export",
        "--product",
        "studio",
        "--out",
        remote_t.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", err(&o));
    drop(server);
    let o = env.vendor(&[
        "trust",
        "export",
        "--product",
        "studio",
        "--out",
        local_t.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        std::fs::read(&remote_t).unwrap(),
        std::fs::read(&local_t).unwrap()
    );
    assert_eq!(
        std::fs::metadata(&remote_t).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn activating_the_same_installation_id_again_returns_the_same_activation_and_confirmation_id() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "5"]);
    let iid = &iids(&env, &key, 1)[0];
    let server = Server::start(&env.home(), None);
    let first = json(&server.cli(&["activate", iid, "--json"]));
    let again = json(&server.cli(&["activate", iid, "--json"]));
    assert_eq!(first["decision"], "granted");
    assert_eq!(again["activation"], first["activation"]);
    assert_eq!(again["confirmation_id"], first["confirmation_id"]);
    let shown = json(&server.cli(&["key", "show", &key, "--json"]));
    assert_eq!(shown["used"], 1);
    assert_eq!(
        shown["activations"].as_array().unwrap().len(),
        1,
        "no second row"
    );
    // An idempotency key reused for another request is refused.
    let other = &iids(&env, &key, 2)[1];
    let o = server.cli(&["activate", iid, "--idempotency-key", "order-17"]);
    assert!(o.status.success(), "{}", err(&o));
    let o = server.cli(&["activate", other, "--idempotency-key", "order-17"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("different request"), "{}", err(&o));
    // A retried key issue with its idempotency key issues one key, not two.
    let issue = [
        "key",
        "issue",
        "--product",
        "studio",
        "--activations",
        "2",
        "--idempotency-key",
        "po-9",
    ];
    let k1 = text(&server.cli(&issue));
    let k2 = text(&server.cli(&issue));
    assert_eq!(k1, k2);
}

#[test]
fn forty_concurrent_activations_through_the_api_on_a_ten_seat_key_grant_exactly_ten() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "10"]);
    let ids = iids(&env, &key, 40);
    let server = Server::start(&env.home(), None);
    let url = server.url();
    let children: Vec<Child> = ids
        .iter()
        .map(|iid| {
            bin()
                .arg("--server")
                .arg(&url)
                .args(["activate", iid, "--json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut granted = 0;
    for c in children {
        let o = c.wait_with_output().unwrap();
        if json(&o)["decision"] == "granted" {
            granted += 1;
        }
    }
    assert_eq!(granted, 10);
    let shown = json(&server.cli(&["key", "show", &key, "--json"]));
    assert_eq!(shown["used"], 10);
    assert_eq!(shown["left"], 0);
}

#[test]
fn malformed_oversized_and_slow_requests_get_clear_errors_and_the_service_stays_up() {
    let env = Env::demo();
    let server = Server::start(&env.home(), None);
    let r = server.raw(b"GET /v1/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(r.starts_with("HTTP/1.1 404"), "{r}");
    assert!(r.contains("no route /v1/nothing"), "{r}");
    let body = b"{not json";
    let r = server.raw(
        &[
            format!(
                "POST /v1/activations HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
            body,
        ]
        .concat(),
    );
    assert!(r.starts_with("HTTP/1.1 400"), "{r}");
    assert!(r.contains("not JSON"), "{r}");
    let big = vec![b' '; 5 << 20];
    let r = server.raw(
        &[
            format!(
                "POST /v1/activations HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
                big.len()
            )
            .as_bytes(),
            &big,
        ]
        .concat(),
    );
    assert!(r.starts_with("HTTP/1.1 400"), "{r}");
    assert!(r.contains("bytes"), "{r}");
    // A client that stops half-way through its head is dropped after the
    // head timeout (2 s here), not kept forever.
    let mut slow = std::os::unix::net::UnixStream::connect(&server.socket).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    slow.write_all(b"GET /v1/health HTTP/1.1\r\nHo").unwrap();
    let start = Instant::now();
    let mut sink = Vec::new();
    let _ = slow.read_to_end(&mut sink);
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    // A dropped connection mid-body changes nothing and the service answers on.
    {
        let mut s = std::os::unix::net::UnixStream::connect(&server.socket).unwrap();
        s.write_all(
            b"POST /v1/activations HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"inst",
        )
        .unwrap();
    }
    let r = server.raw(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    // The unknown route, the bad JSON, the oversized body and the body cut
    // off; the slow head never became a request. The cut-off body is counted
    // by its own connection's thread, which may not have seen the hang-up
    // yet: wait for it, a bounded number of times.
    let metrics = || server.raw(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut m = metrics();
    let mut asked = 1;
    while !m.contains("actline_errors_total 4") && asked < 50 {
        std::thread::sleep(Duration::from_millis(100));
        m = metrics();
        asked += 1;
    }
    assert!(m.contains("actline_errors_total 4"), "{m}");
    // Those four, the health check and each metrics request (counted as it
    // arrives, before its answer is written).
    let requests = format!("actline_requests_total {}", 5 + asked);
    assert!(m.contains(&requests), "{m}");
}

#[test]
fn a_batch_through_the_service_killed_with_sigkill_loses_no_printed_confirmation_id() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "100000"]);
    let lines: Vec<String> = iids(&env, &key, 3000)
        .into_iter()
        .enumerate()
        .map(|(n, iid)| format!("pc-{n},{iid}"))
        .collect();
    let input = env.dir.path().join("in.csv");
    let output = env.dir.path().join("out.csv");
    std::fs::write(&input, lines.join("\n")).unwrap();
    let mut server = Server::start(&env.home(), None);
    let mut batch = bin()
        .arg("--server")
        .arg(server.url())
        .args([
            "batch",
            input.to_str().unwrap(),
            output.to_str().unwrap(),
            "--chunk",
            "20",
        ])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::fs::read_to_string(&output)
        .map(|s| s.lines().count())
        .unwrap_or(0)
        < 100
        && start.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill9();
    let status = batch.wait().unwrap();
    assert!(
        !status.success(),
        "the batch cannot finish without its service"
    );

    let (grants, printed) = batch_left_consistent(&env, &key, &output);
    assert!(grants < 3000, "killed before the end ({grants})");
    assert!(printed >= 99, "{printed} printed");
    // Restarted, the service serves the same ledger, nothing lost.
    let server = Server::start(&env.home(), None);
    let shown = json(&server.cli(&["key", "show", &key, "--json"]));
    assert_eq!(shown["used"], grants);
}

/// A certificate for 127.0.0.1 and its key, in `dir`.
pub(crate) fn loopback_cert(dir: &Path) -> (PathBuf, PathBuf) {
    let c = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, c.cert.pem()).unwrap();
    std::fs::write(&key, c.signing_key.serialize_pem()).unwrap();
    (cert, key)
}

#[test]
fn a_remote_desk_over_tls_works_with_its_token_and_is_refused_once_it_is_revoked() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "3"]);
    let ids = iids(&env, &key, 2);
    let (cert, tls_key) = loopback_cert(env.dir.path());
    assert!(env
        .vendor(&["staff", "add", "carol", "--role", "agent"])
        .status
        .success());
    let issued = env.vendor(&["staff", "token", "carol"]);
    assert!(issued.status.success(), "{}", err(&issued));
    let token_file = env.dir.path().join("carol.token");
    std::fs::write(&token_file, text(&issued)).unwrap();
    let server = Server::start(&env.home(), Some((&cert, &tls_key)));
    let url = format!("https://{}", server.tls.clone().expect("a TLS address"));
    let remote = |args: &[&str]| {
        bin()
            .args(["--server", &url, "--token-file"])
            .arg(&token_file)
            .arg("--ca")
            .arg(&cert)
            .args(args)
            .output()
            .unwrap()
    };
    let o = remote(&["activate", &ids[0], "--json"]);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(json(&o)["decision"], "granted");
    // The desk over TLS with the same token (when tmux is here to run it).
    let desk = Tmux::start(&format!(
        "env -u ACTLINE_HOME {} --server {url} --token-file {} --ca {} agent; sleep 60",
        env!("CARGO_BIN_EXE_actline"),
        token_file.display(),
        cert.display()
    ));
    match &desk {
        Some(d) => {
            d.wait_for(&format!(" carol · agent · ledger via {url}"));
        }
        None => eprintln!("the desk part skipped: tmux is not installed"),
    }
    // carol is an agent: a limit change is refused by the service.
    let o = remote(&["key", "limit", &key, "9", "--reason", "more"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("only supervisors"), "{}", err(&o));
    // Without the CA the client refuses the server; a wrong token is refused.
    let o = bin()
        .args(["--server", &url, "--token-file"])
        .arg(&token_file)
        .args(["activate", &ids[1]])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("--ca"), "{}", err(&o));
    // Expired: a token issued more than 90 days ago is refused, by name.
    env.sql(
        false,
        "UPDATE tokens SET issued_at = '2020-01-01T00:00:00Z' WHERE name = 'carol'",
    );
    let o = remote(&["activate", &ids[1]]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("the token of carol expired"),
        "{}",
        err(&o)
    );
    env.sql(
        false,
        &format!(
            "UPDATE tokens SET issued_at = '{}' WHERE name = 'carol'",
            actline::days::now_rfc3339()
        ),
    );
    // Revoked: the next request is refused.
    let o = server.cli(&["staff", "revoke-token", "carol"]);
    assert!(o.status.success(), "{}", err(&o));
    let o = remote(&["activate", &ids[1]]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("revoked"), "{}", err(&o));
    // The desk too: its next request (the waiting calls, asked every two
    // seconds) is refused, and it says so instead of going on.
    // (F5 first: had it polled while the token was expired, it is already
    // disconnected, and F5 asks again.)
    if let Some(d) = &desk {
        d.keys(false, "F5");
        d.wait_for("unknown or was revoked");
        d.wait_for("not connected to the ledger — F5 tries again");
    }
    // The token is stored hashed, never as issued.
    let issued = text(&issued);
    assert!(issued
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
    let n = env.sql(
        false,
        &format!("SELECT count(*) FROM tokens WHERE hash = '{issued}'"),
    );
    assert_eq!(n, "0");
    // Someone who can write the database but not read the secrets cannot
    // mint a token: a row with the plain SHA-256 of their own token is no use.
    use sha2::Digest;
    let forged = "actl_forged";
    let plain: String = sha2::Sha256::digest(forged.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    env.sql(
        false,
        &format!("INSERT INTO tokens(name, hash, issued_at, issued_by) VALUES ('carol', '{plain}', 'x', 'x')"),
    );
    let forged_file = env.dir.path().join("forged.token");
    std::fs::write(&forged_file, forged).unwrap();
    let o = bin()
        .args(["--server", &url, "--token-file"])
        .arg(&forged_file)
        .arg("--ca")
        .arg(&cert)
        .args(["activate", &ids[1]])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("unknown or was revoked"), "{}", err(&o));
}

/// Runs `cmd` as OS user `user` (via runuser).
fn as_user(user: &str, args: &[&str]) -> Output {
    Command::new("runuser")
        .args(["-u", user, "--"])
        .args(args)
        .env_remove("ACTLINE_HOME")
        .env_remove("ACTLINE_SERVER")
        .output()
        .unwrap()
}

/// A throwaway OS user, deleted when dropped.
struct OsUser(String);

impl OsUser {
    /// A new user, named by the process and a counter (tests run at once).
    fn create() -> Option<Self> {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("actl{}x{n}", std::process::id() % 100_000);
        let ok = Command::new("useradd")
            .args(["--no-create-home", "--shell", "/usr/sbin/nologin", &name])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        ok.then_some(OsUser(name))
    }
}

impl OsUser {
    /// A second OS user for a test, or `None` with the reason printed (the
    /// tests do not run as root, or useradd is missing).
    fn second() -> Option<Self> {
        if actline::home::os_user() != "root" {
            eprintln!("skipped: creating a second OS user needs root");
            return None;
        }
        let user = OsUser::create();
        if user.is_none() {
            eprintln!("skipped: useradd is not available");
        }
        user
    }
}

/// A copy of the binary that other OS users can run (the build directory
/// may be owner-only), in a directory removed when the first is dropped.
fn binary_for_others() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let exe = dir.path().join("actline");
    std::fs::copy(env!("CARGO_BIN_EXE_actline"), &exe).unwrap();
    (dir, exe)
}

impl Drop for OsUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(&self.0).status();
    }
}

#[test]
fn an_agent_on_another_os_account_activates_through_the_socket_but_cannot_read_the_home() {
    let Some(agent) = OsUser::second() else {
        return;
    };
    let env = Env::demo();
    // Only the home's own permissions stand between the agent and it.
    std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mode = std::fs::metadata(env.home()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the home is owner-only");
    let (_bin_dir, actline_bin) = binary_for_others();
    let exe = actline_bin.to_str().unwrap();
    assert!(env
        .vendor(&["staff", "add", &agent.0, "--role", "agent"])
        .status
        .success());
    let key = env.issue(&["--product", "studio", "--activations", "2"]);
    let iid = iids(&env, &key, 1).remove(0);
    let server = Server::start(&env.home(), None);
    let url = server.url();

    let o = as_user(
        &agent.0,
        &[exe, "--server", &url, "activate", &iid, "--json"],
    );
    assert!(o.status.success(), "agent activation: {}", err(&o));
    assert_eq!(json(&o)["decision"], "granted");
    let number = json(&o)["activation"].to_string();
    let o = as_user(
        &agent.0,
        &[
            exe, "--server", &url, "key", "limit", &key, "9", "--reason", "x",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("only supervisors"), "{}", err(&o));
    // The home is the service user's alone.
    let home = env.home();
    for f in [home.join("secrets/master.key"), home.join("ledger.db")] {
        let o = as_user(&agent.0, &["cat", f.to_str().unwrap()]);
        assert!(!o.status.success(), "the agent read {}", f.display());
    }
    let o = as_user(
        &agent.0,
        &[exe, "--home", home.to_str().unwrap(), "key", "show", &key],
    );
    assert!(!o.status.success(), "the agent opened the home directly");
    // The service knew the agent by their OS user name.
    let o = server.cli(&["activation", "show", &number, "--json"]);
    assert_eq!(json(&o)["actor"], agent.0.as_str(), "{}", text(&o));
}

#[test]
fn a_call_handed_over_through_the_service_is_taken_by_exactly_one_of_two_racing_desks() {
    use actline::service::{Reply, Request};
    use actline_server::client::{Remote, Target};
    let env = Env::demo();
    let server = Server::start(&env.home(), None);
    let client = || Remote::new(Target::Unix(server.socket.clone()), None, None).unwrap();
    let id = match client().call(
        &Request::HandOver {
            call: "call-9".into(),
            reason: "the caller asked for an agent".into(),
            groups: vec!["1234567".into()],
            installation_id: None,
            reasons: vec![],
        },
        None,
    ) {
        Ok(Reply::HandedOver(t)) => t.handover,
        other => panic!("{other:?}"),
    };
    let takes: Vec<_> = (0..2)
        .map(|_| {
            let c = client();
            std::thread::spawn(move || c.call(&Request::HandoverTake { id }, None))
        })
        .collect();
    let results: Vec<_> = takes.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    let refused = results.iter().find_map(|r| r.as_ref().err()).unwrap();
    assert!(refused.message.contains("already taken"), "{refused}");
    // Every desk now sees it gone from the waiting list.
    match client().call(&Request::Handovers { waiting_only: true }, None) {
        Ok(Reply::Handovers(h)) => assert!(h.handovers.iter().all(|h| h.id != id)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_ivr_decides_through_the_service_as_a_self_service_caller() {
    let env = Env::demo();
    let key = env.issue(&["--product", "studio", "--activations", "2"]);
    let iid = iids(&env, &key, 1).remove(0);
    let groups: Vec<&str> = iid.split('-').collect();
    let script = format!("2s {} 60s", groups.join(" 1s "));
    let server = Server::start(&env.home(), None);
    let o = server.cli(&["ivr", "--dtmf", &script, "--call", "line-1"]);
    assert!(o.status.success(), "{}", err(&o));
    let t: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(t["installation_id"], iid.as_str(), "{t}");
    let cid = t["confirmation_id"]
        .as_str()
        .expect("a confirmation ID was read out");
    // Recorded by the service: labelled with the call, by the OS user.
    let shown = json(&server.cli(&["key", "show", &key, "--json"]));
    let a = &shown["activations"][0];
    assert_eq!(a["confirmation_id"], cid);
    assert_eq!(a["label"], "line-1");
    // With the service gone, the IVR refuses to start rather than take calls it cannot decide.
    drop(server);
    let o = bin()
        .args([
            "--server",
            "unix:/nonexistent/actline.sock",
            "ivr",
            "--dtmf",
            &script,
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("cannot reach the service"), "{}", err(&o));
}

#[test]
fn an_agent_on_another_os_account_runs_the_desk_through_the_socket_and_grants() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed (apt-get install -y tmux)");
        return;
    }
    let Some(agent) = OsUser::second() else {
        return;
    };
    let env = Env::demo();
    std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (_bin_dir, exe) = binary_for_others();
    assert!(env
        .vendor(&["staff", "add", &agent.0, "--role", "agent"])
        .status
        .success());
    let key = env.issue(&["--product", "studio", "--activations", "2"]);
    let iid = iids(&env, &key, 1).remove(0);
    let server = Server::start(&env.home(), None);
    // The desk as the agent, knowing only the socket: no home, no secrets.
    let desk = Tmux::start(&format!(
        "runuser -u {} -- env -u ACTLINE_HOME HOME=/nonexistent ACTLINE_SERVER={} {} agent; sleep 60",
        agent.0,
        server.url(),
        exe.display()
    ))
    .expect("tmux starts");
    desk.wait_for(&format!(
        " {} · agent · ledger via {}",
        agent.0,
        server.url()
    ));
    desk.keys(true, &iid);
    desk.wait_for("valid installation ID");
    desk.keys(false, "Enter");
    let screen = desk.wait_for("GRANTED");
    // The confirmation ID on the agent's screen is the one the service recorded, by the agent.
    let shown = json(&server.cli(&["key", "show", &key, "--json"]));
    let a = &shown["activations"][0];
    assert_eq!(a["actor"], agent.0.as_str(), "{shown}");
    let cid = a["confirmation_id"].as_str().unwrap();
    let first_group = cid.split('-').next().unwrap();
    assert!(
        screen.contains(first_group),
        "{cid} not on screen:\n{screen}"
    );
    // Supervisor actions are not offered (the words, not "F6", which a key may contain),
    // and the home stays closed to the agent.
    assert!(!screen.contains("raise limit"), "{screen}");
    for f in ["secrets/master.key", "ledger.db"] {
        let path = env.home().join(f);
        let o = as_user(&agent.0, &["cat", path.to_str().unwrap()]);
        assert!(!o.status.success(), "the agent read {}", path.display());
    }
}
