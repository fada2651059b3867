//! SIP messages: parsing (nom 8), typed views of the headers a user-agent
//! server needs, and serialization.
//!
//! The grammar is RFC 3261 §25, restricted to what is read here. One nom
//! function per rule, with the rule above it. Line ends may be CRLF or bare
//! LF (a robustness allowance of §7.5); folded header lines (a line starting
//! with a space or tab continues the one before) are unfolded. Header names
//! are matched without regard to case, and compact forms (`v`, `f`, `t`,
//! `i`, `m`, `l`, `c`, `k`, `s`, `e`, `o`, `r`, `b`) are read as their long
//! names.
//!
//! A message's head must be UTF-8 and at most [`MAX_MESSAGE`] bytes long
//! with its body; the body is `Content-Length` bytes (the rest of the
//! datagram when the header is missing, as §18.3 allows for UDP).

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1, take_while_m_n};
use nom::character::complete::{char, digit1};
use nom::combinator::{map, map_res, opt, recognize};
use nom::multi::many0;
use nom::sequence::{delimited, preceded};
use nom::{IResult, Parser};
use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// Largest message accepted (a UDP datagram of an MTU is far smaller).
pub const MAX_MESSAGE: usize = 65_535;

/// Most header lines in one message.
pub const MAX_HEADERS: usize = 200;

/// Why a datagram is not a SIP message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

fn err(msg: impl Into<String>) -> ParseError {
    ParseError(msg.into())
}

/// A SIP method.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// INVITE
    Invite,
    /// ACK
    Ack,
    /// BYE
    Bye,
    /// CANCEL
    Cancel,
    /// OPTIONS
    Options,
    /// REFER (RFC 3515)
    Refer,
    /// NOTIFY (RFC 6665)
    Notify,
    /// Any other method, as sent.
    Other(String),
}

impl Method {
    /// The method of `token` (methods are case-sensitive, §7.1).
    pub fn from_token(token: &str) -> Self {
        match token {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "OPTIONS" => Method::Options,
            "REFER" => Method::Refer,
            "NOTIFY" => Method::Notify,
            other => Method::Other(other.to_string()),
        }
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Options => "OPTIONS",
            Method::Refer => "REFER",
            Method::Notify => "NOTIFY",
            Method::Other(s) => s,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartLine {
    /// A request.
    Request {
        /// Its method.
        method: Method,
        /// The Request-URI, as sent.
        uri: String,
    },
    /// A response.
    Response {
        /// The status code (100–699).
        code: u16,
        /// The reason phrase.
        reason: String,
    },
}

/// One header line, its name in the long form the way §20 spells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Canonical name (`Via`, `Call-ID`, ...; unknown names as sent).
    pub name: String,
    /// The value, unfolded, without surrounding whitespace.
    pub value: String,
}

/// A SIP message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Request or status line.
    pub start: StartLine,
    /// Headers in order.
    pub headers: Vec<Header>,
    /// The body.
    pub body: Vec<u8>,
}

type Res<'a, T> = IResult<&'a str, T>;

// CRLF = CR LF   (a bare LF is accepted)
fn crlf(i: &str) -> Res<'_, &str> {
    alt((tag("\r\n"), tag("\n"))).parse(i)
}

// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
fn token(i: &str) -> Res<'_, &str> {
    take_while1(|c: char| c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)).parse(i)
}

// SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT   (only 2.0 is spoken)
fn sip_version(i: &str) -> Res<'_, &str> {
    recognize((tag("SIP/"), digit1, char('.'), digit1)).parse(i)
}

// Request-URI = SIP-URI / SIPS-URI / absoluteURI   (any run of non-space)
fn request_uri(i: &str) -> Res<'_, &str> {
    take_while1(|c: char| !c.is_whitespace()).parse(i)
}

// Request-Line = Method SP Request-URI SP SIP-Version CRLF
fn request_line(i: &str) -> Res<'_, StartLine> {
    map(
        (token, char(' '), request_uri, char(' '), sip_version, crlf),
        |(m, _, uri, _, _, _)| StartLine::Request {
            method: Method::from_token(m),
            uri: uri.to_string(),
        },
    )
    .parse(i)
}

// Status-Code = 3DIGIT
fn status_code(i: &str) -> Res<'_, u16> {
    map_res(
        take_while_m_n(3, 3, |c: char| c.is_ascii_digit()),
        str::parse,
    )
    .parse(i)
}

// Reason-Phrase = *(any char but CR and LF)
fn reason_phrase(i: &str) -> Res<'_, &str> {
    take_while(|c: char| c != '\r' && c != '\n').parse(i)
}

// Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF
fn status_line(i: &str) -> Res<'_, StartLine> {
    map(
        (
            sip_version,
            char(' '),
            status_code,
            opt(char(' ')),
            reason_phrase,
            crlf,
        ),
        |(_, _, code, _, reason, _)| StartLine::Response {
            code,
            reason: reason.to_string(),
        },
    )
    .parse(i)
}

// start-line = Request-Line / Status-Line
fn start_line(i: &str) -> Res<'_, StartLine> {
    alt((status_line, request_line)).parse(i)
}

// header-line = header-name HCOLON header-value CRLF *(WSP header-value CRLF)
// HCOLON      = *( SP / HTAB ) ":" SWS
fn header_line(i: &str) -> Res<'_, (&str, String)> {
    let (i, name) = token(i)?;
    let (i, _) = take_while(|c| c == ' ' || c == '\t').parse(i)?;
    let (i, _) = char(':').parse(i)?;
    let (i, first) = reason_phrase(i)?;
    let (i, _) = crlf(i)?;
    let (i, more) = many0(preceded(
        take_while1(|c| c == ' ' || c == '\t'),
        (reason_phrase, crlf),
    ))
    .parse(i)?;
    let mut value = first.trim().to_string();
    for (line, _) in more {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if !value.is_empty() {
            value.push(' ');
        }
        value.push_str(line);
    }
    Ok((i, (name, value)))
}

/// The long form of a header name.
pub fn canonical_name(name: &str) -> String {
    let long = match name.to_ascii_lowercase().as_str() {
        "v" | "via" => "Via",
        "f" | "from" => "From",
        "t" | "to" => "To",
        "i" | "call-id" => "Call-ID",
        "m" | "contact" => "Contact",
        "l" | "content-length" => "Content-Length",
        "c" | "content-type" => "Content-Type",
        "k" | "supported" => "Supported",
        "s" | "subject" => "Subject",
        "e" | "content-encoding" => "Content-Encoding",
        "o" | "event" => "Event",
        "r" | "refer-to" => "Refer-To",
        "b" | "referred-by" => "Referred-By",
        "cseq" => "CSeq",
        "max-forwards" => "Max-Forwards",
        "record-route" => "Record-Route",
        "route" => "Route",
        "require" => "Require",
        "allow" => "Allow",
        "accept" => "Accept",
        "user-agent" => "User-Agent",
        "subscription-state" => "Subscription-State",
        _ => return name.to_string(),
    };
    long.to_string()
}

impl Message {
    /// Parses one datagram.
    pub fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
        if bytes.len() > MAX_MESSAGE {
            return Err(err(format!(
                "a message of {} bytes is over the {MAX_MESSAGE}-byte limit",
                bytes.len()
            )));
        }
        // The head ends at the first empty line.
        let (head_len, body_at) =
            find_head_end(bytes).ok_or_else(|| err("no empty line ends the headers"))?;
        let head = std::str::from_utf8(&bytes[..head_len]).map_err(|e| {
            err(format!(
                "the headers are not UTF-8 (byte {})",
                e.valid_up_to()
            ))
        })?;
        let (mut rest, start) = start_line(head).map_err(|_| {
            err(format!(
                "line 1 is neither a request line nor a status line: {:?}",
                head.lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(80)
                    .collect::<String>()
            ))
        })?;
        if let StartLine::Response { code, .. } = start {
            if !(100..=699).contains(&code) {
                return Err(err(format!("status code {code} is outside 100-699")));
            }
        }
        let mut headers = Vec::new();
        let mut line = 2;
        while !rest.is_empty() {
            if headers.len() >= MAX_HEADERS {
                return Err(err(format!("more than {MAX_HEADERS} header lines")));
            }
            let (r, (name, value)) = header_line(rest).map_err(|_| {
                err(format!(
                    "line {line} is not a header (name: value): {:?}",
                    rest.lines()
                        .next()
                        .unwrap_or("")
                        .chars()
                        .take(80)
                        .collect::<String>()
                ))
            })?;
            line += rest[..rest.len() - r.len()].matches('\n').count();
            headers.push(Header {
                name: canonical_name(name),
                value,
            });
            rest = r;
        }
        let mut msg = Message {
            start,
            headers,
            body: Vec::new(),
        };
        let available = &bytes[body_at..];
        msg.body = match msg.header("Content-Length") {
            None => available.to_vec(),
            Some(v) => {
                let n: usize = v
                    .parse()
                    .map_err(|_| err(format!("Content-Length {v:?} is not a number")))?;
                if n > available.len() {
                    return Err(err(format!(
                        "Content-Length {n} but only {} bytes follow the headers",
                        available.len()
                    )));
                }
                available[..n].to_vec()
            }
        };
        Ok(msg)
    }

    /// A request with no headers yet.
    pub fn request(method: Method, uri: impl Into<String>) -> Self {
        Message {
            start: StartLine::Request {
                method,
                uri: uri.into(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// The method of a request, or (for a response) of its CSeq.
    pub fn method(&self) -> Option<Method> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method.clone()),
            StartLine::Response { .. } => self.cseq().ok().map(|c| c.1),
        }
    }

    /// The status code of a response.
    pub fn code(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { code, .. } => Some(*code),
            StartLine::Request { .. } => None,
        }
    }

    /// The first value of header `name` (long form).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// Every value of header `name`, comma-separated lists split (§7.3.1).
    pub fn values(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .flat_map(|h| split_list(&h.value))
            .collect()
    }

    /// Adds a header line.
    pub fn push(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.headers.push(Header {
            name: name.to_string(),
            value: value.into(),
        });
        self
    }

    /// Replaces every `name` line by one with `value`.
    pub fn set(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.headers.retain(|h| !h.name.eq_ignore_ascii_case(name));
        self.push(name, value)
    }

    /// A required header, or an error naming it.
    pub fn require(&self, name: &str) -> Result<&str, ParseError> {
        self.header(name)
            .ok_or_else(|| err(format!("no {name} header")))
    }

    /// The CSeq: number and method.
    pub fn cseq(&self) -> Result<(u32, Method), ParseError> {
        let v = self.require("CSeq")?;
        parse_cseq(v).ok_or_else(|| err(format!("CSeq {v:?} is not \"number METHOD\"")))
    }

    /// The Call-ID.
    pub fn call_id(&self) -> Result<&str, ParseError> {
        let v = self.require("Call-ID")?;
        if v.is_empty() || v.chars().any(char::is_whitespace) {
            return Err(err(format!("Call-ID {v:?} is empty or has spaces")));
        }
        Ok(v)
    }

    /// The From header, parsed.
    pub fn from(&self) -> Result<NameAddr, ParseError> {
        NameAddr::parse(self.require("From")?)
    }

    /// The To header, parsed.
    pub fn to(&self) -> Result<NameAddr, ParseError> {
        NameAddr::parse(self.require("To")?)
    }

    /// The topmost Via, parsed.
    pub fn top_via(&self) -> Result<Via, ParseError> {
        let v = self
            .values("Via")
            .into_iter()
            .next()
            .ok_or_else(|| err("no Via header"))?;
        Via::parse(&v)
    }

    /// The branch of the topmost Via, when it has one.
    pub fn branch(&self) -> Option<String> {
        self.top_via().ok()?.branch().map(str::to_string)
    }

    /// The URI of the first Contact, when it reads.
    pub fn contact_uri(&self) -> Option<String> {
        let first = split_list(self.header("Contact")?).into_iter().next()?;
        NameAddr::parse(&first).ok().map(|c| c.uri)
    }

    /// The message as bytes, with a Content-Length for its body (any given
    /// one is replaced).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(512);
        match &self.start {
            StartLine::Request { method, uri } => {
                out.push_str(&format!("{method} {uri} SIP/2.0\r\n"))
            }
            StartLine::Response { code, reason } => {
                out.push_str(&format!("SIP/2.0 {code} {reason}\r\n"))
            }
        }
        for h in &self.headers {
            if h.name.eq_ignore_ascii_case("Content-Length") {
                continue;
            }
            // Never let a value end the line early.
            let value: String = h
                .value
                .chars()
                .filter(|c| *c != '\r' && *c != '\n')
                .collect();
            out.push_str(&h.name);
            out.push_str(": ");
            out.push_str(&value);
            out.push_str("\r\n");
        }
        out.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// Where the headers end: (length of the head without the empty line,
/// offset of the body).
fn find_head_end(b: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\n' {
            if b.get(i + 1) == Some(&b'\n') {
                return Some((i + 1, i + 2));
            }
            if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                return Some((i + 1, i + 3));
            }
        }
        i += 1;
    }
    None
}

// CSeq = 1*DIGIT LWS Method
fn parse_cseq(v: &str) -> Option<(u32, Method)> {
    let (n, m) = v.trim().split_once([' ', '\t'])?;
    let n: u32 = n.parse().ok()?;
    let m = m.trim();
    token(m).ok().filter(|(rest, _)| rest.is_empty())?;
    Some((n, Method::from_token(m)))
}

/// Splits a header value at the commas that separate list elements (not
/// those inside quotes or angle brackets).
pub fn split_list(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut quoted, mut angle, mut escaped) = (false, false, false);
    let mut cur = String::new();
    for c in v.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                if !cur.trim().is_empty() {
                    out.push(cur.trim().to_string());
                }
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// A parameter list (`;name=value;flag`), in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params(pub Vec<(String, Option<String>)>);

impl Params {
    /// The value of `name` (`Some(None)` for a flag).
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }

    fn render(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| match v {
                Some(v) => format!(";{n}={v}"),
                None => format!(";{n}"),
            })
            .collect()
    }
}

// generic-param = token [ EQUAL gen-value ]
// gen-value     = token / host / quoted-string
fn generic_param(i: &str) -> Res<'_, (String, Option<String>)> {
    let (i, _) = take_while(|c| c == ' ' || c == '\t').parse(i)?;
    let (i, name) = token(i)?;
    let (i, value) = opt(preceded(
        delimited(
            take_while(|c| c == ' ' || c == '\t'),
            char('='),
            take_while(|c| c == ' ' || c == '\t'),
        ),
        alt((
            recognize(delimited(char('"'), take_while(|c| c != '"'), char('"'))),
            take_while1(|c: char| !";,?> \t".contains(c)),
        )),
    ))
    .parse(i)?;
    Ok((i, (name.to_string(), value.map(str::to_string))))
}

// params = *( SEMI generic-param )
fn params(i: &str) -> Res<'_, Params> {
    map(
        many0(preceded(
            (take_while(|c| c == ' ' || c == '\t'), char(';')),
            generic_param,
        )),
        Params,
    )
    .parse(i)
}

/// A From, To, Contact, Route or Record-Route value: a URI, an optional
/// display name, and the header's parameters (`tag`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameAddr {
    /// Display name, as sent (quotes included).
    pub display: Option<String>,
    /// The URI.
    pub uri: String,
    /// Whether it was written in angle brackets.
    pub angled: bool,
    /// Header parameters after the URI.
    pub params: Params,
}

impl NameAddr {
    // from-spec  = ( name-addr / addr-spec ) *( SEMI from-param )
    // name-addr  = [ display-name ] LAQUOT addr-spec RAQUOT
    // display-name = *(token LWS) / quoted-string
    /// Parses a value.
    pub fn parse(v: &str) -> Result<Self, ParseError> {
        let v = v.trim();
        let bad = || {
            err(format!(
                "{:?} is not a SIP address",
                v.chars().take(80).collect::<String>()
            ))
        };
        if let Some(lt) = find_unquoted(v, '<') {
            let gt = v[lt..].find('>').map(|n| n + lt).ok_or_else(bad)?;
            let display = v[..lt].trim();
            let uri = v[lt + 1..gt].trim();
            let (rest, params) = params(&v[gt + 1..]).map_err(|_| bad())?;
            if !rest.trim().is_empty() || uri.is_empty() {
                return Err(bad());
            }
            return Ok(NameAddr {
                display: (!display.is_empty()).then(|| display.to_string()),
                uri: uri.to_string(),
                angled: true,
                params,
            });
        }
        // addr-spec without brackets: parameters belong to the header.
        let (uri, rest) = match v.find(';') {
            Some(n) => (&v[..n], &v[n..]),
            None => (v, ""),
        };
        let (rest, params) = params(rest).map_err(|_| bad())?;
        if !rest.trim().is_empty() || uri.is_empty() || uri.contains(char::is_whitespace) {
            return Err(bad());
        }
        Ok(NameAddr {
            display: None,
            uri: uri.to_string(),
            angled: false,
            params,
        })
    }

    /// The `tag` parameter.
    pub fn tag(&self) -> Option<&str> {
        self.params.get("tag").flatten()
    }

    /// The value with `tag` set to `tag`.
    pub fn with_tag(&self, tag: &str) -> String {
        let mut p = self.params.clone();
        p.0.retain(|(n, _)| !n.eq_ignore_ascii_case("tag"));
        p.0.push(("tag".into(), Some(tag.into())));
        let display = self
            .display
            .as_deref()
            .map(|d| format!("{d} "))
            .unwrap_or_default();
        format!("{display}<{}>{}", self.uri, p.render())
    }
}

fn find_unquoted(s: &str, target: char) -> Option<usize> {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c == target && !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// A Via value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Via {
    /// `UDP`, `TCP`, ...
    pub transport: String,
    /// The sent-by host.
    pub host: String,
    /// The sent-by port.
    pub port: Option<u16>,
    /// Its parameters (`branch`, `rport`, `received`).
    pub params: Params,
}

// via-parm      = sent-protocol LWS sent-by *( SEMI via-params )
// sent-protocol = protocol-name SLASH protocol-version SLASH transport
// sent-by       = host [ COLON port ]
fn via_parm(i: &str) -> Res<'_, Via> {
    let (i, _) = (token, char('/'), token, char('/')).parse(i)?;
    let (i, transport) = token(i)?;
    let (i, _) = take_while1(|c| c == ' ' || c == '\t').parse(i)?;
    let (i, host) = alt((
        recognize(delimited(char('['), take_while1(|c| c != ']'), char(']'))),
        take_while1(|c: char| c.is_ascii_alphanumeric() || ".-_".contains(c)),
    ))
    .parse(i)?;
    let (i, port) = opt(preceded(char(':'), map_res(digit1, str::parse::<u16>))).parse(i)?;
    let (i, params) = params(i)?;
    Ok((
        i,
        Via {
            transport: transport.to_ascii_uppercase(),
            host: host.to_string(),
            port,
            params,
        },
    ))
}

impl Via {
    /// Parses one Via value.
    pub fn parse(v: &str) -> Result<Self, ParseError> {
        match via_parm(v.trim()) {
            Ok((rest, via)) if rest.trim().is_empty() => Ok(via),
            _ => Err(err(format!(
                "Via {:?} is not \"SIP/2.0/UDP host:port;branch=...\"",
                v.chars().take(80).collect::<String>()
            ))),
        }
    }

    /// The branch parameter.
    pub fn branch(&self) -> Option<&str> {
        self.params.get("branch").flatten()
    }

    /// The value, with `received` and `rport` filled in for a request that
    /// came from `source` (§18.2.1, RFC 3581).
    pub fn stamped(&self, source: SocketAddr) -> String {
        let mut p = self.params.clone();
        let rport = p.get("rport").is_some();
        p.0.retain(|(n, _)| {
            !(n.eq_ignore_ascii_case("received") || rport && n.eq_ignore_ascii_case("rport"))
        });
        if rport {
            p.0.push(("rport".into(), Some(source.port().to_string())));
        }
        let sent_by_ip = self
            .host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
            .ok();
        if rport || sent_by_ip != Some(source.ip()) {
            p.0.push(("received".into(), Some(source.ip().to_string())));
        }
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        format!(
            "SIP/2.0/{} {}{port}{}",
            self.transport,
            self.host,
            p.render()
        )
    }
}

/// A `sip:` URI's host and port, when the host is an IP address (the line
/// resolves no names: it is told addresses).
pub fn uri_socket(uri: &str) -> Option<SocketAddr> {
    let rest = uri
        .strip_prefix("sip:")
        .or_else(|| uri.strip_prefix("SIP:"))?;
    let rest = rest.split(['?', ';']).next()?;
    let hostport = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
    let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
        let (h, after) = h.split_once(']')?;
        (h, after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    let ip: IpAddr = host.parse().ok()?;
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => 5060,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = "INVITE sip:ivr@127.0.0.1:5080 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc;rport\r\n\
Max-Forwards: 70\r\n\
To: <sip:ivr@127.0.0.1:5080>\r\n\
From: \"Tester, A\" <sip:tester@127.0.0.1:5070>;tag=xyz\r\n\
Call-ID: 1234@host\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:tester@127.0.0.1:5070;transport=udp>\r\n\
Record-Route: <sip:p1@10.0.0.1;lr>, <sip:p2@10.0.0.2;lr>\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\
\r\n\
v=0\r";

    #[test]
    fn an_invite_reads_with_its_headers_and_body() {
        let m = Message::parse(INVITE.as_bytes()).unwrap();
        assert_eq!(
            m.start,
            StartLine::Request {
                method: Method::Invite,
                uri: "sip:ivr@127.0.0.1:5080".into()
            }
        );
        assert_eq!(m.cseq().unwrap(), (1, Method::Invite));
        assert_eq!(m.call_id().unwrap(), "1234@host");
        let from = m.from().unwrap();
        assert_eq!(from.tag(), Some("xyz"));
        assert_eq!(from.display.as_deref(), Some("\"Tester, A\""));
        assert_eq!(m.to().unwrap().tag(), None);
        assert_eq!(m.values("Record-Route").len(), 2);
        assert_eq!(m.body, b"v=0\r");
        let via = m.top_via().unwrap();
        assert_eq!((via.host.as_str(), via.port), ("127.0.0.1", Some(5070)));
        assert_eq!(via.branch(), Some("z9hG4bKabc"));
    }

    #[test]
    fn compact_names_folding_and_bare_line_feeds_are_read() {
        let text = "OPTIONS sip:x@127.0.0.1 SIP/2.0\nv: SIP/2.0/UDP 127.0.0.1:5070\n ;branch=z9hG4bK1\ni: abc\nf: <sip:a@b>;tag=1\nt: sip:x@127.0.0.1\nCSeq: 7 OPTIONS\nl: 0\n\n";
        let m = Message::parse(text.as_bytes()).unwrap();
        assert_eq!(m.call_id().unwrap(), "abc");
        assert_eq!(m.top_via().unwrap().branch(), Some("z9hG4bK1"));
        assert_eq!(m.to().unwrap().uri, "sip:x@127.0.0.1");
    }

    #[test]
    fn a_folded_header_with_an_empty_first_line_serialized_with_a_leading_space() {
        // Found by the fuzzer: the value read back differed by that space.
        let text = "BYE sip:x SIP/2.0\r\nX-Thing:\r\n <sip:a@b>\r\nContent-Length: 0\r\n\r\n";
        let m = Message::parse(text.as_bytes()).unwrap();
        assert_eq!(m.header("X-Thing"), Some("<sip:a@b>"));
        assert_eq!(Message::parse(&m.to_bytes()).unwrap(), m);
    }

    #[test]
    fn a_response_round_trips_through_bytes() {
        let mut m = Message::parse(INVITE.as_bytes()).unwrap();
        m.start = StartLine::Response {
            code: 200,
            reason: "OK".into(),
        };
        let again = Message::parse(&m.to_bytes()).unwrap();
        assert_eq!(again, m);
        assert_eq!(again.method(), Some(Method::Invite));
    }

    #[test]
    fn bad_messages_say_what_is_wrong() {
        for (text, what) in [
            ("INVITE sip:x SIP/2.0\r\nVia: x\r\n", "no empty line"),
            ("HELLO\r\n\r\n", "line 1"),
            ("SIP/2.0 999 Odd\r\n\r\n", "outside 100-699"),
            ("INVITE sip:x SIP/2.0\r\nno colon here\r\n\r\n", "line 2"),
            (
                "INVITE sip:x SIP/2.0\r\nContent-Length: 10\r\n\r\nabc",
                "only 3 bytes",
            ),
            (
                "INVITE sip:x SIP/2.0\r\nContent-Length: x\r\n\r\n",
                "not a number",
            ),
        ] {
            let e = Message::parse(text.as_bytes()).unwrap_err();
            assert!(e.0.contains(what), "{text:?}: {e}");
        }
        assert!(Message::parse(&[0xff, b'\n', b'\n']).is_err());
    }

    #[test]
    fn via_is_stamped_with_the_source_for_rport() {
        let v = Via::parse("SIP/2.0/UDP 10.1.1.1:5070;branch=z9hG4bK9;rport").unwrap();
        let s = v.stamped("127.0.0.1:40000".parse().unwrap());
        assert_eq!(
            s,
            "SIP/2.0/UDP 10.1.1.1:5070;branch=z9hG4bK9;rport=40000;received=127.0.0.1"
        );
        let v = Via::parse("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK9").unwrap();
        assert_eq!(
            v.stamped("127.0.0.1:5070".parse().unwrap()),
            "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK9"
        );
    }

    #[test]
    fn uris_give_their_socket_when_the_host_is_an_address() {
        assert_eq!(
            uri_socket("sip:desk@127.0.0.1:5090;transport=udp"),
            Some("127.0.0.1:5090".parse().unwrap())
        );
        assert_eq!(
            uri_socket("sip:127.0.0.1"),
            Some("127.0.0.1:5060".parse().unwrap())
        );
        assert_eq!(
            uri_socket("sip:a@[::1]:5070"),
            Some("[::1]:5070".parse().unwrap())
        );
        assert_eq!(uri_socket("sip:desk@pbx.example"), None);
    }

    #[test]
    fn a_tag_is_added_to_a_to_header() {
        let to = NameAddr::parse("sip:ivr@127.0.0.1:5080").unwrap();
        assert_eq!(to.with_tag("t1"), "<sip:ivr@127.0.0.1:5080>;tag=t1");
    }
}
