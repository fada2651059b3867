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
