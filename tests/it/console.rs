//! The agent desk in a real terminal: `tests/console_e2e.sh` drives
//! `actline agent --demo` in tmux — types an installation ID, reads the
//! confirmation ID off the screen and verifies it with `actline client
//! confirm`, checks refused letters, help, a too-small terminal, a missing
//! ledger and that quitting restores the terminal — then reports start-up
//! and keypress-to-frame times. Skipped (with a note) where tmux is missing.

use std::process::Command;

#[test]
fn the_agent_desk_grants_in_a_real_terminal_and_the_machine_accepts_it() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed (apt-get install -y tmux)");
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/console_e2e.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_actline"))
        .env_remove("ACTLINE_HOME")
        .env_remove("ACTLINE_PLAYER")
        .env_remove("TMUX")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "the desk's end-to-end test failed:\n{text}"
    );
}
