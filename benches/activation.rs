//! Issue 2's targets: parsing and validating an installation ID, making and
//! verifying a confirmation ID of each profile, and activations per second
//! through the ledger, single and batch.

use actline::confirm;
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
    // Confirmation IDs are made only from a granted decision, through the
    // home's secrets: the one public way to make one.
    let dir = tempfile::tempdir().unwrap();
    let (secrets, _ledger, catalog) = Home::at(dir.path().join("h")).init("bench", true).unwrap();
    let agreements = actline::entitlement::Agreements::default();
    for (name, product) in [("signed", "studio"), ("compact", "notes")] {
        let p = catalog.by_name(product).unwrap().clone();
        let key = ProductKey::issue(
            &secrets.key_secret(KeyKind::Mak, p.code),
            KeyKind::Mak,
            123_456,
        );
        let iid = InstallationId::new(p.code, &key, hw(42), 2500);
        let record = actline::entitlement::KeyRecord {
            serial: key.serial(),
            key: key.to_string(),
            kind: KeyKind::Mak,
            product: p.code,
            agreement: None,
            limit: 10,
            revoked: false,
        };
        let channel = Channel::SelfService;
        let decision = actline::entitlement::rules::decide(&actline::entitlement::rules::Request {
            catalog: &catalog,
            agreements: &agreements,
            iid: &iid,
            key: Some(&record),
            prior: &[],
            channel: &channel,
            caller_agreement: None,
            today: 2500,
        });
        let grant = decision.outcome.expect("a fresh key grants");
        let cid = secrets.confirmation_id(&grant, &p, &iid);
        let trust = secrets.trust(&catalog);
        let v = trust.verifier(&trust.products[product]).unwrap();
        c.bench_function(&format!("cid/{name}/make"), |b| {
            b.iter(|| secrets.confirmation_id(&grant, &p, black_box(&iid)))
        });
        c.bench_function(&format!("cid/{name}/verify"), |b| {
            b.iter(|| confirm::verify(black_box(&cid), &iid, &v).unwrap())
        });
    }
}

/// Activations through the ledger on each backend: the home's SQLite file
/// (group `ledger`), and, when `ACTLINE_TEST_PG` names a server (run as
/// `scripts/with-postgres.sh cargo bench --bench activation`), a new
/// database there (group `ledger-postgres`). Both commit durably.
fn ledger(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    ledger_on(c, "ledger", Home::at(dir.path().join("sqlite")));
    match std::env::var("ACTLINE_TEST_PG") {
        Ok(cluster) => {
            let name = format!("bench_{}", std::process::id());
            let made = std::process::Command::new("psql")
                .args([&cluster, "-qXc", &format!("CREATE DATABASE {name}")])
                .status()
                .unwrap();
            assert!(made.success(), "psql could not make the bench's database");
            let url = format!("{}/{name}", cluster.rsplit_once('/').unwrap().0);
            let home = Home::at(dir.path().join("postgres")).with_ledger(Some(url));
            ledger_on(c, "ledger-postgres", home);
        }
        Err(_) => eprintln!(
            "ledger-postgres: skipped (no ACTLINE_TEST_PG; run through scripts/with-postgres.sh)"
        ),
    }
}

fn ledger_on(c: &mut Criterion, group: &str, home: Home) {
    let (secrets, mut ledger, catalog) = home.init("bench", true).unwrap();
    let channel = Channel::Staff {
        name: "bench".into(),
        role: Role::Supervisor,
    };
    let mut g = c.benchmark_group(group);
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
