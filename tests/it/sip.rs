//! The telephone line for real: `actline ivr serve --sip 127.0.0.1:0` with
//! real peers on loopback. A phone written here on plain UDP sockets checks
//! the SIP answers and the RTP packets themselves; Debian's baresip
//! (`tests/sip/caller.py`) makes whole calls. Every process a test starts
//! is stopped by its PID; every wait is bounded.

use crate::support::*;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running line, stopped (SIGTERM, then SIGKILL) by its PID when dropped.
struct Line {
    child: Child,
    sip: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
    transcripts: PathBuf,
}

impl Line {
    fn start(env: &Env, extra: &[&str]) -> Line {
        Line::start_as(env, &["ivr", "serve"], extra)
    }

    /// `command` (`ivr serve`, or `serve --socket S`) with the line on an
    /// ephemeral port.
    fn start_as(env: &Env, command: &[&str], extra: &[&str]) -> Line {
        let transcripts = env.dir.path().join(format!("transcripts-{}", rand_u16()));
        let mut child = bin()
            .arg("--home")
            .arg(env.home())
            .args(command)
            .args(["--sip", "127.0.0.1:0", "--record", "--transcripts"])
            .arg(&transcripts)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let keep = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("\"listening\"") && line.contains("\"sip\"") {
                    let _ = tx.send(line.clone());
                }
                keep.lock().unwrap().push(line);
            }
        });
        let first = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the line did not start within 20 s");
        let v: serde_json::Value = serde_json::from_str(&first).unwrap();
        Line {
            child,
            sip: v["sip"].as_str().unwrap().parse().unwrap(),
            log,
            transcripts,
        }
    }

    fn uri(&self) -> String {
        format!("sip:ivr@{}", self.sip)
    }

    /// The transcripts written so far, by call name.
    fn transcripts(&self) -> Vec<(String, serde_json::Value)> {
        let Ok(dir) = std::fs::read_dir(&self.transcripts) else {
            return Vec::new();
        };
        let mut out: Vec<_> = dir
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .map(|e| {
                let v = serde_json::from_str(&std::fs::read_to_string(e.path()).unwrap()).unwrap();
                (
                    e.path().file_stem().unwrap().to_string_lossy().to_string(),
                    v,
                )
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Waits (at most 20 s) for `n` transcripts.
    fn wait_transcripts(&self, n: usize) -> Vec<(String, serde_json::Value)> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let t = self.transcripts();
            if t.len() >= n {
                return t;
            }
            assert!(
                Instant::now() < deadline,
                "{} transcripts of {n}; log:\n{}",
                t.len(),
                self.log.lock().unwrap().join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM, then the exit status (SIGKILL after 10 s).
    fn terminate(&mut self) -> Option<i32> {
        unsafe_kill(self.child.id(), "TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        None
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn unsafe_kill(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status();
}

fn rand_u16() -> u16 {
    let mut b = [0u8; 2];
    getrandom::fill(&mut b).unwrap();
    u16::from_le_bytes(b)
}

/// A phone on plain UDP: SIP on one socket, RTP on another.
struct Phone {
    sip: UdpSocket,
    rtp: UdpSocket,
    line: SocketAddr,
    call_id: String,
    to_tag: Option<String>,
    cseq: u32,
}

impl Phone {
    fn new(line: SocketAddr) -> Phone {
        let sip = UdpSocket::bind("127.0.0.1:0").unwrap();
        let rtp = UdpSocket::bind("127.0.0.1:0").unwrap();
        sip.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        rtp.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        Phone {
            sip,
            rtp,
            line,
            call_id: format!("it-{}@127.0.0.1", rand_u16()),
            to_tag: None,
            cseq: 0,
        }
    }

    fn offer(&self, formats: &str, direction: &str) -> String {
        let port = self.rtp.local_addr().unwrap().port();
        format!("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {port} RTP/AVP {formats}\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\na={direction}\r\n")
    }

    fn request(&mut self, method: &str, body: &str, branch: &str) -> String {
        if method != "ACK" && method != "CANCEL" {
            self.cseq += 1;
        }
        let me = self.sip.local_addr().unwrap();
        let to_tag = self
            .to_tag
            .as_ref()
            .map(|t| format!(";tag={t}"))
            .unwrap_or_default();
        let ctype = if body.is_empty() {
            ""
        } else {
            "Content-Type: application/sdp\r\n"
        };
        format!(
            "{method} sip:ivr@{line} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch={branch};rport\r\nMax-Forwards: 70\r\nFrom: <sip:phone@{me}>;tag=pt\r\nTo: <sip:ivr@{line}>{to_tag}\r\nCall-ID: {cid}\r\nCSeq: {cseq} {method}\r\nContact: <sip:phone@{me}>\r\n{ctype}Content-Length: {len}\r\n\r\n{body}",
            line = self.line,
            cid = self.call_id,
            cseq = self.cseq,
            len = body.len()
        )
    }

    /// Builds and sends a request.
    fn say(&mut self, method: &str, body: &str, branch: &str) {
        let r = self.request(method, body, branch);
        self.send(&r);
    }

    fn send(&self, text: &str) {
        self.sip.send_to(text.as_bytes(), self.line).unwrap();
    }

    /// SIP messages received within `ms`, as text.
    fn receive(&self, ms: u64) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_millis(ms);
        let mut out = Vec::new();
        let mut buf = [0u8; 65_536];
        while Instant::now() < deadline {
            if let Ok((n, _)) = self.sip.recv_from(&mut buf) {
                out.push(String::from_utf8_lossy(&buf[..n]).to_string());
            }
        }
        out
    }

    /// The first response with `code` within 5 s.
    fn expect(&mut self, code: u16) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            for m in self.receive(100) {
                if m.starts_with(&format!("SIP/2.0 {code} ")) {
                    if let Some(tag) = header(&m, "To")
                        .and_then(|t| t.split(";tag=").nth(1).map(|t| t.to_string()))
                    {
                        self.to_tag.get_or_insert(tag);
                    }
                    return m;
                }
                seen.push(m.lines().next().unwrap_or("").to_string());
            }
        }
        panic!("no {code} within 5 s; got {seen:?}");
    }

    /// RTP packets received within `ms`: (arrival, seq, timestamp, ssrc, marker, payload type).
    fn rtp_for(&self, ms: u64) -> Vec<(Instant, u16, u32, u32, bool, u8)> {
        let deadline = Instant::now() + Duration::from_millis(ms);
        let mut out = Vec::new();
        let mut buf = [0u8; 2048];
        while Instant::now() < deadline {
            if let Ok((n, _)) = self.rtp.recv_from(&mut buf) {
                if n >= 12 {
                    out.push((
                        Instant::now(),
                        u16::from_be_bytes([buf[2], buf[3]]),
                        u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
                        u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]),
                        buf[1] & 0x80 != 0,
                        buf[1] & 0x7f,
                    ));
                }
            }
        }
        out
    }
}

fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .map(|l| l[name.len() + 1..].trim())
}

#[test]
fn options_malformed_datagrams_and_refusals_get_their_answers_and_the_line_stays_up() {
    let env = Env::demo();
    let line = Line::start(&env, &["--max-calls", "1"]);
    let mut p = Phone::new(line.sip);
    let o = p.request("OPTIONS", "", "z9hG4bKo1");
    p.send(&o);
    let ok = p.expect(200);
    assert!(header(&ok, "Allow").unwrap().contains("INVITE"), "{ok}");
    // Garbage and a request with no Call-ID: no answer, no crash.
    p.sip.send_to(b"\x00\x01garbage\r\n\r\n", line.sip).unwrap();
    p.send(&o.replace("Call-ID", "X-Call-ID"));
    assert!(p.receive(300).is_empty());
    // No common codec: 488 naming it.
    let mut g729 = Phone::new(line.sip);
    let offer = g729.offer("18", "sendrecv");
    let inv = g729.request("INVITE", &offer, "z9hG4bKg1");
    g729.send(&inv);
    let r = g729.expect(488);
    assert!(
        header(&r, "Warning").unwrap().contains("no common codec"),
        "{r}"
    );
    // One call at most: the second is busy.
    let mut first = Phone::new(line.sip);
    let offer = first.offer("0 101", "sendrecv");
    let inv = first.request("INVITE", &offer, "z9hG4bKa1");
    first.send(&inv);
    first.expect(200);
    let mut second = Phone::new(line.sip);
    let offer = second.offer("0 101", "sendrecv");
    let inv = second.request("INVITE", &offer, "z9hG4bKb1");
    second.send(&inv);
    second.expect(486);
    // Still answering.
    p.say("OPTIONS", "", "z9hG4bKo2");
    p.expect(200);
    drop(line);

    // From an address outside --allow: 403.
    let line = Line::start(&env, &["--allow", "10.0.0.0/8"]);
    let mut p = Phone::new(line.sip);
    let offer = p.offer("0", "sendrecv");
    let inv = p.request("INVITE", &offer, "z9hG4bKf1");
    p.send(&inv);
    p.expect(403);
}

#[test]
fn rtp_is_paced_every_20_ms_with_its_numbers_in_order_and_hold_stops_it_without_dropping_the_call()
{
    let env = Env::demo();
    let line = Line::start(&env, &[]);
    let mut p = Phone::new(line.sip);
    let offer = p.offer("8 0 101", "sendrecv");
    let inv = p.request("INVITE", &offer, "z9hG4bK1");
    p.send(&inv);
    p.expect(100);
    let ok = p.expect(200);
    assert!(
        ok.contains("m=audio ") && ok.contains("RTP/AVP 8 101"),
        "PCMA first, as offered: {ok}"
    );
    assert!(header(&ok, "Contact").is_some());
    let ack = p.request("ACK", "", "z9hG4bK2");
    p.send(&ack);
    // The welcome prompt: 20 ms packets, PCMA, one SSRC, sequence +1, timestamp +160.
    // (What arrived while this phone waited for the 200 sat in its socket
    // buffer: read it first, then time what comes.)
    let early = p.rtp_for(300);
    let timed = p.rtp_for(1_500);
    assert!(timed.len() >= 60, "{} packets in 1.5 s", timed.len());
    let packets: Vec<_> = early.iter().chain(&timed).copied().collect();
    assert!(packets[0].4, "the first packet has the marker bit");
    assert!(packets[1..].iter().all(|x| !x.4));
    assert!(packets.iter().all(|x| x.5 == 8 && x.3 == packets[0].3));
    for w in packets.windows(2) {
        assert_eq!(w[1].1, w[0].1.wrapping_add(1));
        assert_eq!(w[1].2, w[0].2.wrapping_add(160));
    }
    // Paced by a clock, never in bursts: 20 ms apart on average over 10.
    let spans: Vec<f64> = timed
        .windows(11)
        .map(|w| w[10].0.duration_since(w[0].0).as_secs_f64() * 1000.0 / 10.0)
        .collect();
    assert!(
        spans.iter().all(|ms| (12.0..=30.0).contains(ms)),
        "{spans:?}"
    );
    // Hold: a re-INVITE sendonly is answered recvonly, and the line stops sending.
    let hold = p.offer("8 101", "sendonly");
    let re = p.request("INVITE", &hold, "z9hG4bK3");
    p.send(&re);
    let ok = p.expect(200);
    assert!(ok.contains("a=recvonly"), "{ok}");
    p.say("ACK", "", "z9hG4bK4");
    std::thread::sleep(Duration::from_millis(100));
    let _ = p.rtp_for(100);
    assert!(p.rtp_for(600).is_empty(), "no audio while held");
    // Resume: the stream goes on, same SSRC, numbers still in order.
    let resume = p.offer("8 101", "sendrecv");
    let re = p.request("INVITE", &resume, "z9hG4bK5");
    p.send(&re);
    p.expect(200);
    p.say("ACK", "", "z9hG4bK6");
    let after = p.rtp_for(600);
    assert!(after.len() >= 20, "{} packets after resuming", after.len());
    assert_eq!(after[0].3, packets[0].3);
    // The caller hangs up: 200, and the transcript says abandoned.
    let bye = p.request("BYE", "", "z9hG4bK7");
    p.send(&bye);
    p.expect(200);
    let t = line.wait_transcripts(1);
    assert_eq!(t[0].1["outcome"], "abandoned", "{}", t[0].1);
}

#[test]
fn a_cancel_before_the_answer_ends_the_invite_with_487() {
    let env = Env::demo();
    let mut line = Line::start(&env, &["--answer-after", "5000"]);
    let mut p = Phone::new(line.sip);
    let offer = p.offer("0", "sendrecv");
    let inv = p.request("INVITE", &offer, "z9hG4bKc1");
    p.send(&inv);
    p.expect(180);
    let cancel = inv
        .replacen("INVITE sip:", "CANCEL sip:", 1)
        .replace("1 INVITE", "1 CANCEL");
    let cancel =
        cancel.split("Content-Type").next().unwrap().to_string() + "Content-Length: 0\r\n\r\n";
    p.send(&cancel);
    p.expect(200);
    p.expect(487);
    assert_eq!(
        line.terminate(),
        Some(0),
        "{}",
        line.log.lock().unwrap().join("\n")
    );
}

#[test]
fn sigterm_ends_calls_in_progress_with_a_bye_and_writes_their_transcripts() {
    let env = Env::demo();
    let mut line = Line::start(&env, &[]);
    let mut p = Phone::new(line.sip);
    let offer = p.offer("0", "sendrecv");
    let inv = p.request("INVITE", &offer, "z9hG4bKs1");
    p.send(&inv);
    p.expect(200);
    p.say("ACK", "", "z9hG4bKs2");
    std::thread::sleep(Duration::from_millis(500));
    unsafe_kill(line.child.id(), "TERM");
    let bye = p
        .receive(3_000)
        .into_iter()
        .find(|m| m.starts_with("BYE "))
        .expect("a BYE on SIGTERM");
    // Answer it, as a phone does.
    let ok = format!(
        "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
        header(&bye, "Via").unwrap(),
        header(&bye, "From").unwrap(),
        header(&bye, "To").unwrap(),
        header(&bye, "Call-ID").unwrap(),
        header(&bye, "CSeq").unwrap()
    );
    p.send(&ok);
    assert_eq!(line.terminate(), Some(0));
    let t = line.transcripts();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].1["outcome"], "abandoned");
}

#[test]
fn a_caller_who_vanishes_without_a_bye_is_hung_up_on_when_their_rtp_stops() {
    let env = Env::demo();
    let line = Line::start(&env, &["--rtp-timeout", "1"]);
    let mut p = Phone::new(line.sip);
    let offer = p.offer("0", "sendrecv");
    let inv = p.request("INVITE", &offer, "z9hG4bKt1");
    p.send(&inv);
    p.expect(200);
    p.say("ACK", "", "z9hG4bKt2");
    // This phone sends no RTP at all: gone, as far as the line can tell.
    let bye = p.receive(4_000).into_iter().find(|m| m.starts_with("BYE "));
    assert!(bye.is_some(), "no BYE after the RTP timeout");
    let t = line.wait_transcripts(1);
    assert_eq!(t[0].1["outcome"], "abandoned");
}

#[test]
fn a_flood_of_invites_is_answered_busy_and_the_line_stays_up() {
    let env = Env::demo();
    let line = Line::start(&env, &["--max-calls", "5"]);
    let p = Phone::new(line.sip);
    let me = p.sip.local_addr().unwrap();
    let offer = p.offer("0", "sendrecv");
    for n in 0..2_000 {
        let inv = format!(
            "INVITE sip:ivr@{l} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bKflood{n}\r\nFrom: <sip:f@{me}>;tag=f{n}\r\nTo: <sip:ivr@{l}>\r\nCall-ID: flood-{n}\r\nCSeq: 1 INVITE\r\nContact: <sip:f@{me}>\r\nContent-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n{offer}",
            l = line.sip,
            len = offer.len()
        );
        p.send(&inv);
    }
    let answers = p.receive(3_000);
    // Distinct calls (a 200 is retransmitted until its ACK, which never comes here).
    let count = |code: &str| {
        answers
            .iter()
            .filter(|m| m.starts_with(code))
            .filter_map(|m| header(m, "Call-ID"))
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    assert_eq!(count("SIP/2.0 200 "), 5, "five calls at most");
    // (UDP drops what the sockets cannot hold; every answer that came is busy.)
    assert!(
        count("SIP/2.0 486 ") > 50,
        "the rest busy: {}",
        count("SIP/2.0 486 ")
    );
    assert!(answers
        .iter()
        .all(|m| ["SIP/2.0 100 ", "SIP/2.0 200 ", "SIP/2.0 486 "]
            .iter()
            .any(|c| m.starts_with(c))));
    let mut q = Phone::new(line.sip);
    q.say("OPTIONS", "", "z9hG4bKafter");
    q.expect(200);
}

#[test]
fn the_line_runs_inside_the_engine_service_and_stops_with_it() {
    let env = Env::demo();
    let sock_dir = tempfile::tempdir().unwrap();
    let socket = sock_dir.path().join("actline.sock");
    let socket_arg = socket.to_str().unwrap();
    let mut line = Line::start_as(&env, &["serve", "--socket", socket_arg], &[]);
    // The service answers on its socket...
    let o = bin()
        .args(["--server", &format!("unix:{socket_arg}"), "catalog", "show"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    // ...and the line on its address, in the same process.
    let mut p = Phone::new(line.sip);
    let offer = p.offer("0 101", "sendrecv");
    let inv = p.request("INVITE", &offer, "z9hG4bKv1");
    p.send(&inv);
    p.expect(200);
    p.say("ACK", "", "z9hG4bKv2");
    assert!(p.rtp_for(500).len() >= 15);
    p.say("BYE", "", "z9hG4bKv3");
    p.expect(200);
    line.wait_transcripts(1);
    // SIGTERM stops both: exit 0, the socket file removed.
    assert_eq!(
        line.terminate(),
        Some(0),
        "{}",
        line.log.lock().unwrap().join("\n")
    );
    assert!(!socket.exists());
}

// ------------------------------------------------------------ with baresip

fn baresip() -> bool {
    if Command::new("baresip").arg("-h").output().is_err() {
        eprintln!("skipped: baresip is not installed (apt-get install -y baresip-core)");
        return false;
    }
    true
}

/// Calls `line` from baresip on `port`..`port+39`, running `script`.
fn call(line: &Line, dir: &Path, port: u16, script: &str) -> serde_json::Value {
    let o = Command::new("timeout")
        .args(["240", "python3"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sip/caller.py"))
        .arg(line.uri())
        .arg("--dir")
        .arg(dir)
        .args([
            "--port",
            &port.to_string(),
            "--script",
            script,
            "--timeout",
            "200",
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    serde_json::from_str(out.trim()).unwrap_or_else(|_| {
        panic!(
            "caller: {out}\n{}\nline log:\n{}",
            String::from_utf8_lossy(&o.stderr),
            line.log.lock().unwrap().join("\n")
        )
    })
}

/// A compact-profile (notes) key and an installation ID for it.
fn notes_iid(env: &Env) -> (String, String) {
    let key = env.issue(&["--product", "notes", "--activations", "3"]);
    let iid = env.iid("c", &sample("fingerprint-a.json"), &key, "notes");
    (key, iid)
}

/// The script that types each group as RFC 4733 events.
fn typed(iid: &str) -> String {
    iid.split('-')
        .map(|g| format!("dtmf:{g} wait:1.5"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Seconds and RMS (0 to 1) of a WAV.
fn length_and_level(path: &Path) -> (f64, f64) {
    let (samples, rate) = actline::ivr::dtmf::read_wav(path).unwrap();
    let rms = (samples
        .iter()
        .map(|s| (*s as f64 / 32768.0).powi(2))
        .sum::<f64>()
        / samples.len().max(1) as f64)
        .sqrt();
    (samples.len() as f64 / rate as f64, rms)
}

fn recording(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir.join("rec"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("-dec.wav"))
        .expect("baresip's recording")
}

#[test]
fn a_caller_types_the_id_on_a_real_phone_and_hears_a_confirmation_id_that_verifies() {
    if !baresip() {
        return;
    }
    if on_postgres() {
        // Two minutes of a real phone call each: run once, on the SQLite
        // pass. The line's ledger calls are the IVR's, which the ivr tests
        // and the shorter calls here make on both backends.
        eprintln!("on the SQLite pass only: a whole real-phone call");
        return;
    }
    let env = Env::demo();
    let (_, iid) = notes_iid(&env);
    let line = Line::start(&env, &[]);
    let dir = env.dir.path().join("caller");
    // The readout (the keys' hint, then eight groups) takes about a minute:
    // 2 comes at the menu after it.
    let script = format!("wait:2 {} wait:75 dtmf:2 closed:20", typed(&iid));
    let s = call(&line, &dir, 16_100, &script);
    assert_eq!(s["established"], true, "{s}");
    assert_eq!(s["closed_by"], "far", "the line hung up after 2: {s}");
    let t = line.wait_transcripts(1);
    let (name, t) = &t[0];
    assert_eq!(t["outcome"], "activated", "{t}");
    assert_eq!(t["installation_id"], iid.as_str());
    let cid = t["confirmation_id"].as_str().unwrap();
    let o = env.client("c", &sample("fingerprint-a.json"), &["confirm", cid]);
    assert!(
        o.status.success(),
        "the phone's confirmation ID verifies: {}",
        err(&o)
    );
    // What baresip heard is what the line sent: as long, as loud (G.711 both ways).
    let (heard_s, heard_rms) = length_and_level(&recording(&dir));
    let (sent_s, sent_rms) = length_and_level(&line.transcripts.join(format!("{name}.wav")));
    assert!(
        (heard_s - sent_s).abs() < 1.5,
        "heard {heard_s:.1} s, sent {sent_s:.1} s"
    );
    assert!(sent_rms > 0.02, "the readout is not silence: {sent_rms}");
    assert!(
        (heard_rms / sent_rms - 1.0).abs() < 0.15,
        "heard RMS {heard_rms:.4}, sent {sent_rms:.4}"
    );
    // The activation is in the ledger, labelled with the call.
    let shown = env.vendor(&["activation", "show", "1", "--json"]);
    let a: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(a["label"], name.as_str());
    assert_eq!(a["confirmation_id"], cid);
}

#[test]
fn the_same_id_as_in_band_tones_from_a_wav_activates_too() {
    if !baresip() {
        return;
    }
    if on_postgres() {
        // Two minutes of a real phone call each: run once, on the SQLite
        // pass. The line's ledger calls are the IVR's, which the ivr tests
        // and the shorter calls here make on both backends.
        eprintln!("on the SQLite pass only: a whole real-phone call");
        return;
    }
    let env = Env::demo();
    let (_, iid) = notes_iid(&env);
    let line = Line::start(&env, &[]);
    let dir = env.dir.path().join("caller");
    std::fs::create_dir_all(&dir).unwrap();
    // The tones with pauses between groups, 75 s for the decision and the
    // readout, then 2 (finish, at the menu) as a tone too, and a little
    // silence: the line hangs up before the file ends.
    let timeline = format!(
        "1s {} 75s 2 8s",
        iid.split('-').collect::<Vec<_>>().join(" 1500ms ")
    );
    let wav = dir.join("tones.wav");
    let o = bin()
        .args(["dtmf", "encode", &timeline, "--out"])
        .arg(&wav)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    let script = format!("wait:1 inband:{} closed:150", wav.display());
    let s = call(&line, &dir, 16_200, &script);
    assert_eq!(s["established"], true, "{s}");
    let t = line.wait_transcripts(1);
    let t = &t[0].1;
    assert_eq!(t["installation_id"], iid.as_str(), "{t}");
    assert_eq!(t["outcome"], "activated", "{t}");
    let cid = t["confirmation_id"].as_str().unwrap();
    let o = env.client("c", &sample("fingerprint-a.json"), &["confirm", cid]);
    assert!(o.status.success(), "{}", err(&o));
    // baresip heard the readout.
    let (heard_s, heard_rms) = length_and_level(&recording(&dir));
    assert!(
        heard_s > 60.0 && heard_rms > 0.02,
        "{heard_s} s at RMS {heard_rms}"
    );
}

#[test]
fn a_mistyped_group_is_entered_again_and_a_hang_up_mid_id_is_abandoned() {
    if !baresip() {
        return;
    }
    let env = Env::demo();
    let (_, iid) = notes_iid(&env);
    let line = Line::start(&env, &[]);
    let dir = env.dir.path().join("caller");
    let groups: Vec<&str> = iid.split('-').collect();
    let mut wrong: Vec<char> = groups[0].chars().collect();
    wrong[6] = if wrong[6] == '9' {
        '0'
    } else {
        (wrong[6] as u8 + 1) as char
    };
    let wrong: String = wrong.into_iter().collect();
    let script = format!(
        "wait:2 dtmf:{wrong} wait:4 dtmf:{} wait:2 dtmf:{} wait:2 hangup",
        groups[0], groups[1]
    );
    let s = call(&line, &dir, 16_300, &script);
    assert_eq!(s["closed_by"], "us", "{s}");
    let t = line.wait_transcripts(1);
    let t = &t[0].1;
    assert_eq!(t["outcome"], "abandoned", "{t}");
    let events = t["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["event"].as_str()).collect();
    let refused = kinds
        .iter()
        .position(|k| *k == "group_refused")
        .expect("the wrong group refused");
    let accepted = kinds
        .iter()
        .position(|k| *k == "group_accepted")
        .expect("then accepted");
    assert!(refused < accepted, "{kinds:?}");
    assert!(events
        .iter()
        .any(|e| e["event"] == "group_accepted" && e["group"] == 2));
}

#[test]
fn a_caller_who_asks_for_an_agent_is_handed_over_and_hears_an_agent_will_call_back() {
    if !baresip() {
        return;
    }
    let env = Env::demo();
    let (_, iid) = notes_iid(&env);
    let line = Line::start(&env, &[]);
    let dir = env.dir.path().join("caller");
    let first = iid.split('-').next().unwrap();
    let script = format!("wait:2 dtmf:{first} wait:2 dtmf:# closed:30");
    let s = call(&line, &dir, 16_400, &script);
    assert_eq!(
        s["closed_by"], "far",
        "the line hung up after the message: {s}"
    );
    let t = line.wait_transcripts(1);
    let t = &t[0].1;
    assert_eq!(t["outcome"], "transferred", "{t}");
    assert!(
        t["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["prompt"] == "agent_callback"),
        "{t}"
    );
    // The hand-over is stored for the desk, with the group entered.
    let groups = env.sql(
        false,
        "SELECT groups FROM handovers ORDER BY id DESC LIMIT 1",
    );
    assert!(groups.contains(first), "{groups}");
}

/// A baresip that answers every call at once (the agent's phone), killed
/// by its PID when dropped.
struct AutoAnswer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl AutoAnswer {
    fn start(port: u16) -> AutoAnswer {
        let dir = tempfile::tempdir().unwrap();
        let mic = dir.path().join("mic.wav");
        actline::audio::wav::write(
            &mic,
            &actline::audio::wav::Spec::mono16(8_000),
            &vec![0; 8_000 * 120],
        )
        .unwrap();
        std::fs::write(
            dir.path().join("config"),
            format!(
                "poll_method epoll\nsip_listen 127.0.0.1:{port}\nnet_interface 127.0.0.1\naudio_player alsa,null\naudio_alert alsa,null\naudio_source aufile,{}\nausrc_srate 8000\nauplay_srate 8000\nausrc_channels 1\nauplay_channels 1\nrtp_ports {}-{}\nrtp_timeout 0\nmodule_path /usr/lib/baresip/modules\nmodule g711.so\nmodule aufile.so\nmodule alsa.so\nmodule_tmp uuid.so\nmodule_tmp account.so\nmodule_app menu.so\n",
                mic.display(),
                port + 20,
                port + 39
            ),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("accounts"),
            format!(
                "<sip:agent@127.0.0.1:{port}>;regint=0;answermode=auto;audio_codecs=PCMU,PCMA\n"
            ),
        )
        .unwrap();
        std::fs::write(dir.path().join("contacts"), "").unwrap();
        // Its menu reads standard input: keep a pipe open.
        let child = Command::new("baresip")
            .arg("-f")
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(500));
        AutoAnswer {
            child,
            port,
            _dir: dir,
        }
    }
}

impl Drop for AutoAnswer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_transfer_is_a_refer_that_the_phone_follows_to_the_agents_phone() {
    if !baresip() {
        return;
    }
    let env = Env::demo();
    let agent = AutoAnswer::start(16_600);
    let agent_uri = format!("sip:agent@127.0.0.1:{}", agent.port);
    let line = Line::start(&env, &["--agent-uri", &agent_uri]);
    let dir = env.dir.path().join("caller");
    let s = call(&line, &dir, 16_700, "wait:2 dtmf:# closed:30");
    // The phone got the REFER, called the agent, who answered.
    let events: Vec<&str> = s["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert!(events.contains(&"TRANSFER"), "{s}");
    assert!(
        s["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "CALL_ESTABLISHED" && e["param"] == agent_uri.as_str()),
        "{s}"
    );
    let t = line.wait_transcripts(1);
    assert_eq!(t[0].1["outcome"], "transferred");
    let log = line.log.lock().unwrap().join("\n");
    assert!(
        log.contains("\"transferred\"") && log.contains("the agent answered"),
        "{log}"
    );
}
