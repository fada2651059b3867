//! RTP (RFC 3550) packets, RFC 4733 telephone events, and the receiver's
//! two tools: a small reordering buffer for audio, and the event tracker
//! that turns a stream of event packets into keys, each once.

use std::collections::BTreeMap;

/// Why a datagram is not an RTP packet.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("RTP: {0}")]
pub struct RtpError(pub String);

/// A parsed RTP packet; the payload borrows the datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    /// The marker bit.
    pub marker: bool,
    /// Payload type.
    pub payload_type: u8,
    /// Sequence number.
    pub seq: u16,
    /// Timestamp.
    pub timestamp: u32,
    /// Synchronization source.
    pub ssrc: u32,
    /// The payload, without header, extension or padding.
    pub payload: &'a [u8],
}

// RTP-header = V(2) P(1) X(1) CC(4) M(1) PT(7) sequence(16) timestamp(32)
//              SSRC(32) *CSRC(32) [extension] payload [padding]
impl<'a> Packet<'a> {
    /// Parses a datagram.
    pub fn parse(b: &'a [u8]) -> Result<Self, RtpError> {
        if b.len() < 12 {
            return Err(RtpError(format!(
                "{} bytes is shorter than a header",
                b.len()
            )));
        }
        if b[0] >> 6 != 2 {
            return Err(RtpError(format!("version {} (only 2 exists)", b[0] >> 6)));
        }
        let padding = b[0] & 0x20 != 0;
        let extension = b[0] & 0x10 != 0;
        let cc = (b[0] & 0x0f) as usize;
        let mut at = 12 + 4 * cc;
        if extension {
            let len = b
                .get(at + 2..at + 4)
                .map(|x| u16::from_be_bytes([x[0], x[1]]) as usize)
                .ok_or_else(|| RtpError("the header extension is cut off".into()))?;
            at += 4 + 4 * len;
        }
        let mut end = b.len();
        if padding {
            let n = *b.last().unwrap_or(&0) as usize;
            if n == 0 || n > end {
                return Err(RtpError(format!("padding of {n} bytes")));
            }
            end -= n;
        }
        if at > end {
            return Err(RtpError("the header is longer than the packet".into()));
        }
        Ok(Packet {
            marker: b[1] & 0x80 != 0,
            payload_type: b[1] & 0x7f,
            seq: u16::from_be_bytes([b[2], b[3]]),
            timestamp: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            ssrc: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
            payload: &b[at..end],
        })
    }
}

/// The sending side of one stream: SSRC, sequence and timestamp.
#[derive(Clone, Debug)]
pub struct Sender {
    ssrc: u32,
    seq: u16,
    timestamp: u32,
    first: bool,
}

impl Sender {
    /// A stream starting at random `seq`, `timestamp` (RFC 3550 §5.1 wants
    /// them unpredictable) with `ssrc`.
    pub fn new(ssrc: u32, seq: u16, timestamp: u32) -> Self {
        Self {
            ssrc,
            seq,
            timestamp,
            first: true,
        }
    }

    /// The next packet: `payload` of `samples` samples at payload type `pt`.
    /// The first packet carries the marker bit.
    pub fn packet(&mut self, pt: u8, payload: &[u8], samples: u32) -> Vec<u8> {
        let mut out = Vec::with_capacity(12 + payload.len());
        out.push(0x80);
        out.push(pt & 0x7f | if self.first { 0x80 } else { 0 });
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(payload);
        self.first = false;
        self.seq = self.seq.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(samples);
        out
    }

    /// Leaves `samples` out of the stream (audio dropped when sending fell
    /// behind): the timestamp moves on, the sequence does not.
    pub fn skip(&mut self, samples: u32) {
        self.timestamp = self.timestamp.wrapping_add(samples);
    }
}

/// An RFC 4733 event payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// The event code (0–9 digits, 10 `*`, 11 `#`, 12–15 A–D).
    pub code: u8,
    /// The end bit.
    pub end: bool,
    /// Duration so far, in timestamp units.
    pub duration: u16,
}

// event-payload = event(8) E(1) R(1) volume(6) duration(16)
impl Event {
    /// Parses an event payload (4 bytes; more are ignored, §2.5.1.2 allows
    /// several events only with redundancy, which is not negotiated).
    pub fn parse(p: &[u8]) -> Result<Self, RtpError> {
        if p.len() < 4 {
            return Err(RtpError(format!("telephone event of {} bytes", p.len())));
        }
        Ok(Event {
            code: p[0],
            end: p[1] & 0x80 != 0,
            duration: u16::from_be_bytes([p[2], p[3]]),
        })
    }

    /// The event's bytes (volume 10, as phones send).
    pub fn to_bytes(self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [self.code, if self.end { 0x80 } else { 0 } | 10, d[0], d[1]]
    }

    /// The key, for DTMF events.
    pub fn key(self) -> Option<char> {
        Some(match self.code {
            0..=9 => (b'0' + self.code) as char,
            10 => '*',
            11 => '#',
            12..=15 => (b'A' + self.code - 12) as char,
            _ => return None,
        })
    }
}

/// Turns telephone-event packets into keys: one key per event, however
/// many packets carry it. An event is its RTP timestamp (§2.5.1.1); it
/// counts once its end bit arrives, or once a newer event starts or
/// nothing more came for [`Events::STALE_MS`] (the end packets were lost).
#[derive(Clone, Debug, Default)]
pub struct Events {
    /// The event being received: (timestamp, key, last packet ms).
    current: Option<(u32, char, u64)>,
    /// Timestamps of events already counted (newest last, a few kept).
    done: Vec<u32>,
}

impl Events {
    /// An event whose packets stopped without an end bit counts after this.
    pub const STALE_MS: u64 = 400;

    /// One event packet with `timestamp`, received at `now_ms`; the keys it
    /// completes.
    pub fn packet(&mut self, timestamp: u32, e: Event, now_ms: u64) -> Vec<char> {
        let mut keys = Vec::new();
        let Some(key) = e.key() else {
            return keys;
        };
        if self.done.contains(&timestamp) {
            return keys; // a retransmitted end packet
        }
        if let Some((ts, k, _)) = self.current {
            if ts != timestamp {
                self.count(ts);
                keys.push(k);
            }
        }
        if e.end {
            self.current = None;
            self.count(timestamp);
            keys.push(key);
        } else {
            self.current = Some((timestamp, key, now_ms));
        }
        keys
    }

    /// The key of an event whose packets stopped at least
    /// [`Self::STALE_MS`] before `now_ms`.
    pub fn tick(&mut self, now_ms: u64) -> Option<char> {
        let (ts, k, at) = self.current?;
        if now_ms.saturating_sub(at) < Self::STALE_MS {
            return None;
        }
        self.current = None;
        self.count(ts);
        Some(k)
    }

    fn count(&mut self, ts: u32) {
        self.done.push(ts);
        if self.done.len() > 16 {
            self.done.remove(0);
        }
    }
}

/// Reorders audio packets by sequence number, holding at most `depth` of
/// them (each 20 ms of delay); a missing packet is given up on once the
/// buffer is full and becomes a gap. Duplicates and packets older than what
/// was released are dropped.
#[derive(Clone, Debug)]
pub struct Reorder {
    depth: usize,
    next: Option<u16>,
    held: BTreeMap<u16, Vec<u8>>,
}

/// What [`Reorder`] releases, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A packet's payload.
    Audio(Vec<u8>),
    /// A packet that never came.
    Missing,
}

/// Gaps longer than this are not filled frame by frame (a new stream).
const MAX_GAP: u16 = 50;

impl Reorder {
    /// A buffer of `depth` packets.
    pub fn new(depth: usize) -> Self {
        Self {
            depth: depth.max(1),
            next: None,
            held: BTreeMap::new(),
        }
    }

    /// `seq` relative to the next expected one: negative is late.
    fn offset(&self, seq: u16) -> i32 {
        match self.next {
            Some(n) => seq.wrapping_sub(n) as i16 as i32,
            None => 0,
        }
    }

    /// Adds a packet; the frames now due.
    pub fn push(&mut self, seq: u16, payload: &[u8]) -> Vec<Frame> {
        let mut out = Vec::new();
        if self.next.is_none() {
            self.next = Some(seq);
        }
        let off = self.offset(seq);
        if off < 0 {
            return out; // late or duplicate
        }
        if off as u16 > MAX_GAP {
            // A jump: start again from here.
            self.held.clear();
            self.next = Some(seq);
        }
        self.held.entry(seq).or_insert_with(|| payload.to_vec());
        self.release(&mut out);
        while self.held.len() > self.depth {
            out.push(Frame::Missing);
            self.next = self.next.map(|n| n.wrapping_add(1));
            self.release(&mut out);
        }
        out
    }

    fn release(&mut self, out: &mut Vec<Frame>) {
        while let Some(n) = self.next {
            match self.held.remove(&n) {
                Some(p) => {
                    out.push(Frame::Audio(p));
                    self.next = Some(n.wrapping_add(1));
                }
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sent_packet_parses_back_with_its_fields() {
        let mut s = Sender::new(0xdead_beef, 65535, 4_294_967_200);
        let first = s.packet(0, &[0xff; 160], 160);
        let second = s.packet(0, &[0x7f; 160], 160);
        let a = Packet::parse(&first).unwrap();
        let b = Packet::parse(&second).unwrap();
        assert!(a.marker && !b.marker);
        assert_eq!((a.seq, b.seq), (65535, 0), "the sequence wraps");
        assert_eq!(b.timestamp, 4_294_967_200u32.wrapping_add(160));
        assert_eq!(a.ssrc, 0xdead_beef);
        assert_eq!(b.payload, &[0x7f; 160]);
    }

    #[test]
    fn csrcs_extensions_and_padding_are_skipped() {
        let mut p = vec![0xb1, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        p.extend_from_slice(&[9, 9, 9, 9]); // one CSRC
        p.extend_from_slice(&[0xbe, 0xde, 0, 1, 7, 7, 7, 7]); // extension, 1 word
        p.extend_from_slice(&[1, 2, 3]);
        p.extend_from_slice(&[0, 0, 3]); // 3 bytes of padding
        let pk = Packet::parse(&p).unwrap();
        assert_eq!(pk.payload, &[1, 2, 3]);
        for bad in [
            &p[..11],
            &[0x40; 12][..],
            &[0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0][..],
        ] {
            assert!(Packet::parse(bad).is_err(), "{bad:?}");
        }
    }

    fn ev(code: u8, end: bool) -> Event {
        Event {
            code,
            end,
            duration: 160,
        }
    }

    #[test]
    fn an_event_counts_once_at_its_end_whatever_the_retransmissions() {
        let mut e = Events::default();
        let mut keys = Vec::new();
        for _ in 0..9 {
            keys.extend(e.packet(1000, ev(4, false), 0));
        }
        for _ in 0..3 {
            keys.extend(e.packet(1000, ev(4, true), 10));
        }
        // The same digit again is a new event: a new timestamp.
        keys.extend(e.packet(3000, ev(4, false), 20));
        keys.extend(e.packet(3000, ev(4, true), 30));
        keys.extend(e.packet(5000, ev(11, true), 40));
        assert_eq!(keys, ['4', '4', '#']);
    }

    #[test]
    fn an_event_whose_end_was_lost_counts_when_the_next_starts_or_it_goes_stale() {
        let mut e = Events::default();
        assert!(e.packet(1000, ev(1, false), 0).is_empty());
        assert_eq!(e.packet(2000, ev(2, false), 100), ['1']);
        assert_eq!(e.tick(200), None);
        assert_eq!(e.tick(100 + Events::STALE_MS), Some('2'));
        assert!(
            e.packet(2000, ev(2, true), 600).is_empty(),
            "already counted"
        );
        assert!(e.packet(7000, ev(200, true), 700).is_empty(), "not a key");
    }

    #[test]
    fn audio_is_reordered_and_a_lost_packet_becomes_a_gap() {
        let mut r = Reorder::new(2);
        let a = |n: u8| Frame::Audio(vec![n]);
        assert_eq!(r.push(10, &[10]), [a(10)]);
        assert_eq!(r.push(12, &[12]), []);
        assert_eq!(r.push(11, &[11]), [a(11), a(12)]);
        assert_eq!(r.push(11, &[11]), [], "a duplicate");
        assert_eq!(r.push(9, &[9]), [], "late");
        // 13 is lost: released as a gap once two later packets wait.
        assert_eq!(r.push(14, &[14]), []);
        assert_eq!(r.push(15, &[15]), []);
        assert_eq!(r.push(16, &[16]), [Frame::Missing, a(14), a(15), a(16)]);
        // Sequence numbers wrap.
        let mut r = Reorder::new(2);
        assert_eq!(r.push(65535, &[1]), [a(1)]);
        assert_eq!(r.push(0, &[2]), [a(2)]);
    }
}
