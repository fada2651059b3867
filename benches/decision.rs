//! Issue 3's target: decision time with a catalog of 10,000 products and
//! 100,000 keys, excluding the signature (target: under 100 µs).

use actline::entitlement::rules::{decide, Channel, KeyRecord, PriorActivation, Request, Role};
use actline::entitlement::{Agreements, Catalog, Class, Product};
mod common;
use actline::home::Home;
use actline::ids::InstallationId;
use actline::keys::{KeyKind, ProductKey};
use common::hw;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

fn catalog() -> Catalog {
    let products = (1..=10_000u16)
        .map(|code| Product {
            name: format!("product-{code}"),
            code,
            family: format!("family-{}", code / 10),
            version: (code % 10) as u32,
            class: Class::Desktop,
            profile: Default::default(),
            own_key: false,
        })
        .collect();
    Catalog::new(products, Default::default(), Vec::new()).unwrap()
}

fn pure_decision(c: &mut Criterion) {
    let cat = catalog();
    let agreements = Agreements::parse("a", include_str!("../samples/agreements.toml")).unwrap();
    let key = ProductKey::issue(b"s", KeyKind::Mak, 99);
    let rec = KeyRecord {
        serial: 99,
        key: key.to_string(),
        kind: KeyKind::Mak,
        product: 5_009,
        agreement: Some("4711".into()),
        limit: 1000,
        revoked: false,
    };
    let prior: Vec<PriorActivation> = (0..50)
        .map(|i| PriorActivation {
            id: i,
            hardware: hw(i as u64 * 31),
            product: 5_009,
            released: false,
            reactivations: 0,
        })
        .collect();
    let iid = InstallationId::new(5_005, &key, hw(123_456), 2500);
    let channel = Channel::Staff {
        name: "a".into(),
        role: Role::Agent,
    };
    c.bench_function("decision/pure (10k products, key with 50 machines)", |b| {
        b.iter(|| {
            let req = Request {
                catalog: &cat,
                agreements: &agreements,
                iid: black_box(&iid),
                key: Some(&rec),
                prior: &prior,
                channel: &channel,
                caller_agreement: None,
                today: 2500,
            };
            decide(&req)
        })
    });
}

fn ledger_decision(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::at(dir.path().join("h"));
    let (secrets, mut ledger, _) = home.init("bench", false).unwrap();
    let cat = catalog();
    ledger.set_catalog(&cat, "bench", "bench").unwrap();
    let mut keys = Vec::new();
    for i in 0..100_000u32 {
        let p = &cat.products[(i % 10_000) as usize];
        let rec = ledger
            .issue_key("bench", p, KeyKind::Mak, None, 1_000_000, &|k, c| {
                secrets.key_secret(k, c)
            })
            .unwrap();
        if i % 1000 == 0 {
            keys.push((ProductKey::parse(&rec.key).unwrap(), p.code));
        }
    }
    let channel = Channel::Staff {
        name: "bench".into(),
        role: Role::Agent,
    };
    let mut n = 0u64;
    c.bench_function(
        "decision/ledger lookup + rules (10k products, 100k keys)",
        |b| {
            b.iter(|| {
                n += 1;
                let (key, code) = &keys[(n % keys.len() as u64) as usize];
                let iid = InstallationId::new(*code, key, hw(n * 7919), 2500);
                ledger.preview(&iid, &channel, None, 2500).unwrap()
            })
        },
    );
    c.bench_function(
        "decision/ledger decided and recorded with audit entry (no signature)",
        |b| {
            b.iter(|| {
                n += 1;
                let (key, code) = &keys[(n % keys.len() as u64) as usize];
                let iid = InstallationId::new(*code, key, hw(n * 7919), 2500);
                ledger
                    .activate(&iid, &channel, None, None, 2500, &|_, _, _| String::new())
                    .unwrap()
            })
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = pure_decision, ledger_decision
}
criterion_main!(benches);
