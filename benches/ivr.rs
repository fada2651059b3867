//! Issue 5's target: a whole three-minute call from the caller's audio in
//! under one second: DTMF detection over the recording, the call flow, and
//! the IVR's side rendered as audio.

use actline::confirm::{self, Terms};
use actline::fingerprint::HardwareHash;
use actline::ids::InstallationId;
use actline::ivr::call::{Caller, Desk, Engine};
use actline::ivr::dtmf::{self, GenOptions};
use actline::ivr::flow::{CallDecision, FlowConfig, Grammars};
use actline::keys::{KeyKind, ProductKey};
use actline::voice::{load_language, VoiceSource};
use criterion::{criterion_group, criterion_main, Criterion};
use std::sync::Arc;

struct Grant;

impl Desk for Grant {
    fn decide(&self, _: &str, iid: &InstallationId) -> CallDecision {
        let cid = confirm::encode_compact(
            b"bench",
            iid,
            Terms {
                kind: KeyKind::Mak,
                reactivation: false,
                key: 0,
            },
        );
        CallDecision {
            granted: true,
            confirmation_id: Some(cid),
            reasons: vec![],
            short_reason: None,
        }
    }
    fn hand_over(&self, _: &str, _: &str, _: &[String], _: Option<&str>, _: &[String]) {}
}

fn whole_call(c: &mut Criterion) {
    let key = ProductKey::issue(b"k", KeyKind::Mak, 77);
    let iid = InstallationId::new(201, &key, HardwareHash::default(), 2500);
    // Three minutes of caller audio: the 10 groups typed a second apart, then
    // listening to the readout and the menu until the IVR hangs up.
    let mut audio = vec![0i16; 180 * 8000];
    let opts = GenOptions::default();
    let mut t = 1000usize;
    for group in iid.to_string().split('-') {
        for k in group.chars() {
            dtmf::add_key(&mut audio, t * 8, 800, k, &opts).unwrap();
            t += 200;
        }
        t += 1000;
    }
    dtmf::add_noise(&mut audio, -50.0, 7);
    let engine = Engine::new(
        Arc::new(load_language(&VoiceSource::BuiltIn, "en").unwrap().0),
        Grammars::builtin().unwrap(),
        FlowConfig::default(),
    );
    c.bench_function(
        "ivr/whole 3-minute call from audio (detect + flow + render)",
        |b| {
            b.iter(|| {
                let events = dtmf::decode_all(&audio, 8000).unwrap();
                let caller = Caller::from_dtmf(&events, 180_000);
                let (t, out) = engine.run("bench", &caller, &Grant);
                assert!(t.confirmation_id.is_some());
                out.len()
            })
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = whole_call
}
criterion_main!(benches);
