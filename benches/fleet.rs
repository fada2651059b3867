//! Fleet simulation figures (issue 9): for each fleet and key size, 10,000
//! new machines ask in turn and 10,000 seat holders come back with one and
//! with two changed parts. Prints a table (the figures in README), then
//! times one comparison and one 1,000-seat key.

use actline::fingerprint::fleet::{simulate, Fleet};
use actline::fingerprint::HardwareHash;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

fn table() {
    println!("| fleet | seats | new machines | taken for an old one | comparisons | 1 part changed: refused | 2 parts changed: refused |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for fleet in Fleet::ALL {
        for seats in [1, 10, 100, 1_000, 5_000] {
            let o = simulate(fleet, seats, 10_000, 10_000, seats as u64);
            let rate = |i: usize| {
                if o.reactivations[i] == 0 {
                    "n/a (all parts)".to_string()
                } else {
                    format!("{} of {}", o.refused[i], o.reactivations[i])
                }
            };
            println!(
                "| {} | {seats} | {} | {} | {:.2e} | {} | {} |",
                fleet.name(),
                o.new_machines,
                o.taken_for_old,
                o.comparisons as f64,
                rate(1),
                rate(2)
            );
        }
    }
}

fn bench(c: &mut Criterion) {
    if std::env::var_os("ACTLINE_FLEET_TABLE").is_some() {
        table();
    }
    let a = HardwareHash::numbered(1);
    let b = HardwareHash::numbered(2);
    c.bench_function("fleet/compare two fingerprints", |bench| {
        bench.iter(|| black_box(&a).compare(black_box(&b)).same_machine())
    });
    let mut g = c.benchmark_group("fleet");
    g.sample_size(10);
    g.bench_function("1,000-seat key, 2,000 new physical machines", |bench| {
        bench.iter(|| simulate(Fleet::Physical { root: true }, 1_000, 2_000, 0, 1))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
