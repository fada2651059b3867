//! The user-agent server, message by message, as RFC 3261 says it.

use super::*;
use crate::sdp::Direction;

const CALLER: &str = "127.0.0.1:5070";

fn config() -> UaConfig {
    UaConfig {
        local: "127.0.0.1:5080".parse().unwrap(),
        max_calls: 2,
        allow: Vec::new(),
        agent_uri: None,
        answer_after_ms: 0,
    }
}

const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 10100 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";

fn invite(call_id: &str, branch: &str, sdp: &str) -> Vec<u8> {
    format!(
        "INVITE sip:ivr@127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP {CALLER};branch={branch};rport\r\nMax-Forwards: 70\r\nFrom: <sip:tester@127.0.0.1>;tag=ft\r\nTo: <sip:ivr@127.0.0.1:5080>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContact: <sip:tester@127.0.0.1:5071>\r\nRecord-Route: <sip:proxy@127.0.0.1:5999;lr>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
    .into_bytes()
}

fn request(method: &str, call_id: &str, to_tag: &str, cseq: u32, branch: &str) -> Vec<u8> {
    format!(
        "{method} sip:ivr@127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP {CALLER};branch={branch}\r\nMax-Forwards: 70\r\nFrom: <sip:tester@127.0.0.1>;tag=ft\r\nTo: <sip:ivr@127.0.0.1:5080>;tag={to_tag}\r\nCall-ID: {call_id}\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

struct Line {
    ua: Ua,
    now: u64,
}

impl Line {
    fn new(config: UaConfig) -> Self {
        Line {
            ua: Ua::new(config, 42),
            now: 0,
        }
    }

    fn from(&mut self, from: &str, bytes: &[u8]) -> Vec<Output> {
        self.ua.handle(
            self.now,
            Input::Datagram {
                from: from.parse().unwrap(),
                bytes,
            },
            &mut |_| Some(20_000),
        )
    }

    fn recv(&mut self, bytes: &[u8]) -> Vec<Output> {
        self.from(CALLER, bytes)
    }

    fn at(&mut self, now: u64, input: Input<'_>) -> Vec<Output> {
        self.now = now;
        self.ua.handle(now, input, &mut |_| Some(20_000))
    }
}

/// The messages sent, parsed.
fn sent(out: &[Output]) -> Vec<Message> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send { bytes, .. } => Some(Message::parse(bytes).unwrap()),
            _ => None,
        })
        .collect()
}

fn codes(out: &[Output]) -> Vec<u16> {
    sent(out).iter().filter_map(Message::code).collect()
}

fn to_tag(m: &Message) -> String {
    m.to().unwrap().tag().unwrap().to_string()
}

#[test]
fn an_invite_is_answered_100_then_200_with_sdp_contact_and_record_route() {
    let mut l = Line::new(config());
    let out = l.recv(&invite("c1", "z9hG4bK1", OFFER));
    assert_eq!(codes(&out), [100, 200]);
    let ok = &sent(&out)[1];
    assert_eq!(ok.header("Contact"), Some("<sip:ivr@127.0.0.1:5080>"));
    assert_eq!(
        ok.header("Record-Route"),
        Some("<sip:proxy@127.0.0.1:5999;lr>")
    );
    assert_eq!(ok.header("Content-Type"), Some("application/sdp"));
    assert!(String::from_utf8_lossy(&ok.body).contains("m=audio 20000 RTP/AVP 0 101"));
    assert_eq!(
        ok.header("Via"),
        Some("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1;rport=5070;received=127.0.0.1")
    );
    assert_eq!(
        sent(&out)[0].to().unwrap().tag(),
        None,
        "100 Trying has no tag"
    );
    assert!(out
        .iter()
        .any(|o| matches!(o, Output::Start { remote: Some(r), .. } if r.port() == 10100)));
}

#[test]
fn the_200_is_retransmitted_until_the_ack_arrives() {
    let mut l = Line::new(config());
    let out = l.recv(&invite("c1", "z9hG4bK1", OFFER));
    let tag = to_tag(&sent(&out)[1]);
    assert_eq!(codes(&l.at(500, Input::Tick)), [200]);
    assert_eq!(
        codes(&l.at(900, Input::Tick)),
        Vec::<u16>::new(),
        "next at 1.5 s"
    );
    assert_eq!(codes(&l.at(1500, Input::Tick)), [200]);
    // The INVITE again: the 200 again, not a second call.
    let out = l.recv(&invite("c1", "z9hG4bK1", OFFER));
    assert_eq!(codes(&out), [200]);
    assert_eq!(l.ua.active_calls(), 1);
    l.recv(&request("ACK", "c1", &tag, 1, "z9hG4bK2"));
    assert_eq!(l.ua.state("c1"), Some(&State::Confirmed));
    assert!(codes(&l.at(10_000, Input::Tick)).is_empty());
}

#[test]
fn no_ack_within_64_t1_ends_the_call_with_a_bye() {
    let mut l = Line::new(config());
    l.recv(&invite("c1", "z9hG4bK1", OFFER));
    let mut byes = 0;
    let mut ended = false;
    for t in (0..=40_000).step_by(100) {
        let out = l.at(t, Input::Tick);
        byes += sent(&out)
            .iter()
            .filter(|m| m.method() == Some(Method::Bye) && m.code().is_none())
            .count();
        ended |= out.iter().any(|o| matches!(o, Output::End { .. }));
    }
    assert!(byes >= 1 && ended);
}

#[test]
fn a_bye_from_the_caller_is_answered_and_ends_the_media() {
    let mut l = Line::new(config());
    let out = l.recv(&invite("c1", "z9hG4bK1", OFFER));
    let tag = to_tag(&sent(&out)[1]);
    l.recv(&request("ACK", "c1", &tag, 1, "z9hG4bK2"));
    let out = l.recv(&request("BYE", "c1", &tag, 2, "z9hG4bK3"));
    assert_eq!(codes(&out), [200]);
    assert!(out.contains(&Output::End {
        call: 1,
        reason: "caller hung up"
    }));
    // Its retransmission is answered again, and ends nothing twice.
    let out = l.recv(&request("BYE", "c1", &tag, 2, "z9hG4bK3"));
    assert_eq!(codes(&out), [200]);
    assert!(!out.iter().any(|o| matches!(o, Output::End { .. })));
    // A BYE with the wrong tag, or for no call: 481.
    assert_eq!(
        codes(&l.recv(&request("BYE", "c1", "nope", 3, "z9hG4bK4"))),
        [481]
    );
    assert_eq!(
        codes(&l.recv(&request("BYE", "c9", &tag, 3, "z9hG4bK5"))),
        [481]
    );
    // Forgotten after 32 s.
    l.at(40_000, Input::Tick);
    assert_eq!(l.ua.state("c1"), None);
}

#[test]
fn the_line_hangs_up_with_a_bye_to_the_contact_through_the_route_set() {
    let mut l = Line::new(config());
    let out = l.recv(&invite("c1", "z9hG4bK1", OFFER));
    let tag = to_tag(&sent(&out)[1]);
    l.recv(&request("ACK", "c1", &tag, 1, "z9hG4bK2"));
    let out = l.at(100, Input::HangUp(1));
    let (to, bye) = out
        .iter()
        .find_map(|o| match o {
            Output::Send { to, bytes } => Some((*to, Message::parse(bytes).unwrap())),
            _ => None,
        })
        .unwrap();
    assert_eq!(to, "127.0.0.1:5999".parse().unwrap(), "the first route");
    assert_eq!(
        bye.start,
        StartLine::Request {
            method: Method::Bye,
            uri: "sip:tester@127.0.0.1:5071".into()
        }
    );
    assert_eq!(bye.header("Route"), Some("<sip:proxy@127.0.0.1:5999;lr>"));
    assert_eq!(bye.from().unwrap().tag(), Some(tag.as_str()));
    assert_eq!(bye.to().unwrap().tag(), Some("ft"));
    assert!(out.contains(&Output::End {
        call: 1,
        reason: "line hung up"
    }));
    // Retransmitted until answered, then gone.
    assert_eq!(sent(&l.at(600, Input::Tick)).len(), 1);
    let branch = bye.top_via().unwrap().branch().unwrap().to_string();
    let ok = format!(
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5080;branch={branch}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: c1\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
        bye.header("From").unwrap(), bye.header("To").unwrap(), bye.header("CSeq").unwrap()
    );
    l.recv(ok.as_bytes());
    assert!(matches!(l.ua.state("c1"), Some(State::Gone { .. })));
    assert!(sent(&l.at(2_000, Input::Tick)).is_empty());
}

#[test]
fn a_cancel_before_the_answer_ends_the_invite_with_487() {
    let mut l = Line::new(UaConfig {
        answer_after_ms: 3_000,
        ..config()
    });
    let out = l.recv(&invite("c1", "z9hG4bK1", OFFER));
    assert_eq!(codes(&out), [100, 180]);
    let cancel = String::from_utf8(request("CANCEL", "c1", "x", 1, "z9hG4bK1"))
        .unwrap()
        .replace(";tag=x", "");
    let out = l.recv(cancel.as_bytes());
    assert_eq!(codes(&out), [200, 487]);
    assert!(out.contains(&Output::End {
        call: 1,
        reason: "cancelled"
    }));
    // The 487 is retransmitted until its ACK (same branch as the INVITE).
    assert_eq!(codes(&l.at(500, Input::Tick)), [487]);
    l.recv(&request("ACK", "c1", "x", 1, "z9hG4bK1"));
    assert!(codes(&l.at(1_500, Input::Tick)).is_empty());
    assert!(
        codes(&l.at(3_000, Input::Tick)).is_empty(),
        "never answered"
    );
}

#[test]
fn options_is_answered_in_and_out_of_dialog() {
    let mut l = Line::new(config());
    let out = l.recv(&request("OPTIONS", "o1", "x", 1, "z9hG4bK1"));
    assert_eq!(codes(&out), [200]);
    assert!(sent(&out)[0].header("Allow").unwrap().contains("INVITE"));
}

#[test]
fn refusals_say_why_403_486_488_and_400() {
    let mut l = Line::new(config());
    assert_eq!(
        codes(&l.from("192.0.2.1:5060", &invite("c0", "z9hG4bK0", OFFER))),
        [403]
    );
    let mut l = Line::new(UaConfig {
        allow: vec![Cidr::parse("192.0.2.0/24").unwrap()],
        ..config()
    });
    assert_eq!(
        codes(&l.from("192.0.2.1:5060", &invite("c0", "z9hG4bK0", OFFER))),
        [100, 200]
    );
    assert_eq!(
        codes(&l.recv(&invite("c1", "z9hG4bK1", OFFER))),
        [403],
        "loopback not in --allow"
    );

    let mut l = Line::new(config());
    let g729 = OFFER.replace("0 8 101", "18 101");
    let out = l.recv(&invite("c1", "z9hG4bK1", &g729));
    assert_eq!(codes(&out), [488]);
    assert!(sent(&out)[0]
        .header("Warning")
        .unwrap()
        .contains("no common codec"));
    assert_eq!(
        codes(&l.recv(&invite("c2", "z9hG4bK2", ""))),
        [488],
        "no offer"
    );
    assert_eq!(
        codes(&l.recv(&invite("c3", "z9hG4bK3", "v=0\r\nm=audio x\r\n"))),
        [400]
    );
    l.recv(&invite("c4", "z9hG4bK4", OFFER));
    l.recv(&invite("c5", "z9hG4bK5", OFFER));
    let out = l.recv(&invite("c6", "z9hG4bK6", OFFER));
    assert_eq!(codes(&out), [486], "--max-calls 2");
    // A request without a Call-ID is not answered; one with a bad CSeq is 400.
    let no_call_id = String::from_utf8(invite("c7", "z9hG4bK7", OFFER))
        .unwrap()
        .replace("Call-ID: c7\r\n", "");
    assert!(codes(&l.recv(no_call_id.as_bytes())).is_empty());
    let bad_cseq = String::from_utf8(invite("c8", "z9hG4bK8", OFFER))
        .unwrap()
        .replace("CSeq: 1 INVITE", "CSeq: one INVITE");
    assert!(
        codes(&l.recv(bad_cseq.as_bytes())).is_empty(),
        "no CSeq to answer with"
    );
    assert!(l
        .recv(b"\x00\xffgarbage")
        .iter()
        .all(|o| matches!(o, Output::Log { .. })));
    assert!(l.recv(b"\r\n\r\n").is_empty(), "a keep-alive");
}

#[test]
fn a_reinvite_to_hold_is_answered_recvonly_without_dropping_the_call() {
    let mut l = Line::new(config());
    let out = l.recv(&invite("c1", "z9hG4bK1", OFFER));
    let tag = to_tag(&sent(&out)[1]);
    l.recv(&request("ACK", "c1", &tag, 1, "z9hG4bK2"));
    let hold = OFFER
        .replace("a=sendrecv", "a=sendonly")
        .replace("RTP/AVP 0 8 101", "RTP/AVP 8 101");
    let re = String::from_utf8(invite("c1", "z9hG4bK3", &hold))
        .unwrap()
        .replace(
            "To: <sip:ivr@127.0.0.1:5080>",
            &format!("To: <sip:ivr@127.0.0.1:5080>;tag={tag}"),
        )
        .replace("CSeq: 1 INVITE", "CSeq: 2 INVITE");
    let out = l.recv(re.as_bytes());
    assert_eq!(codes(&out), [200]);
    let body = String::from_utf8(sent(&out)[0].body.clone()).unwrap();
    assert!(
        body.contains("a=recvonly") && body.contains("o=actline") && body.contains(" 2 IN IP4"),
        "{body}"
    );
    match out.iter().find(|o| matches!(o, Output::Update { .. })) {
        Some(Output::Update { chosen, .. }) => {
            assert_eq!(chosen.direction, Direction::RecvOnly);
            assert_eq!(chosen.codec, crate::sdp::Codec::Pcma);
        }
        other => panic!("{other:?}"),
    }
    l.recv(&request("ACK", "c1", &tag, 2, "z9hG4bK4"));
    assert_eq!(l.ua.state("c1"), Some(&State::Confirmed));
    // An older CSeq is refused; a re-INVITE with no common codec leaves the call as it was.
    assert_eq!(
        codes(&l.recv(re.as_bytes())),
        [200],
        "a retransmission gets the 200 again"
    );
    let stale = re.replace("z9hG4bK3", "z9hG4bK5");
    assert_eq!(codes(&l.recv(stale.as_bytes())), [500]);
    let g729 = String::from_utf8(invite("c1", "z9hG4bK6", &OFFER.replace("0 8 101", "18")))
        .unwrap()
        .replace(
            "To: <sip:ivr@127.0.0.1:5080>",
            &format!("To: <sip:ivr@127.0.0.1:5080>;tag={tag}"),
        )
        .replace("CSeq: 1 INVITE", "CSeq: 3 INVITE");
    assert_eq!(codes(&l.recv(g729.as_bytes())), [488]);
    assert_eq!(l.ua.active_calls(), 1);
}

fn answered(l: &mut Line) -> String {
    let out = l.recv(&invite("c1", "z9hG4bK1", OFFER));
    let tag = to_tag(&sent(&out)[1]);
    l.recv(&request("ACK", "c1", &tag, 1, "z9hG4bK2"));
    tag
}

#[test]
fn a_transfer_without_an_agent_uri_fails_at_once() {
    let mut l = Line::new(config());
    answered(&mut l);
    let out = l.at(10, Input::Transfer(1));
    assert!(
        matches!(&out[..], [Output::TransferFailed { call: 1, why }] if why.contains("--agent-uri"))
    );
}

fn refer_of(out: &[Output]) -> Message {
    sent(out)
        .into_iter()
        .find(|m| m.method() == Some(Method::Refer))
        .expect("a REFER")
}

fn reply_to(req: &Message, code: u16) -> Vec<u8> {
    format!(
        "SIP/2.0 {code} X\r\nVia: {}\r\nFrom: {}\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {}\r\nContent-Length: 0\r\n\r\n",
        req.header("Via").unwrap(), req.header("From").unwrap(), req.header("To").unwrap(),
        req.header("Call-ID").unwrap(), req.header("CSeq").unwrap()
    )
    .into_bytes()
}

#[test]
fn a_transfer_is_a_refer_and_the_agents_answer_in_a_notify_ends_the_call() {
    let mut l = Line::new(UaConfig {
        agent_uri: Some("sip:desk@127.0.0.1:5090".into()),
        ..config()
    });
    let tag = answered(&mut l);
    let out = l.at(10, Input::Transfer(1));
    let refer = refer_of(&out);
    assert_eq!(refer.header("Refer-To"), Some("<sip:desk@127.0.0.1:5090>"));
    l.recv(&reply_to(&refer, 202));
    let notify = format!(
        "NOTIFY sip:ivr@127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP {CALLER};branch=z9hG4bKn\r\nFrom: <sip:tester@127.0.0.1>;tag=ft\r\nTo: <sip:ivr@127.0.0.1:5080>;tag={tag}\r\nCall-ID: c1\r\nCSeq: 5 NOTIFY\r\nEvent: refer\r\nSubscription-State: terminated;reason=noresource\r\nContent-Type: message/sipfrag\r\nContent-Length: 16\r\n\r\nSIP/2.0 200 OK\r\n"
    );
    let out = l.recv(notify.as_bytes());
    assert_eq!(codes(&out), [200]);
    assert!(sent(&out)
        .iter()
        .any(|m| m.method() == Some(Method::Bye) && m.code().is_none()));
    assert!(out.contains(&Output::End {
        call: 1,
        reason: "line hung up"
    }));
}

#[test]
fn a_refused_or_unanswered_refer_is_a_failed_transfer() {
    let mut l = Line::new(UaConfig {
        agent_uri: Some("sip:desk@127.0.0.1:5090".into()),
        ..config()
    });
    answered(&mut l);
    let refer = refer_of(&l.at(10, Input::Transfer(1)));
    let out = l.recv(&reply_to(&refer, 405));
    assert!(matches!(&out[..], [Output::TransferFailed { why, .. }] if why.contains("405")));

    let mut l = Line::new(UaConfig {
        agent_uri: Some("sip:desk@127.0.0.1:5090".into()),
        ..config()
    });
    answered(&mut l);
    l.at(10, Input::Transfer(1));
    let failed = (0..400).any(|n| {
        l.at(10 + n * 100, Input::Tick).iter().any(
            |o| matches!(o, Output::TransferFailed { why, .. } if why.contains("not answered")),
        )
    });
    assert!(failed);
}

#[test]
fn cidrs_match_their_ranges() {
    let c = Cidr::parse("10.0.0.0/8").unwrap();
    assert!(c.contains("10.200.1.1".parse().unwrap()));
    assert!(!c.contains("11.0.0.1".parse().unwrap()));
    assert!(Cidr::parse("0.0.0.0/0")
        .unwrap()
        .contains("8.8.8.8".parse().unwrap()));
    assert!(Cidr::parse("::1").unwrap().contains("::1".parse().unwrap()));
    assert!(Cidr::parse("10.0.0.0/33").is_err());
    assert!(Cidr::parse("ten").is_err());
}
