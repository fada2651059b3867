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
