//! Voice benchmarks: render a full signed confirmation ID (20 groups of 7 digits)
//! at 8 kHz (target < 5 ms) and load a voice pack (target < 50 ms).

use std::hint::black_box;
use std::path::Path;

use actline::voice::{Plan, PlanOptions, RenderOptions, Voice, DEFAULT_VOICES_DIR};
use criterion::{criterion_group, criterion_main, Criterion};

fn bench_voice(c: &mut Criterion) {
    let dir = Path::new(DEFAULT_VOICES_DIR).join("en");
    let voice = Voice::load(&dir).expect("load the English voice pack");
    let groups: Vec<String> = (0..20u64)
        .map(|g| format!("{:07}", (g * 7_654_321 + 1_234_567) % 10_000_000))
        .collect();
    let plan = Plan::confirmation_id(&groups, &PlanOptions::default()).expect("valid ID");
    let opts = RenderOptions::default();

    c.bench_function("render_cid_20x7_8khz", |b| {
        b.iter(|| black_box(voice.render(black_box(&plan), &opts)))
    });
    c.bench_function("plan_and_render_cid_20x7_8khz", |b| {
        b.iter(|| {
            let plan = Plan::confirmation_id(black_box(&groups), &PlanOptions::default())
                .expect("valid ID");
            black_box(voice.render(&plan, &opts))
        })
    });
    let mut group = c.benchmark_group("load");
    group.sample_size(20);
    group.bench_function("voice_pack_en", |b| {
        b.iter(|| black_box(Voice::load(black_box(&dir)).expect("load")))
    });
    group.finish();
}

criterion_group!(benches, bench_voice);
criterion_main!(benches);
