//! The telephone line's per-call work, per 20 ms packet: an RTP packet in
//! to a DTMF key (RFC 4733 events; in-band tones through G.711 decoding and
//! the detector), and the IVR's prompt samples out as an RTP packet (taking
//! the audio, G.711 encoding, the header).

use actline::ivr::call::Engine;
use actline::ivr::dtmf::{self, GenOptions};
use actline::ivr::flow::{FlowConfig, Grammars};
use actline::sip::media::{Media, MediaConfig};
use actline::sip::rtp::{Event, Sender};
use actline::sip::sdp::{Chosen, Codec, Direction};
use actline::voice::{load_language, VoiceSource};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::sync::Arc;

fn engine() -> Engine {
    Engine::new(
        Arc::new(load_language(&VoiceSource::BuiltIn, "en").unwrap().0),
        Grammars::builtin().unwrap(),
        FlowConfig::default(),
    )
}

const CHOSEN: Chosen = Chosen {
    codec: Codec::Pcmu,
    telephone_event: Some(101),
    direction: Direction::SendRecv,
};

fn media(e: &Engine) -> Media {
    Media::new(e.answer("bench"), CHOSEN, MediaConfig::default(), 1, 2, 3)
}

fn line(c: &mut Criterion) {
    let e = engine();
    // RFC 4733: a digit is 9 event packets and 3 end packets.
    let mut events = Vec::new();
    let mut s = Sender::new(9, 0, 0);
    for d in 0..10u8 {
        for n in 0..12u16 {
            let ev = Event {
                code: d,
                end: n >= 9,
                duration: 160 * (n.min(8) + 1),
            };
            let mut p = s.packet(101, &ev.to_bytes(), 0);
            // One timestamp per event.
            p[4..8].copy_from_slice(&(d as u32 * 4000).to_be_bytes());
            events.push(p);
        }
    }
    let mut g = c.benchmark_group("line");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("RTP in: RFC 4733 event packets to keys", |b| {
        b.iter_batched(
            || media(&e),
            |mut m| {
                for (i, p) in events.iter().enumerate() {
                    m.rtp_in(i as u64 * 20, p);
                }
                m
            },
            criterion::BatchSize::SmallInput,
        )
    });
    // In-band: 2 s of µ-law audio with 10 keys, as 100 packets.
    let mut audio = vec![0i16; 16_000];
    for (n, k) in "0123456789".chars().enumerate() {
        dtmf::add_key(&mut audio, n * 1_600, 800, k, &GenOptions::default()).unwrap();
    }
    let mut s = Sender::new(9, 0, 0);
    let packets: Vec<Vec<u8>> = audio
        .chunks(160)
        .map(|f| s.packet(0, &actline::audio::g711::encode_ulaw(f), 160))
        .collect();
    g.throughput(Throughput::Elements(packets.len() as u64));
    g.bench_function(
        "RTP in: audio packets, G.711 + in-band DTMF detector",
        |b| {
            b.iter_batched(
                || media(&e),
                |mut m| {
                    for (i, p) in packets.iter().enumerate() {
                        m.rtp_in(i as u64 * 20, p);
                    }
                    m
                },
                criterion::BatchSize::SmallInput,
            )
        },
    );
    g.throughput(Throughput::Elements(100));
    g.bench_function("RTP out: prompt samples to packets", |b| {
        b.iter_batched(
            || media(&e),
            |mut m| {
                // The welcome and first prompt: 100 packets (2 s).
                for t in 1..=100u64 {
                    let _ = m.tick(t * 20);
                }
                m
            },
            criterion::BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, line);
criterion_main!(benches);
