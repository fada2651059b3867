//! Voice benchmarks: render a full signed confirmation ID (20 groups of 7 digits)
//! at 8 kHz (target < 5 ms) and load the built-in English voice pack, as
//! `actline say` does (target < 50 ms).

use std::hint::black_box;

use actline::voice::{load_language, Plan, PlanOptions, RenderOptions, VoiceSource};
use criterion::{criterion_group, criterion_main, Criterion};

fn bench_voice(c: &mut Criterion) {
    let (voice, _) =
        load_language(&VoiceSource::BuiltIn, "en").expect("load the English voice pack");
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
        b.iter(|| black_box(load_language(black_box(&VoiceSource::BuiltIn), "en").expect("load")))
    });
    group.finish();
}

criterion_group!(benches, bench_voice);
criterion_main!(benches);
