//! One call's media: the IVR [`Call`] behind an RTP stream, with no I/O.
//!
//! Received packets go in with [`Media::rtp_in`]: audio is reordered,
//! decoded with G.711 and searched for in-band DTMF; RFC 4733 events are
//! counted once each. A key that comes both ways (a phone that sends an
//! event and leaves the tone in the audio) counts once: a key from one way
//! is dropped when the other way gave the same key within
//! [`Media::SAME_KEY_MS`] and that one was not matched yet.
//!
//! Every 20 ms the driver calls [`Media::tick`], which brings the call to
//! that time and returns the packet to send: 160 samples of the IVR's audio
//! (silence between prompts), or nothing while the caller holds the call.
//! No packet for [`MediaConfig::rtp_timeout_ms`] while the caller should be
//! sending ends the call as abandoned.

use crate::rtp::{self, Frame, Packet};
use crate::sdp::{Chosen, Codec};
use actline_audio::dtmf::Detector;
use actline_audio::g711;
use actline_ivr::call::{Call, Outward, Transcript};
use actline_ivr::flow::CallDecision;
use actline_voice::{Plan, Prompt};

/// Samples in one 20 ms packet at 8 kHz.
pub const FRAME: usize = 160;

/// How a call's media behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaConfig {
    /// No RTP for this long ends the call.
    pub rtp_timeout_ms: u64,
    /// Packets the receiver holds to put audio back in order.
    pub reorder_depth: usize,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            rtp_timeout_ms: 30_000,
            reorder_depth: 3,
        }
    }
}

/// Where a key came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Way {
    Event,
    InBand,
}

/// What the line must do for the call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaOut {
    /// What the IVR asks: a decision ([`Media::decided`] answers), a
    /// transfer (store the hand-over; REFER when an agent URI is set), or
    /// the hang-up (BYE).
    Ivr(Outward),
    /// No RTP came for the configured time: hang up (BYE).
    Silent,
}

/// One call's media.
pub struct Media {
    call: Call,
    chosen: Chosen,
    config: MediaConfig,
    sender: rtp::Sender,
    reorder: rtp::Reorder,
    events: rtp::Events,
    detector: Detector,
    /// Keys counted, with when and which way, for matching the other way.
    recent: Vec<(char, u64, Way, bool)>,
    last_rtp_ms: u64,
    /// Packets received and keys counted, each way.
    pub stats: Stats,
    /// Whether a callback announcement is playing before the hang-up.
    announcing: bool,
    ended: bool,
    /// Everything sent, when asked to keep it ([`Media::record`]).
    sent: Option<Vec<i16>>,
}

/// Counters for the transcript log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// RTP packets received.
    pub packets_in: u64,
    /// RTP packets sent.
    pub packets_out: u64,
    /// Datagrams that were not RTP.
    pub malformed: u64,
    /// Keys from RFC 4733 events.
    pub event_keys: u64,
    /// Keys from in-band tones.
    pub inband_keys: u64,
    /// Keys heard both ways and counted once.
    pub duplicate_keys: u64,
}

impl Media {
    /// Keys the same both ways within this many milliseconds are one key.
    pub const SAME_KEY_MS: u64 = 300;

    /// The media of `call` with the codec and events `chosen`; `ssrc`,
    /// `seq` and `timestamp` start the outgoing stream (random, from the driver).
    pub fn new(
        call: Call,
        chosen: Chosen,
        config: MediaConfig,
        ssrc: u32,
        seq: u16,
        timestamp: u32,
    ) -> Self {
        Self {
            call,
            chosen,
            config,
            sender: rtp::Sender::new(ssrc, seq, timestamp),
            reorder: rtp::Reorder::new(config.reorder_depth),
            events: rtp::Events::default(),
            detector: Detector::new(8_000).expect("8 kHz is a supported detector rate"),
            recent: Vec::new(),
            last_rtp_ms: 0,
            stats: Stats::default(),
            announcing: false,
            ended: false,
            sent: None,
        }
    }

    /// Keeps every sample sent, for [`Media::finish`] to return.
    pub fn record(mut self) -> Self {
        self.sent = Some(Vec::new());
        self
    }

    /// The call's identifier.
    pub fn id(&self) -> &str {
        self.call.id()
    }

    /// A new offer/answer in the dialog (re-INVITE: hold, resume, codec).
    pub fn update(&mut self, chosen: Chosen, now_ms: u64) {
        self.chosen = chosen;
        self.last_rtp_ms = now_ms;
    }

    /// A received datagram at `now_ms`.
    pub fn rtp_in(&mut self, now_ms: u64, datagram: &[u8]) {
        let Ok(p) = Packet::parse(datagram) else {
            self.stats.malformed += 1;
            return;
        };
        self.stats.packets_in += 1;
        self.last_rtp_ms = now_ms;
        if Some(p.payload_type) == self.chosen.telephone_event {
            if let Ok(e) = rtp::Event::parse(p.payload) {
                for key in self.events.packet(p.timestamp, e, now_ms) {
                    self.key(now_ms, key, Way::Event);
                }
            }
            return;
        }
        let codec = match p.payload_type {
            0 => Codec::Pcmu,
            8 => Codec::Pcma,
            _ => return, // comfort noise and the like: nothing to hear
        };
        for frame in self.reorder.push(p.seq, p.payload) {
            let samples = match frame {
                Frame::Audio(bytes) => match codec {
                    Codec::Pcmu => g711::decode_ulaw(&bytes),
                    Codec::Pcma => g711::decode_alaw(&bytes),
                },
                Frame::Missing => vec![0; FRAME],
            };
            for e in self.detector.push(&samples) {
                self.key(now_ms, e.key, Way::InBand);
            }
        }
    }

    fn key(&mut self, now_ms: u64, key: char, way: Way) {
        self.recent
            .retain(|(_, t, _, _)| now_ms.saturating_sub(*t) <= Self::SAME_KEY_MS);
        if let Some(r) = self
            .recent
            .iter_mut()
            .find(|(k, _, w, matched)| *k == key && *w != way && !matched)
        {
            r.3 = true;
            self.stats.duplicate_keys += 1;
            return;
        }
        self.recent.push((key, now_ms, way, false));
        match way {
            Way::Event => self.stats.event_keys += 1,
            Way::InBand => self.stats.inband_keys += 1,
        }
        self.call.key(now_ms, key);
    }

    /// Brings the call to `now_ms` (a multiple of 20 ms from the answer) and
    /// returns the packet to send for the 20 ms ending then, if any, with
    /// what the line must now do.
    pub fn tick(&mut self, now_ms: u64) -> (Option<Vec<u8>>, Vec<MediaOut>) {
        if let Some(k) = self.events.tick(now_ms) {
            self.key(now_ms, k, Way::Event);
        }
        self.call.at(now_ms);
        let mut out = self.outward();
        // RTP is expected from the caller unless the answer says they send
        // none (inactive, or sendonly on our side: they hold the call).
        let expect_rtp = matches!(
            self.chosen.direction,
            crate::sdp::Direction::SendRecv | crate::sdp::Direction::RecvOnly
        );
        if !self.ended
            && expect_rtp
            && now_ms.saturating_sub(self.last_rtp_ms) >= self.config.rtp_timeout_ms
        {
            self.ended = true;
            self.call.hang_up(now_ms);
            out.push(MediaOut::Silent);
        }
        if self.announcing && !self.call.is_playing() {
            self.announcing = false;
            out.push(MediaOut::Ivr(Outward::HangUp));
        }
        let audio = self.call.take_audio(now_ms);
        if !self.chosen.sends() {
            return (None, out);
        }
        // Normally 160 samples; after a stall, only the newest 20 ms go out
        // (never a burst), the rest is left out of the stream.
        let frame = if audio.len() > FRAME {
            self.sender.skip((audio.len() - FRAME) as u32);
            &audio[audio.len() - FRAME..]
        } else {
            &audio[..]
        };
        if frame.is_empty() {
            return (None, out);
        }
        if let Some(sent) = self.sent.as_mut() {
            sent.extend_from_slice(frame);
        }
        let payload = match self.chosen.codec {
            Codec::Pcmu => g711::encode_ulaw(frame),
            Codec::Pcma => g711::encode_alaw(frame),
        };
        self.stats.packets_out += 1;
        let packet = self.sender.packet(
            self.chosen.codec.payload_type(),
            &payload,
            frame.len() as u32,
        );
        (Some(packet), out)
    }

    fn outward(&mut self) -> Vec<MediaOut> {
        self.call
            .take_outward()
            .into_iter()
            .map(MediaOut::Ivr)
            .collect()
    }

    /// The decision asked for, at `now_ms`.
    pub fn decided(&mut self, now_ms: u64, decision: CallDecision) {
        self.call.decided(now_ms, decision);
    }

    /// No transfer can be made: the caller hears that an agent will call
    /// back; a hang-up ([`Outward::HangUp`]) follows when it has been said.
    pub fn callback(&mut self, now_ms: u64) {
        self.announcing = true;
        self.call.announce(
            now_ms,
            "agent_callback",
            &Plan::prompt(Prompt::AgentCallback),
        );
    }

    /// The caller hung up (BYE) at `now_ms`.
    pub fn hang_up(&mut self, now_ms: u64) {
        self.ended = true;
        self.call.hang_up(now_ms);
    }

    /// Ends the call at `now_ms`: its transcript, and what was sent when
    /// [`Media::record`] asked for it (8 kHz).
    pub fn finish(self, now_ms: u64) -> (Transcript, Option<Vec<i16>>) {
        (self.call.finish(now_ms).0, self.sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::Sender;
    use crate::sdp::Direction;
    use actline_audio::dtmf::{generate, GenOptions};
    use actline_ivr::call::Engine;
    use actline_ivr::flow::{FlowConfig, Grammars};
    use actline_voice::{load_language, VoiceSource};
    use std::sync::Arc;

    fn media() -> Media {
        let engine = Engine::new(
            Arc::new(load_language(&VoiceSource::BuiltIn, "en").unwrap().0),
            Grammars::builtin().unwrap(),
            FlowConfig::default(),
        );
        let chosen = Chosen {
            codec: Codec::Pcmu,
            telephone_event: Some(101),
            direction: Direction::SendRecv,
        };
        Media::new(engine.answer("t"), chosen, MediaConfig::default(), 1, 2, 3)
    }

    /// The caller's stream: `keys` as in-band tones in µ-law audio packets
    /// (every `swap`-th pair of packets swapped on the way) and, when
    /// `events`, as RFC 4733 events too, interleaved on the same SSRC.
    fn stream(keys: &str, events: bool, swap: usize) -> Vec<(u64, Vec<u8>)> {
        let opts = GenOptions {
            tone_ms: 100,
            gap_ms: 100,
            lead_ms: 200,
            ..GenOptions::default()
        };
        let mut audio = generate(keys, &opts).unwrap();
        audio.resize(audio.len() + 4_000, 0);
        let mut s = Sender::new(42, 100, 0);
        let mut out: Vec<(u64, Vec<u8>)> = audio
            .chunks(FRAME)
            .enumerate()
            .map(|(n, f)| {
                (
                    n as u64 * 20,
                    s.packet(0, &g711::encode_ulaw(f), FRAME as u32),
                )
            })
            .collect();
        if swap > 0 {
            for n in (0..out.len() - 1).step_by(swap) {
                let (a, b) = (out[n].1.clone(), out[n + 1].1.clone());
                out[n].1 = b;
                out[n + 1].1 = a;
            }
        }
        if events {
            for (i, k) in keys.chars().enumerate() {
                let code = k.to_digit(10).unwrap() as u8;
                let start = 200 + i as u64 * 200;
                for n in 0..8u64 {
                    let end = n >= 5;
                    let e = rtp::Event {
                        code,
                        end,
                        duration: 160 * (n.min(5) as u16 + 1),
                    };
                    let mut p = s.packet(101, &e.to_bytes(), 0);
                    p[4..8].copy_from_slice(&((start * 8) as u32).to_be_bytes());
                    out.push((start + 20 * n, p));
                }
            }
            out.sort_by_key(|(t, _)| *t);
        }
        out
    }

    fn digits(m: Media, end: u64) -> (String, Stats) {
        let stats = m.stats;
        let (t, _) = m.finish(end);
        let json = serde_json::to_value(&t).unwrap();
        let keys = json["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event"] == "digit")
            .map(|e| e["key"].as_str().unwrap().to_string())
            .collect();
        (keys, stats)
    }

    fn run(packets: &[(u64, Vec<u8>)]) -> Media {
        let mut m = media();
        let end = packets.last().unwrap().0 + 100;
        let mut next = 0;
        for t in (20..=end).step_by(20) {
            while next < packets.len() && packets[next].0 <= t {
                m.rtp_in(t, &packets[next].1);
                next += 1;
            }
            let _ = m.tick(t);
        }
        m
    }

    #[test]
    fn a_key_sent_both_ways_counts_once() {
        let m = run(&stream("1234567", true, 0));
        let (keys, stats) = digits(m, 10_000);
        assert_eq!(keys, "1234567");
        assert_eq!(
            (stats.event_keys + stats.inband_keys, stats.duplicate_keys),
            (7, 7),
            "{stats:?}"
        );
    }

    #[test]
    fn in_band_keys_survive_reordered_packets_and_events_alone_count_too() {
        let (keys, stats) = digits(run(&stream("7654321", false, 7)), 10_000);
        assert_eq!(keys, "7654321");
        assert_eq!(stats.inband_keys, 7);
        // Events alone (the audio silent).
        let only_events: Vec<_> = stream("1122", true, 0)
            .into_iter()
            .filter(|(_, p)| p[1] & 0x7f == 101)
            .collect();
        let (keys, stats) = digits(run(&only_events), 10_000);
        assert_eq!(keys, "1122", "the same digit twice is two events");
        assert_eq!(stats.event_keys, 4);
    }

    #[test]
    fn garbage_datagrams_are_counted_and_ignored() {
        let mut m = media();
        m.rtp_in(20, b"not rtp");
        m.rtp_in(40, &[0x80, 101, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xff]);
        let _ = m.tick(60);
        assert_eq!(m.stats.malformed, 1);
        assert_eq!(digits(m, 100).0, "");
    }
}
