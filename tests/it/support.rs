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

impl Env {
    /// A fresh home initialised with the demo catalog.
    pub fn demo() -> Self {
        let e = Env {
            dir: tempfile::tempdir().unwrap(),
        };
        let o = e.vendor(&["init", "--demo"]);
        assert!(o.status.success(), "init: {}", err(&o));
        e
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
