//! Issue 2's targets: parsing and validating an installation ID, making and
//! verifying a confirmation ID of each profile, and activations per second
//! through the ledger, single and batch.

use actline::confirm::{self, SigningKey, Terms, Verifier};
use actline::entitlement::rules::{Channel, Role};
mod common;
use actline::home::Home;
use actline::ids::InstallationId;
use actline::keys::{KeyKind, ProductKey};
use actline::ledger::BatchItem;
use common::hw;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;

fn ids(c: &mut Criterion) {
    let key = ProductKey::issue(b"bench", KeyKind::Mak, 123_456);
    let iid = InstallationId::new(101, &key, hw(42), 2500);
    let text = iid.to_string();
    c.bench_function("iid/parse+validate", |b| {
        b.iter(|| InstallationId::parse(black_box(&text)).unwrap())
    });
    let terms = Terms {
        kind: KeyKind::Mak,
        reactivation: false,
    };
    let sk = SigningKey::generate().unwrap();
    let v = Verifier::signed(&sk.public_key()).unwrap();
    let signed = confirm::issue_signed(&sk, &iid, terms);
    c.bench_function("cid/signed/make", |b| {
        b.iter(|| confirm::issue_signed(&sk, black_box(&iid), terms))
    });
    c.bench_function("cid/signed/verify", |b| {
        b.iter(|| confirm::verify(black_box(&signed), &iid, &v).unwrap())
    });
    let compact = confirm::issue_compact(b"product secret", &iid, terms);
    let cv = Verifier::Compact(b"product secret".to_vec());
    c.bench_function("cid/compact/make", |b| {
        b.iter(|| confirm::issue_compact(b"product secret", black_box(&iid), terms))
    });
    c.bench_function("cid/compact/verify", |b| {
        b.iter(|| confirm::verify(black_box(&compact), &iid, &cv).unwrap())
    });
}

fn ledger(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::at(dir.path().join("h"));
    let (secrets, mut ledger, catalog) = home.init("bench", true).unwrap();
    let channel = Channel::Staff {
        name: "bench".into(),
        role: Role::Supervisor,
    };
    let mut g = c.benchmark_group("ledger");
    for (name, product) in [("signed", "studio"), ("compact", "notes")] {
        let p = catalog.by_name(product).unwrap().clone();
        // Keys of 1,000 activations, as a large customer has; a new key
        // every 500 machines keeps each key's history realistic.
        let keys: Vec<ProductKey> = (0..400)
            .map(|_| {
                ProductKey::parse(
                    &ledger
                        .issue_key("bench", &p, KeyKind::Mak, None, 1000, &|k, c| {
                            secrets.key_secret(k, c)
                        })
                        .unwrap()
                        .key,
                )
                .unwrap()
            })
            .collect();
        let key_for = |n: u64| &keys[(n / 500) as usize % keys.len()];
        let mut n = 0u64;
        g.throughput(Throughput::Elements(1));
        g.bench_function(format!("activate/single/{name}"), |b| {
            b.iter(|| {
                n += 1;
                let iid = InstallationId::new(p.code, key_for(n), hw(n * 7919), 2500);
                ledger
                    .activate(&iid, &channel, None, None, 2500, &|g, p, i| {
                        secrets.confirmation_id(g, p, i)
                    })
                    .unwrap()
            })
        });
        g.throughput(Throughput::Elements(100));
        g.bench_function(format!("activate/batch-of-100/{name}"), |b| {
            b.iter_batched(
                || {
                    (0..100)
                        .map(|_| {
                            n += 1;
                            BatchItem {
                                iid: InstallationId::new(p.code, key_for(n), hw(n * 7919), 2500),
                                label: None,
                            }
                        })
                        .collect::<Vec<_>>()
                },
                |items| {
                    ledger
                        .activate_batch(
                            &items,
                            100,
                            &channel,
                            2500,
                            &|g, p, i| secrets.confirmation_id(g, p, i),
                            &mut |_| {},
                        )
                        .unwrap()
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = ids, ledger
}
criterion_main!(benches);
