//! SDP (RFC 4566) as the line needs it: an offer read, and the answer
//! (RFC 3264) made for it — PCMU or PCMA, `telephone-event/8000` (RFC 4733),
//! ptime 20, and the direction that puts a call on hold or takes it off.
//!
//! One nom function per line rule, with the rule above it. Lines may end in
//! CRLF or LF; unknown lines and attributes are skipped, as §5 allows.

use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::{char, digit1, space1};
use nom::combinator::{map_res, opt, rest};
use nom::multi::separated_list1;
use nom::sequence::preceded;
use nom::{IResult, Parser};
use std::net::IpAddr;

/// Why an offer cannot be answered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    /// The text is not SDP.
    #[error("SDP line {line}: {what}")]
    Malformed {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        what: String,
    },
    /// No audio stream, or none with a codec the line speaks (488).
    #[error("{0}")]
    NotAcceptable(String),
}

/// An audio codec the line speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    /// G.711 µ-law, payload type 0.
    Pcmu,
    /// G.711 A-law, payload type 8.
    Pcma,
}

impl Codec {
    /// Its static payload type.
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// Its rtpmap name.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }
}

/// Which way media flows, as an offer or answer says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Both ways.
    SendRecv,
    /// The offerer only sends.
    SendOnly,
    /// The offerer only receives.
    RecvOnly,
    /// Neither.
    Inactive,
}

impl Direction {
    /// The answer's direction for an offer's (RFC 3264 §6.1).
    pub fn answer(self) -> Direction {
        match self {
            Direction::SendRecv => Direction::SendRecv,
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            Direction::Inactive => Direction::Inactive,
        }
    }

    fn attribute(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }
}

/// The audio stream an offer proposes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    /// Where the offerer receives audio (`None` for 0.0.0.0, an old-style hold).
    pub addr: Option<IpAddr>,
    /// Its port.
    pub port: u16,
    /// Its payload types in order of preference.
    pub formats: Vec<u8>,
    /// rtpmap entries: (payload type, encoding name, clock rate).
    pub rtpmap: Vec<(u8, String, u32)>,
    /// The media direction (media level over session level; sendrecv when unsaid).
    pub direction: Direction,
    /// Every m= line, for the answer (which has as many, others rejected).
    pub media_lines: Vec<(String, String)>,
    /// Which m= line is the audio stream.
    pub audio_index: usize,
}

/// What the line answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chosen {
    /// The audio codec.
    pub codec: Codec,
    /// The offer's telephone-event payload type, when it has one.
    pub telephone_event: Option<u8>,
    /// The answer's direction.
    pub direction: Direction,
}

impl Chosen {
    /// Whether the line should send audio.
    pub fn sends(&self) -> bool {
        matches!(self.direction, Direction::SendRecv | Direction::SendOnly)
    }
}

type Res<'a, T> = IResult<&'a str, T>;

// connection-field = "c=" nettype SP addrtype SP connection-address
fn connection(i: &str) -> Res<'_, &str> {
    let (i, _) = (
        tag("IN"),
        space1,
        take_while1(|c: char| c.is_ascii_alphanumeric()),
        space1,
    )
        .parse(i)?;
    let (i, addr) = take_while1(|c: char| !c.is_whitespace() && c != '/').parse(i)?;
    let (i, _) = rest(i)?;
    Ok((i, addr))
}

// media-field = "m=" media SP port ["/" integer] SP proto 1*(SP fmt)
fn media(i: &str) -> Res<'_, (&str, u16, &str, Vec<&str>)> {
    let (i, kind) = take_while1(|c: char| c.is_ascii_alphanumeric()).parse(i)?;
    let (i, _) = space1(i)?;
    let (i, port) = map_res(digit1, str::parse::<u16>).parse(i)?;
    let (i, _) = opt(preceded(char('/'), digit1)).parse(i)?;
    let (i, _) = space1(i)?;
    let (i, proto) = take_while1(|c: char| !c.is_whitespace()).parse(i)?;
    let (i, _) = space1(i)?;
    let (i, fmts) = separated_list1(space1, take_while1(|c: char| !c.is_whitespace())).parse(i)?;
    Ok((i, (kind, port, proto, fmts)))
}

// rtpmap-value = payload-type SP encoding-name "/" clock-rate ["/" params]
fn rtpmap(i: &str) -> Res<'_, (u8, &str, u32)> {
    let (i, pt) = map_res(digit1, str::parse::<u8>).parse(i)?;
    let (i, _) = space1(i)?;
    let (i, name) = take_while1(|c: char| c != '/' && !c.is_whitespace()).parse(i)?;
    let (i, _) = char('/').parse(i)?;
    let (i, rate) = map_res(digit1, str::parse::<u32>).parse(i)?;
    let (i, _) = rest(i)?;
    Ok((i, (pt, name, rate)))
}

fn direction_of(attr: &str) -> Option<Direction> {
    Some(match attr {
        "sendrecv" => Direction::SendRecv,
        "sendonly" => Direction::SendOnly,
        "recvonly" => Direction::RecvOnly,
        "inactive" => Direction::Inactive,
        _ => return None,
    })
}

impl Offer {
    /// Reads an offer's audio stream.
    pub fn parse(body: &[u8]) -> Result<Offer, SdpError> {
        let text = std::str::from_utf8(body).map_err(|e| SdpError::Malformed {
            line: 1 + body[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count(),
            what: "not UTF-8".into(),
        })?;
        let mut session_addr: Option<&str> = None;
        let mut session_dir = None;
        // The first audio stream: port, formats, its c= address, its direction.
        type Audio<'a> = (u16, Vec<u8>, Option<&'a str>, Option<Direction>);
        let mut audio: Option<Audio> = None;
        let mut audio_index = 0;
        let mut rtpmaps = Vec::new();
        let mut media_lines = Vec::new();
        let mut in_audio = false;
        let mut seen_v = false;
        for (n, raw) in text.lines().enumerate() {
            let line = n + 1;
            let l = raw.trim_end_matches('\r');
            if l.is_empty() {
                continue;
            }
            let bad = |what: &str| SdpError::Malformed {
                line,
                what: what.to_string(),
            };
            let (kind, value) = l
                .split_once('=')
                .filter(|(k, _)| k.len() == 1)
                .ok_or_else(|| bad("not \"x=value\""))?;
            if !seen_v {
                if kind != "v" {
                    return Err(bad("the first line must be v="));
                }
                seen_v = true;
                continue;
            }
            match kind {
                "m" => {
                    let (_, (k, port, proto, fmts)) =
                        media(value).map_err(|_| bad("not \"m=media port proto fmt ...\""))?;
                    media_lines.push((k.to_string(), format!("{proto} {}", fmts.join(" "))));
                    in_audio = k == "audio" && audio.is_none() && port != 0;
                    if in_audio {
                        audio_index = media_lines.len() - 1;
                        let formats = fmts.iter().filter_map(|f| f.parse::<u8>().ok()).collect();
                        audio = Some((port, formats, None, None));
                    }
                }
                "c" => {
                    let (_, addr) =
                        connection(value).map_err(|_| bad("not \"c=IN IP4 address\""))?;
                    match (&mut audio, in_audio, media_lines.is_empty()) {
                        (Some(a), true, _) => a.2 = Some(addr),
                        (_, _, true) => session_addr = Some(addr),
                        _ => {}
                    }
                }
                "a" => {
                    if let Some(v) = value.strip_prefix("rtpmap:") {
                        if in_audio {
                            let (_, (pt, name, rate)) =
                                rtpmap(v).map_err(|_| bad("not \"a=rtpmap:pt name/rate\""))?;
                            rtpmaps.push((pt, name.to_string(), rate));
                        }
                    } else if let Some(d) = direction_of(value.trim()) {
                        match (&mut audio, in_audio, media_lines.is_empty()) {
                            (Some(a), true, _) => a.3 = Some(d),
                            (_, _, true) => session_dir = Some(d),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if !seen_v {
            return Err(SdpError::Malformed {
                line: 1,
                what: "empty".into(),
            });
        }
        let (port, formats, media_addr, media_dir) =
            audio.ok_or_else(|| SdpError::NotAcceptable("the offer has no audio stream".into()))?;
        let addr_text = media_addr.or(session_addr).ok_or_else(|| {
            SdpError::NotAcceptable("the offer's audio stream has no c= address".into())
        })?;
        let addr: IpAddr = addr_text.parse().map_err(|_| {
            SdpError::NotAcceptable(format!(
                "the offer's address {addr_text:?} is not an IP address"
            ))
        })?;
        Ok(Offer {
            addr: (!addr.is_unspecified()).then_some(addr),
            port,
            formats,
            rtpmap: rtpmaps,
            direction: media_dir.or(session_dir).unwrap_or(Direction::SendRecv),
            media_lines,
            audio_index,
        })
    }

    fn encoding(&self, pt: u8) -> Option<(String, u32)> {
        if let Some((_, n, r)) = self.rtpmap.iter().find(|(p, _, _)| *p == pt) {
            return Some((n.to_ascii_uppercase(), *r));
        }
        match pt {
            0 => Some(("PCMU".into(), 8000)),
            8 => Some(("PCMA".into(), 8000)),
            _ => None,
        }
    }

    /// The codec (the offerer's first that the line speaks) and the
    /// telephone-event payload type; 488 material when there is none.
    pub fn choose(&self) -> Result<Chosen, SdpError> {
        let codec = self
            .formats
            .iter()
            .find_map(|pt| match self.encoding(*pt) {
                Some((n, 8000)) if n == "PCMU" && *pt == 0 => Some(Codec::Pcmu),
                Some((n, 8000)) if n == "PCMA" && *pt == 8 => Some(Codec::Pcma),
                _ => None,
            })
            .ok_or_else(|| {
                SdpError::NotAcceptable(
                    "no common codec: the line speaks PCMU (0) and PCMA (8) at 8000 Hz".into(),
                )
            })?;
        let telephone_event = self.formats.iter().copied().find(|pt| {
            self.encoding(*pt)
                .is_some_and(|(n, r)| n == "TELEPHONE-EVENT" && r == 8000)
        });
        let direction = if self.addr.is_none() {
            Direction::Inactive
        } else {
            self.direction.answer()
        };
        Ok(Chosen {
            codec,
            telephone_event,
            direction,
        })
    }
}

/// The answer: `chosen` on `ip`:`port`, one m= line for each of the
/// offer's (the others rejected with port 0). `version` goes up with each
/// new answer in the dialog.
pub fn answer(
    offer: &Offer,
    chosen: &Chosen,
    ip: IpAddr,
    port: u16,
    session: u64,
    version: u64,
) -> Vec<u8> {
    let family = if ip.is_ipv4() { "IP4" } else { "IP6" };
    let mut s = format!(
        "v=0\r\no=actline {session} {version} IN {family} {ip}\r\ns=actline\r\nc=IN {family} {ip}\r\nt=0 0\r\n"
    );
    for (n, (kind, rest_of_line)) in offer.media_lines.iter().enumerate() {
        if n != offer.audio_index {
            s.push_str(&format!("m={kind} 0 {rest_of_line}\r\n"));
            continue;
        }
        let pt = chosen.codec.payload_type();
        match chosen.telephone_event {
            Some(te) => s.push_str(&format!("m=audio {port} RTP/AVP {pt} {te}\r\n")),
            None => s.push_str(&format!("m=audio {port} RTP/AVP {pt}\r\n")),
        }
        s.push_str(&format!("a=rtpmap:{pt} {}/8000\r\n", chosen.codec.name()));
        if let Some(te) = chosen.telephone_event {
            s.push_str(&format!(
                "a=rtpmap:{te} telephone-event/8000\r\na=fmtp:{te} 0-15\r\n"
            ));
        }
        s.push_str("a=ptime:20\r\n");
        s.push_str(&format!("a={}\r\n", chosen.direction.attribute()));
    }
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BARESIP: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 10100 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\na=ptime:20\r\n";

    #[test]
    fn baresips_offer_is_answered_with_pcmu_and_its_event_type() {
        let o = Offer::parse(BARESIP.as_bytes()).unwrap();
        assert_eq!(o.port, 10100);
        assert_eq!(o.addr, Some("127.0.0.1".parse().unwrap()));
        let c = o.choose().unwrap();
        assert_eq!(c.codec, Codec::Pcmu);
        assert_eq!(c.telephone_event, Some(101));
        assert_eq!(c.direction, Direction::SendRecv);
        let a =
            String::from_utf8(answer(&o, &c, "127.0.0.1".parse().unwrap(), 20000, 7, 1)).unwrap();
        assert!(a.contains("m=audio 20000 RTP/AVP 0 101\r\n"), "{a}");
        assert!(a.contains("a=ptime:20\r\n"));
        // The answer is an offer the parser reads.
        let back = Offer::parse(a.as_bytes()).unwrap();
        assert_eq!(back.choose().unwrap().codec, Codec::Pcmu);
    }

    #[test]
    fn the_offerers_first_codec_wins_and_pcma_alone_is_taken() {
        let o = Offer::parse(BARESIP.replace("0 8 101", "8 0").as_bytes()).unwrap();
        assert_eq!(o.choose().unwrap().codec, Codec::Pcma);
        assert_eq!(o.choose().unwrap().telephone_event, None);
    }

    #[test]
    fn hold_is_read_from_sendonly_and_from_a_zero_address() {
        let o = Offer::parse(BARESIP.replace("a=sendrecv", "a=sendonly").as_bytes()).unwrap();
        assert_eq!(o.choose().unwrap().direction, Direction::RecvOnly);
        assert!(!o.choose().unwrap().sends());
        let o = Offer::parse(
            BARESIP
                .replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0")
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(o.choose().unwrap().direction, Direction::Inactive);
    }

    #[test]
    fn no_common_codec_and_no_audio_are_not_acceptable() {
        let o = Offer::parse(BARESIP.replace("0 8 101", "9 101").as_bytes()).unwrap();
        assert!(
            matches!(o.choose(), Err(SdpError::NotAcceptable(m)) if m.contains("no common codec"))
        );
        let e =
            Offer::parse(b"v=0\r\nc=IN IP4 127.0.0.1\r\nm=video 5000 RTP/AVP 96\r\n").unwrap_err();
        assert!(matches!(e, SdpError::NotAcceptable(_)), "{e}");
    }

    #[test]
    fn other_streams_are_rejected_in_the_answer_with_port_zero() {
        let text = BARESIP.to_string() + "m=video 5002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n";
        let o = Offer::parse(text.as_bytes()).unwrap();
        let a = String::from_utf8(answer(
            &o,
            &o.choose().unwrap(),
            "127.0.0.1".parse().unwrap(),
            1,
            1,
            1,
        ))
        .unwrap();
        assert!(a.contains("m=video 0 RTP/AVP 96\r\n"), "{a}");
    }

    #[test]
    fn malformed_lines_are_named() {
        for (text, line) in [
            ("x", 1),
            ("v=0\r\nm=audio x RTP/AVP 0\r\n", 2),
            ("v=0\r\nc=IN IP4\r\n", 2),
            ("o=x\r\n", 1),
            ("v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0\r\n", 3),
        ] {
            match Offer::parse(text.as_bytes()) {
                Err(SdpError::Malformed { line: l, .. }) => assert_eq!(l, line, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }
}
