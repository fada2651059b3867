//! The bodies of the fuzz targets (`fuzz/`), here so that the kept crash
//! corpus (`fuzz/regressions/`) replays through the same code in `cargo test`.
//! Each function must not panic on any input; each asserts the round trips
//! the parsers promise.

use crate::confirm::{self, Verifier};
use crate::entitlement::{Agreements, Catalog};
use crate::fingerprint::{Components, HardwareHash};
use crate::ids::InstallationId;
use crate::keys::{KeyKind, ProductKey};

/// Typed input: installation IDs, product keys, confirmation IDs.
pub fn typed_ids(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(iid) = InstallationId::parse(s) {
        assert_eq!(InstallationId::parse(&iid.to_string()), Ok(iid));
    }
    if let Ok(k) = ProductKey::parse(s) {
        assert_eq!(ProductKey::parse(&k.to_string()), Ok(k));
    }
    let key = ProductKey::issue(b"fuzz", KeyKind::Mak, 1);
    let iid = InstallationId::new(1, &key, HardwareHash::default(), 1);
    let _ = confirm::verify(s, &iid, &Verifier::Compact(b"fuzz".to_vec()));
    if let Ok(v) = Verifier::signed(&[0xa0; 96]) {
        let _ = confirm::verify(s, &iid, &v);
    }
}

/// File contents: catalog, agreements, fingerprint JSON, SRGS grammars,
/// key timelines.
pub fn files(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(g) = crate::ivr::grammar::Grammar::parse(s, "fuzz.gram") {
        let mut m = g.matcher();
        for k in "0123456789*#".chars().cycle().take(40) {
            // A match's tag is one the grammar lists; no tag without a match.
            let state = m.push(k);
            match m.tag() {
                Some(t) => assert!(g.tags().iter().any(|x| x.tag.as_deref() == Some(t))),
                None => assert!(!state.is_match() || g.tags().iter().any(|x| x.tag.is_none())),
            }
        }
        // The shortest keys listed for each result give that result.
        for t in g.tags() {
            let mut m = g.matcher();
            for k in t.keys.chars() {
                m.push(k);
            }
            assert!(m.state().is_match());
            assert_eq!(m.tag(), t.tag.as_deref());
        }
    }
    let _ = crate::ivr::timeline::Timeline::parse(s);
    if let Ok(c) = Catalog::parse("fuzz.toml", s) {
        for p in &c.products {
            assert!(c.by_code(p.code).is_some());
        }
    }
    let _ = Agreements::parse("fuzz.toml", s);
    let _ = serde_json::from_str::<Components>(s);
}

/// Network input to the engine service: an HTTP request line's method and
/// target, then the body (`METHOD TARGET\nBODY`), read as the service reads
/// it; a request that parses must survive the trip back through
/// [`actline_server::routes::to_http`]. Also replies, as the client reads them.
pub fn api(data: &[u8]) {
    use actline_server::routes::{from_http, to_http};
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let (head, body) = data.split_at(split);
    let body = body.get(1..).unwrap_or_default();
    let _ = serde_json::from_slice::<crate::service::Reply>(body);
    let Ok(head) = std::str::from_utf8(head) else {
        return;
    };
    let (method, target) = head.split_once(' ').unwrap_or((head, "/"));
    if let Ok(req) = from_http(method, target, body) {
        let (m, t, b) = to_http(&req);
        assert_eq!(from_http(m, &t, b.as_deref().unwrap_or_default()), Ok(req));
    }
}

/// Network input to the telephone line: a datagram as a SIP message (its
/// serialization reads back the same), as SDP (an answerable offer gives
/// an answer that reads back with the same codec), as RTP and an RFC 4733
/// event; and the same datagram fed to a user-agent server, first as a new
/// call and then inside an answered one, with time passing.
pub fn line(data: &[u8]) {
    use crate::sip::msg::Message;
    use crate::sip::sdp::{self, Offer};
    use crate::sip::ua::{Input, Ua, UaConfig};
    if let Ok(m) = Message::parse(data) {
        let again = Message::parse(&m.to_bytes()).expect("a serialized message parses");
        assert_eq!(again.start, m.start);
        assert_eq!(again.body, m.body);
        let names = |m: &Message| -> Vec<(String, String)> {
            m.headers
                .iter()
                .filter(|h| h.name != "Content-Length")
                .map(|h| (h.name.clone(), h.value.clone()))
                .collect()
        };
        assert_eq!(names(&again), names(&m));
    }
    if let Ok(o) = Offer::parse(data) {
        if let Ok(c) = o.choose() {
            let a = sdp::answer(&o, &c, "127.0.0.1".parse().unwrap(), 20_000, 1, 1);
            let back = Offer::parse(&a).expect("an answer parses");
            assert_eq!(back.choose().map(|b| b.codec), Ok(c.codec));
        }
    }
    if let Ok(p) = crate::sip::rtp::Packet::parse(data) {
        let _ = crate::sip::rtp::Event::parse(p.payload);
    }
    let mut ua = Ua::new(
        UaConfig {
            local: "127.0.0.1:5080".parse().unwrap(),
            max_calls: 2,
            allow: Vec::new(),
            agent_uri: Some("sip:desk@127.0.0.1:5090".into()),
            answer_after_ms: 0,
        },
        7,
    );
    let from = "127.0.0.1:5070".parse().unwrap();
    let mut port = |_| Some(20_000);
    let invite = b"INVITE sip:ivr@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKf\r\nFrom: <sip:a@127.0.0.1>;tag=a\r\nTo: <sip:ivr@127.0.0.1>\r\nCall-ID: fuzz\r\nCSeq: 1 INVITE\r\nContact: <sip:a@127.0.0.1:5070>\r\nContent-Type: application/sdp\r\nContent-Length: 52\r\n\r\nv=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 0 101\r\n";
    let _ = ua.handle(0, Input::Datagram { from, bytes: data }, &mut port);
    let _ = ua.handle(
        10,
        Input::Datagram {
            from,
            bytes: invite,
        },
        &mut port,
    );
    let _ = ua.handle(20, Input::Datagram { from, bytes: data }, &mut port);
    let _ = ua.handle(30, Input::Transfer(1), &mut port);
    let _ = ua.handle(40, Input::Datagram { from, bytes: data }, &mut port);
    let _ = ua.handle(50, Input::HangUp(1), &mut port);
    for t in [600, 5_000, 40_000, 80_000] {
        let _ = ua.handle(t, Input::Tick, &mut port);
    }
}

/// A ledger's database URL (`--ledger`, `ACTLINE_LEDGER`,
/// `secrets/ledger.url`), as the first line of the input; the second line,
/// when there is one, is a password put into a URL made around the rest.
/// Never a panic, and a password (6 or more characters that need no
/// escaping in a URL) never shows in what messages say of that URL, usable
/// or not.
pub fn ledger_url(data: &[u8]) {
    use crate::ledger::pg::{check_url, redacted};
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let (url, password) = s.split_once('\n').unwrap_or((s, ""));
    let _ = redacted(url);
    let _ = check_url(url);
    let plain = |c: char| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=".contains(c);
    if password.len() < 6 || !password.chars().all(plain) || url.contains(password) {
        return;
    }
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .unwrap_or(url);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    // What is said of the same URL without a password may hold the same
    // text by chance ("postgres" is the scheme): nothing to tell apart.
    let without = format!("postgres://ann@{rest}");
    let said = check_url(&without).unwrap_or_else(|e| e.to_string());
    if said.contains(password) || redacted(&without).contains(password) {
        return;
    }
    let secret = format!("postgres://ann:{password}@{rest}");
    let shown = match check_url(&secret) {
        Ok(place) => place,
        Err(e) => e.to_string(),
    };
    assert!(!shown.contains(password), "{shown}");
    assert!(!redacted(&secret).contains(password));
}

/// The site protocol, both ways (issue 14): a line as a host reads it
/// ([`read_ask`](crate::client::site::host::read_ask), then the book's
/// decision), and as a client reads a host's reply (an answer never
/// verifies without the host's key). Never a panic; an ask round-trips.
pub fn site(data: &[u8]) {
    use crate::client::site::host::{read_ask, HostedName};
    use crate::client::site::wire::{Ask, Credentials, HostKey, Reply, Signed, Verdict};
    use crate::client::site::{Book, Hosted, Request};
    use crate::client::{SiteHostTrust, Trust, TrustedProduct};
    let rule = Hosted {
        product: 201,
        threshold: 2,
    };
    let hosted = [HostedName {
        name: "notes".into(),
        rule,
    }];
    if let Ok((ask, h, iid)) = read_ask(data, &hosted) {
        let back: Ask = serde_json::from_str(&serde_json::to_string(&ask).unwrap()).unwrap();
        assert_eq!(back.digest(), ask.digest());
        let mut book = Book::default();
        let req = Request {
            product: h.rule.product,
            machine: iid.hardware,
            client_time: ask.time,
        };
        for now in [ask.time, 1_800_000_000, i64::MIN / 2, i64::MAX / 2] {
            let _ = book.decide(&req, &[rule], now);
        }
    }
    if let Ok(reply) = serde_json::from_slice::<Reply>(data) {
        let Some(answer) = reply.answer else { return };
        let vendor = HostKey::from_bytes(&[1; 32]).expect("a valid scalar");
        let trust = Trust {
            format: 1,
            fingerprint_salt: "00".into(),
            products: [(
                "notes".to_string(),
                TrustedProduct {
                    code: 201,
                    profile: confirm::Profile::Compact,
                    public_key: None,
                    public_keys: Default::default(),
                    secret: Some("00".into()),
                    setup_secret: "00".into(),
                    site_hosts: [(
                        "vault".to_string(),
                        SiteHostTrust {
                            code: 301,
                            public_keys: [("0".to_string(), crate::hex::hex(&vendor.public()))]
                                .into(),
                        },
                    )]
                    .into(),
                    hosts: Default::default(),
                },
            )]
            .into(),
        };
        let ask = Ask {
            actline_site: 1,
            product: "notes".into(),
            iid: String::new(),
            nonce: "00".into(),
            time: 1_800_000_000,
        };
        assert!(answer.verify(&trust, &ask, Some(ask.time)).is_err());
        // An answer signed by a key the trust does not vouch for, for the
        // same ask, fails too.
        let forged = Signed::sign(
            &vendor,
            &ask,
            Verdict::Counting {
                count: 1,
                threshold: 2,
                retry_at: 0,
            },
            ask.time,
            Credentials {
                public_key: crate::hex::hex(&vendor.public()),
                ..answer.host
            },
        );
        assert!(forged.verify(&trust, &ask, Some(ask.time)).is_err());
    }
}
