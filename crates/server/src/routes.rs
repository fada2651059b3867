//! The HTTP shape of every [`Request`]: one table, [`ROUTES`], read both
//! ways. [`to_http`] turns a request into a method, a path and a JSON body
//! (the client's side); [`from_http`] turns them back (the service's side).
//! `crates/server/openapi.json` describes the same table, and a test checks
//! that the two agree.
//!
//! A route's template names the request's fields that travel in the path
//! (`{key}`, `{id:int}`) or, for reads, in the query (`?filter`,
//! `&machines:int`, `&waiting_only:bool`); every other field is in the JSON
//! body. The request's `op` is the route's; it never travels.

use actline_engine::service::{ApiError, ErrorKind, Request};
use serde_json::{Map, Value};

/// One route: method, template, and the request's `op`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: &'static str,
    /// Path template, with an optional query part.
    pub template: &'static str,
    /// The [`Request`] variant's tag.
    pub op: &'static str,
}

const fn r(method: &'static str, template: &'static str, op: &'static str) -> Route {
    Route {
        method,
        template,
        op,
    }
}

/// Every route of API version 1.
pub const ROUTES: &[Route] = &[
    r("GET", "/v1/health", "health"),
    r("GET", "/v1/whoami", "whoami"),
    r("POST", "/v1/activations", "activate"),
    r("POST", "/v1/batches", "batch"),
    r("GET", "/v1/activations/{id:int}", "activation_show"),
    r(
        "POST",
        "/v1/activations/{id:int}/release",
        "activation_release",
    ),
    r("POST", "/v1/keys", "key_issue"),
    r("GET", "/v1/keys?query&product&limit:int", "key_search"),
    r("GET", "/v1/keys/{key}", "key_show"),
    r("POST", "/v1/keys/{key}/limit", "key_limit"),
    r("POST", "/v1/keys/{key}/revoke", "key_revoke"),
    r("GET", "/v1/catalog", "catalog_show"),
    r("PUT", "/v1/catalog", "catalog_load"),
    r("GET", "/v1/agreements", "agreement_list"),
    r("GET", "/v1/agreements/{id}", "agreement_show"),
    r("PUT", "/v1/agreements", "agreements_load"),
    r("GET", "/v1/staff", "staff_list"),
    r("PUT", "/v1/staff/{name}", "staff_add"),
    r("DELETE", "/v1/staff/{name}", "staff_remove"),
    r("POST", "/v1/staff/{name}/token", "staff_token"),
    r("DELETE", "/v1/staff/{name}/token", "staff_revoke_token"),
    r("GET", "/v1/trust/{product}", "trust_export"),
    r("GET", "/v1/audit/verify", "audit_verify"),
    r("GET", "/v1/audit?filter&since&limit:int", "audit_show"),
    r("GET", "/v1/reports/activations?since&until", "report"),
    r("GET", "/v1/advice?product&machines:int", "advise"),
    r("GET", "/v1/handovers?waiting_only:bool", "handovers"),
    r("POST", "/v1/handovers", "hand_over"),
    r("POST", "/v1/handovers/{id:int}/take", "handover_take"),
    r("POST", "/v1/handovers/{id:int}/keep", "handover_keep"),
    r("POST", "/v1/handovers/{id:int}/release", "handover_release"),
    r("POST", "/v1/handovers/{id:int}/end", "handover_end"),
];

/// The type a path or query field is read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Int,
    Bool,
}

/// `name` or `name:int` / `name:bool`.
fn field(spec: &str) -> (&str, Kind) {
    match spec.split_once(':') {
        Some((n, "int")) => (n, Kind::Int),
        Some((n, "bool")) => (n, Kind::Bool),
        _ => (spec, Kind::Text),
    }
}

impl Route {
    /// The path part of the template, split into segments.
    fn segments(&self) -> impl Iterator<Item = &'static str> {
        let path = self.template.split('?').next().unwrap_or("");
        path.split('/').filter(|s| !s.is_empty())
    }

    /// The query fields.
    fn query(&self) -> impl Iterator<Item = (&'static str, Kind)> {
        self.template
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or("")
            .split('&')
            .filter(|s| !s.is_empty())
            .map(field)
    }

    /// The path template without the query, as OpenAPI writes it
    /// (`/v1/keys/{key}`).
    pub fn openapi_path(&self) -> String {
        let mut out = String::new();
        for s in self.segments() {
            out.push('/');
            match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(p) => {
                    out.push('{');
                    out.push_str(field(p).0);
                    out.push('}');
                }
                None => out.push_str(s),
            }
        }
        out
    }

    /// The names of the query fields.
    pub fn query_fields(&self) -> Vec<&'static str> {
        self.query().map(|(n, _)| n).collect()
    }
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad(message)
}

/// A request as an HTTP method, a path with its query, and a JSON body
/// (`None` for reads).
pub fn to_http(request: &Request) -> (&'static str, String, Option<Vec<u8>>) {
    let mut fields = match serde_json::to_value(request) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let op = match fields.remove("op") {
        Some(Value::String(s)) => s,
        _ => String::new(),
    };
    let Some(route) = ROUTES.iter().find(|r| r.op == op) else {
        // Every variant has a route (tested); this is unreachable in practice.
        return ("GET", "/v1/unknown".into(), None);
    };
    let mut path = String::new();
    for s in route.segments() {
        path.push('/');
        match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(p) => {
                let v = fields.remove(field(p).0).unwrap_or(Value::Null);
                path.push_str(&encode(&scalar(&v)));
            }
            None => path.push_str(s),
        }
    }
    let mut sep = '?';
    for (name, _) in route.query() {
        if let Some(v) = fields.remove(name) {
            if v.is_null() {
                continue;
            }
            path.push(sep);
            sep = '&';
            path.push_str(name);
            path.push('=');
            path.push_str(&encode(&scalar(&v)));
        }
    }
    let body = (route.method != "GET")
        .then(|| serde_json::to_vec(&Value::Object(fields)).unwrap_or_else(|_| b"{}".to_vec()));
    (route.method, path, body)
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The request for `method` on `target` (path and query) with `body`, or
/// the error naming what was wrong: an unknown route (not found), a known
/// path with another method, a malformed parameter or body.
pub fn from_http(method: &str, target: &str, body: &[u8]) -> Result<Request, ApiError> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut path_known = false;
    for route in ROUTES {
        let Some(mut fields) = match_path(route, &segments)? else {
            continue;
        };
        path_known = true;
        if route.method != method {
            continue;
        }
        for pair in query.split('&').filter(|s| !s.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let Some((name, kind)) = route.query().find(|(n, _)| *n == k) else {
                return Err(bad(format!("{path}: unknown query parameter {k:?}")));
            };
            fields.insert(name.to_string(), typed(name, &decode(v)?, kind)?);
        }
        if method != "GET" {
            let parsed: Value = if body.iter().all(u8::is_ascii_whitespace) {
                Value::Object(Map::new())
            } else {
                serde_json::from_slice(body)
                    .map_err(|e| bad(format!("{method} {path}: the body is not JSON: {e}")))?
            };
            let Value::Object(b) = parsed else {
                return Err(bad(format!(
                    "{method} {path}: the body must be a JSON object"
                )));
            };
            for (k, v) in b {
                if k == "op" || fields.contains_key(&k) {
                    return Err(bad(format!(
                        "{method} {path}: {k:?} cannot be given in the body"
                    )));
                }
                fields.insert(k, v);
            }
        } else if !body.is_empty() {
            return Err(bad(format!("GET {path} takes no body")));
        }
        fields.insert("op".into(), Value::String(route.op.into()));
        return serde_json::from_value(Value::Object(fields))
            .map_err(|e| bad(format!("{method} {path}: {e}")));
    }
    Err(if path_known {
        ApiError::new(
            ErrorKind::BadInput,
            format!("{path} does not take {method}"),
        )
    } else {
        ApiError::new(ErrorKind::NotFound, format!("no route {path}"))
    })
}

/// The path fields when `segments` match the route's path.
fn match_path(route: &Route, segments: &[&str]) -> Result<Option<Map<String, Value>>, ApiError> {
    let template: Vec<&str> = route.segments().collect();
    if template.len() != segments.len() {
        return Ok(None);
    }
    let mut fields = Map::new();
    for (t, s) in template.iter().zip(segments) {
        match t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            Some(p) => {
                let (name, kind) = field(p);
                // A literal elsewhere wins: /v1/audit/verify is not a path
                // parameter of another route.
                fields.insert(name.to_string(), typed(name, &decode(s)?, kind)?);
            }
            None if t == s => {}
            None => return Ok(None),
        }
    }
    Ok(Some(fields))
}

fn typed(name: &str, text: &str, kind: Kind) -> Result<Value, ApiError> {
    Ok(match kind {
        Kind::Text => Value::String(text.to_string()),
        Kind::Int => Value::from(
            text.parse::<i64>()
                .map_err(|_| bad(format!("{name} must be a number, not {text:?}")))?,
        ),
        Kind::Bool => Value::Bool(match text {
            "true" | "1" | "" => true,
            "false" | "0" => false,
            _ => return Err(bad(format!("{name} must be true or false, not {text:?}"))),
        }),
    })
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decodes; the result must be UTF-8.
pub fn decode(s: &str) -> Result<String, ApiError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| bad(format!("bad percent-escape in {s:?}")))?;
                out.push(hex);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| bad(format!("{s:?} is not UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actline_engine::entitlement::rules::Role;
    use actline_engine::keys::KeyKind;
    use actline_engine::service::BatchLine;

    /// One request of every variant.
    pub(crate) fn every_request() -> Vec<Request> {
        use Request::*;
        vec![
            Health,
            Whoami,
            Activate {
                installation_id: "1234567-1234567".into(),
                agreement: Some("4711".into()),
                label: None,
                self_service: true,
            },
            Activate {
                installation_id: "1".into(),
                agreement: None,
                label: None,
                self_service: false,
            },
            Batch {
                items: vec![BatchLine {
                    label: Some("lab, 3".into()),
                    installation_id: "x".into(),
                }],
            },
            ActivationShow { id: 7 },
            ActivationRelease {
                id: 7,
                reason: "replaced".into(),
            },
            KeyIssue {
                product: "studio".into(),
                kind: KeyKind::SiteHost,
                activations: Some(3),
                agreement: None,
                reason: Some("order 1234 & more".into()),
            },
            KeyShow {
                key: "ABCDE-12345".into(),
            },
            KeySearch {
                product: Some("studio".into()),
                query: "north wind/&?".into(),
                limit: Some(20),
            },
            KeySearch {
                product: None,
                query: "7QX".into(),
                limit: None,
            },
            KeyLimit {
                key: "K".into(),
                limit: 9,
                reason: "r".into(),
            },
            KeyRevoke {
                key: "K".into(),
                reason: "leak".into(),
            },
            CatalogShow,
            CatalogLoad {
                source: "c.toml".into(),
                text: "[x]".into(),
            },
            AgreementShow { id: "4711".into() },
            AgreementList,
            AgreementsLoad {
                source: "a.toml".into(),
                text: "".into(),
            },
            StaffList,
            StaffAdd {
                name: "o'brien /x?".into(),
                role: Role::Agent,
            },
            StaffToken {
                name: "carol".into(),
            },
            StaffRemove {
                name: "dave smith".into(),
            },
            StaffRevokeToken {
                name: "carol".into(),
            },
            TrustExport {
                product: "studio".into(),
            },
            AuditVerify,
            AuditShow {
                since: Some("2026-12-01".into()),
                filter: Some("key limit&x=1".into()),
                limit: Some(5),
            },
            AuditShow {
                since: None,
                filter: None,
                limit: None,
            },
            Report {
                since: Some("2026-11-01".into()),
                until: None,
            },
            Report {
                since: None,
                until: None,
            },
            Advise {
                product: "studio".into(),
                machines: 40,
            },
            Handovers { waiting_only: true },
            Handovers {
                waiting_only: false,
            },
            HandoverTake { id: 3 },
            HandoverKeep { id: 3 },
            HandoverRelease { id: 3 },
            HandoverEnd {
                id: 3,
                dismissed: Some("the caller hung up".into()),
            },
            HandoverEnd {
                id: 4,
                dismissed: None,
            },
            HandOver {
                call: "call-7".into(),
                reason: "caller asked for an agent".into(),
                groups: vec!["1234567".into()],
                installation_id: None,
                reasons: vec![],
            },
        ]
    }

    #[test]
    fn every_request_survives_the_trip_through_http() {
        for req in every_request() {
            let (method, target, body) = to_http(&req);
            let back = from_http(method, &target, body.as_deref().unwrap_or_default())
                .unwrap_or_else(|e| panic!("{req:?} as {method} {target}: {e}"));
            assert_eq!(back, req, "{method} {target}");
        }
    }

    #[test]
    fn every_route_names_a_request_and_each_op_has_one_route() {
        let ops: Vec<&str> = every_request()
            .iter()
            .map(|r| {
                let v = serde_json::to_value(r).unwrap();
                let op = v["op"].as_str().unwrap().to_string();
                ROUTES.iter().find(|x| x.op == op).unwrap().op
            })
            .collect();
        for route in ROUTES {
            assert!(ops.contains(&route.op), "no request for {route:?}");
            assert_eq!(ROUTES.iter().filter(|r| r.op == route.op).count(), 1);
        }
    }

    /// The committed OpenAPI description has exactly the routes of
    /// [`ROUTES`]: the same paths, methods, operation IDs, path and query
    /// parameters.
    #[test]
    fn the_openapi_description_matches_the_routes() {
        let doc: Value = serde_json::from_str(include_str!("../openapi.json")).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        let mut described = Vec::new();
        for (path, ops) in paths {
            for (method, op) in ops.as_object().unwrap() {
                let params = op["parameters"].as_array().cloned().unwrap_or_default();
                let of = |place: &str| {
                    let mut v: Vec<String> = params
                        .iter()
                        .filter(|p| p["in"] == place)
                        .map(|p| p["name"].as_str().unwrap().to_string())
                        .collect();
                    v.sort();
                    v
                };
                described.push((
                    method.to_uppercase(),
                    path.clone(),
                    op["operationId"].as_str().unwrap().to_string(),
                    of("path"),
                    of("query"),
                ));
            }
        }
        let mut routed: Vec<_> = ROUTES
            .iter()
            .map(|r| {
                let path = r.openapi_path();
                let mut in_path: Vec<String> = path
                    .split('/')
                    .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                    .map(str::to_string)
                    .collect();
                in_path.sort();
                let mut q: Vec<String> = r.query_fields().iter().map(|s| s.to_string()).collect();
                q.sort();
                (r.method.to_string(), path, r.op.to_string(), in_path, q)
            })
            .collect();
        described.sort();
        routed.sort();
        assert_eq!(described, routed);
    }

    #[test]
    fn unknown_routes_wrong_methods_and_bad_parameters_are_named() {
        let e = from_http("GET", "/v1/nothing", b"").unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        let e = from_http("DELETE", "/v1/keys/ABC", b"").unwrap_err();
        assert!(e.message.contains("does not take DELETE"), "{e}");
        let e = from_http("GET", "/v1/activations/seven", b"").unwrap_err();
        assert!(e.message.contains("id must be a number"), "{e}");
        let e = from_http("POST", "/v1/activations", b"{\"installation_id\": 5}").unwrap_err();
        assert!(e.message.contains("POST /v1/activations"), "{e}");
        let e = from_http("POST", "/v1/activations", b"[1]").unwrap_err();
        assert!(e.message.contains("JSON object"), "{e}");
        let e = from_http(
            "POST",
            "/v1/activations",
            b"{\"installation_id\":\"1\",\"op\":\"key_issue\"}",
        )
        .unwrap_err();
        assert!(e.message.contains("\"op\""), "{e}");
        let e = from_http("GET", "/v1/audit?nope=1", b"").unwrap_err();
        assert!(e.message.contains("unknown query parameter"), "{e}");
        let e = from_http("GET", "/v1/keys/%zz", b"").unwrap_err();
        assert!(e.message.contains("percent"), "{e}");
        let e = from_http(
            "POST",
            "/v1/activations",
            b"{\"installation_id\":\"1\",\"extra\":1}",
        )
        .unwrap_err();
        assert!(e.message.contains("extra"), "{e}");
    }
}
