//! DTMF detection speed: 60 s of 8 kHz audio (a burst of all 16 keys every
//! 4 s over −35 dBm0 white noise), decoded with `decode_all` and streamed in
//! 20 ms chunks as a call would feed it; plus 60 s of 48 kHz audio through
//! the resampler. Criterion reports the time per 60 s; the "x real time"
//! figure is printed at the end (60 s divided by the best time of 20 runs).

use std::hint::black_box;
use std::time::{Duration, Instant};

use actline::ivr::dtmf::{add_noise, decode_all, generate, Detector, GenOptions};
use criterion::{criterion_group, Criterion, Throughput};

const ALL: &str = "123A456B789C*0#D";

fn minute_of_audio(rate: u32) -> Vec<i16> {
    let opts = GenOptions {
        sample_rate: rate,
        lead_ms: 500,
        ..GenOptions::default()
    };
    let burst = generate(ALL, &opts).expect("valid options");
    let n = 60 * rate as usize;
    let period = 4 * rate as usize;
    let mut audio = vec![0i16; n];
    let mut at = 0;
    while at + burst.len() <= n {
        audio[at..at + burst.len()].copy_from_slice(&burst);
        at += period;
    }
    add_noise(&mut audio, -35.0, 7);
    audio
}

fn stream(audio: &[i16], rate: u32, chunk: usize) -> usize {
    let mut d = Detector::new(rate).expect("supported rate");
    let mut n = 0;
    for c in audio.chunks(chunk) {
        n += d.push(c).len();
    }
    n + d.finish().len()
}

fn bench(c: &mut Criterion) {
    let audio = minute_of_audio(8000);
    let hi = minute_of_audio(48000);
    let mut g = c.benchmark_group("dtmf");
    g.throughput(Throughput::Elements(audio.len() as u64));
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    g.bench_function("decode_all 60 s @ 8 kHz", |b| {
        b.iter(|| decode_all(black_box(&audio), 8000))
    });
    g.bench_function("stream 20 ms chunks 60 s @ 8 kHz", |b| {
        b.iter(|| stream(black_box(&audio), 8000, 160))
    });
    g.throughput(Throughput::Elements(hi.len() as u64));
    g.sample_size(10);
    g.bench_function("decode_all 60 s @ 48 kHz", |b| {
        b.iter(|| decode_all(black_box(&hi), 48000))
    });
    g.finish();
}

fn realtime_summary() {
    for (label, rate) in [("8 kHz", 8000u32), ("48 kHz", 48000)] {
        let audio = minute_of_audio(rate);
        let keys = decode_all(&audio, rate).map(|e| e.len()).unwrap_or(0);
        let best = (0..20)
            .map(|_| {
                let t = Instant::now();
                black_box(decode_all(black_box(&audio), rate).ok());
                t.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min);
        println!(
            "dtmf decode_all, 60 s at {label}: {keys} keys, {:.0} x real time",
            60.0 / best
        );
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    realtime_summary();
}
