//! The entitlement rules, one table row per rule, through a real ledger.

use actline::entitlement::rules::{Channel, Role};
use actline::entitlement::{Agreements, Catalog};
use actline::fingerprint::HardwareHash;
use actline::home::{Home, Secrets};
use actline::ids::InstallationId;
use actline::keys::{KeyKind, ProductKey};
use actline::ledger::{Activation, Ledger};
use proptest::prelude::*;

struct Desk {
    _dir: tempfile::TempDir,
    ledger: Ledger,
    secrets: Secrets,
    catalog: Catalog,
}

const TODAY: u16 = 2500;

fn staff() -> Channel {
    Channel::Staff {
        name: "alice".into(),
        role: Role::Agent,
    }
}

impl Desk {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path().join("h"));
        let secrets = home.create().unwrap();
        Ledger::create(&home.ledger_path()).unwrap();
        let mut ledger = home.open_ledger(&secrets).unwrap();
        ledger.add_staff("boss", "boss", Role::Supervisor).unwrap();
        ledger.add_staff("boss", "alice", Role::Agent).unwrap();
        let catalog = Catalog::parse(
            "samples/catalog.toml",
            include_str!("../../samples/catalog.toml"),
        )
        .unwrap();
        ledger.set_catalog(&catalog, "boss", "catalog").unwrap();
        ledger
            .set_agreements(
                &Agreements::parse("agreements", include_str!("../../samples/agreements.toml"))
                    .unwrap(),
                "boss",
                "agreements",
            )
            .unwrap();
        Desk {
            _dir: dir,
            ledger,
            secrets,
            catalog,
        }
    }

    fn key(
        &mut self,
        product: &str,
        kind: KeyKind,
        agreement: Option<&str>,
        limit: u32,
    ) -> ProductKey {
        let p = self.catalog.by_name(product).unwrap().clone();
        let s = &self.secrets;
        let rec = self
            .ledger
            .issue_key("boss", &p, kind, agreement, limit, &|k, c| {
                s.key_secret(k, c)
            })
            .unwrap();
        ProductKey::parse(&rec.key).unwrap()
    }

    fn activate_as(
        &mut self,
        key: &ProductKey,
        product: &str,
        machine: u8,
        channel: &Channel,
        caller: Option<&str>,
    ) -> Activation {
        let code = self.catalog.by_name(product).unwrap().code;
        // A site-host key is activated with a host's ID, as `client iid` makes it.
        let iid = if key.kind() == KeyKind::SiteHost {
            InstallationId::new_host(code, key, hw(machine), TODAY, &[machine])
        } else {
            InstallationId::new(code, key, hw(machine), TODAY)
        };
        self.activate_iid(&iid, channel, caller)
    }

    fn activate_iid(
        &mut self,
        iid: &InstallationId,
        channel: &Channel,
        caller: Option<&str>,
    ) -> Activation {
        let s = &self.secrets;
        let sign =
            |_: &actline::entitlement::Grant,
             _: &actline::entitlement::Product,
             _: &InstallationId| format!("cid-for-{}", s.fingerprint_salt().len());
        self.ledger
            .activate(iid, channel, caller, None, TODAY, &sign)
            .unwrap()
    }

    fn activate(&mut self, key: &ProductKey, product: &str, machine: u8) -> Activation {
        self.activate_as(key, product, machine, &staff(), None)
    }
}

/// Machine `n`: distinct in every component from machine `m != n`.
fn hw(n: u8) -> HardwareHash {
    HardwareHash::numbered(n as u64)
}

fn last(a: &Activation) -> &str {
    a.decision.trace.last().unwrap()
}

fn says(a: &Activation, needle: &str) -> bool {
    a.decision.trace.iter().any(|t| t.contains(needle))
}

#[test]
fn rule_table() {
    struct Row {
        rule: &'static str,
        run: fn(&mut Desk) -> Activation,
        granted: bool,
        says: &'static str,
    }
    let rows = [
        Row {
            rule: "agreement: the trace names the agreement, program and pool",
            run: |d| {
                let k = d.key("studio", KeyKind::Mak, Some("4711"), 5);
                d.activate(&k, "studio", 1)
            },
            granted: true,
            says: "belongs to agreement 4711 (Northwind Labs, Enterprise, pool: applications)",
        },
        Row {
            rule: "downgrade: a version-7 key activates version 6",
            run: |d| {
                let k = d.key("studio", KeyKind::Mak, None, 5);
                d.activate(&k, "studio-6", 1)
            },
            granted: true,
            says: "studio 6 is a downgrade from studio 7: allowed",
        },
        Row {
            rule: "downgrade: not to a version marked own_key",
            run: |d| {
                let k = d.key("studio", KeyKind::Mak, None, 5);
                d.activate(&k, "studio-5", 1)
            },
            granted: false,
            says: "needs its own key",
        },
        Row {
            rule: "downgrade: keys never upgrade",
            run: |d| {
                let k = d.key("studio-6", KeyKind::Mak, None, 5);
                d.activate(&k, "studio", 1)
            },
            granted: false,
            says: "keys do not upgrade",
        },
        Row {
            rule: "coverage: another family's key is refused",
            run: |d| {
                let k = d.key("notes", KeyKind::Mak, None, 5);
                d.activate(&k, "studio", 1)
            },
            granted: false,
            says: "the key is for notes 3, not studio 7",
        },
        Row {
            rule: "architecture: keys are not tied to a CPU architecture",
            run: |d| {
                let k = d.key("studio", KeyKind::Mak, None, 5);
                d.activate(&k, "studio", 1)
            },
            granted: true,
            says: "not tied to a CPU architecture",
        },
        Row {
            rule: "mak: a new machine takes a seat",
            run: |d| {
                let k = d.key("studio", KeyKind::Mak, None, 2);
                d.activate(&k, "studio", 1)
            },
            granted: true,
            says: "0 of 2 seats used: this physical machine takes seat 1",
        },
        Row {
            rule: "mak: the same machine again uses no seat",
            run: |d| {
                let k = d.key("studio", KeyKind::Mak, None, 1);
                d.activate(&k, "studio", 1);
                d.activate(&k, "studio", 1)
            },
            granted: true,
            says: "reactivation, no seat used",
        },
        Row {
            rule: "mak: all seats used is denied with the remedy",
            run: |d| {
                let k = d.key("studio", KeyKind::Mak, None, 1);
                d.activate(&k, "studio", 1);
                d.activate(&k, "studio", 2)
            },
            granted: false,
            says: "1 of 1 seats used: denied — a supervisor can raise the limit",
        },
        Row {
            rule: "retail: one machine only",
            run: |d| {
                let k = d.key("studio", KeyKind::Retail, None, 1);
                d.activate(&k, "studio", 1);
                d.activate(&k, "studio", 2)
            },
            granted: false,
            says: "staff can move it to this replacement machine",
        },
        Row {
            rule: "retail: staff move it to a replacement machine",
            run: |d| {
                let k = d.key("studio", KeyKind::Retail, None, 1);
                let a = d.activate(&k, "studio", 1);
                d.ledger
                    .release_seat("boss", a.id, "mainboard died")
                    .unwrap();
                d.activate(&k, "studio", 2)
            },
            granted: true,
            says: "0 of 1 seats used",
        },
        Row {
            rule: "setup: setup keys are not activated",
            run: |d| {
                let k = d.key("studio", KeyKind::Setup, None, 1);
                d.activate(&k, "studio", 1)
            },
            granted: false,
            says: "setup key",
        },
        Row {
            rule: "site-host: only a product in the host table may be a host",
            run: |d| {
                // Issued while vault was a host; the catalog no longer says so.
                let k = d.key("vault", KeyKind::SiteHost, None, 6);
                let mut c = d.catalog.clone();
                c.hosts.clear();
                d.ledger
                    .set_catalog(&c, "boss", "catalog without hosts")
                    .unwrap();
                d.activate(&k, "vault", 1)
            },
            granted: false,
            says: "may not act as a site activation host",
        },
        Row {
            rule: "site-host: a host product from the host table",
            run: |d| {
                let k = d.key("vault", KeyKind::SiteHost, None, 6);
                d.activate(&k, "vault", 1)
            },
            granted: true,
            says: "vault 2 may host site activation for",
        },
        Row {
            rule: "site-host: only a host installation ID (with the host's key in it)",
            run: |d| {
                let k = d.key("vault", KeyKind::SiteHost, None, 6);
                let iid = InstallationId::new(301, &k, hw(1), TODAY);
                d.activate_iid(&iid, &staff(), None)
            },
            granted: false,
            says: "activates only a host installation ID",
        },
        Row {
            rule: "mak: a host installation ID needs a site-host key",
            run: |d| {
                let k = d.key("vault", KeyKind::Mak, None, 6);
                let iid = InstallationId::new_host(301, &k, hw(1), TODAY, b"host");
                d.activate_iid(&iid, &staff(), None)
            },
            granted: false,
            says: "is activated only with a site-host key",
        },
        Row {
            rule: "site-host: at most 6 hosts",
            run: |d| {
                let k = d.key("vault", KeyKind::SiteHost, None, 6);
                for m in 1..=6 {
                    d.activate(&k, "vault", m);
                }
                d.activate(&k, "vault", 7)
            },
            granted: false,
            says: "6 of 6 hosts activated",
        },
        Row {
            rule: "site-host: each host reactivates up to 9 times",
            run: |d| {
                let k = d.key("vault", KeyKind::SiteHost, None, 6);
                for _ in 0..10 {
                    d.activate(&k, "vault", 1);
                }
                d.activate(&k, "vault", 1)
            },
            granted: false,
            says: "reactivated 9 times already",
        },
        Row {
            rule: "partner: never self-service",
            run: |d| {
                let k = d.key("studio", KeyKind::Mak, Some("9001"), 5);
                d.activate_as(&k, "studio", 1, &Channel::SelfService, None)
            },
            granted: false,
            says: "partner-program keys are never self-service",
        },
        Row {
            rule: "partner: staff may activate",
            run: |d| {
                let k = d.key("studio", KeyKind::Mak, Some("9001"), 5);
                d.activate(&k, "studio", 1)
            },
            granted: true,
            says: "partner-program key activated by staff member alice",
        },
        Row {
            rule: "affiliate: may use the parent's keys",
            run: |d| {
                let k = d.key("studio", KeyKind::Mak, Some("4711"), 5);
                d.activate_as(&k, "studio", 1, &staff(), Some("4712"))
            },
            granted: true,
            says: "4712 is an affiliate of 4711",
        },
        Row {
            rule: "affiliate: an unrelated agreement may not",
            run: |d| {
                let k = d.key("studio", KeyKind::Mak, Some("4711"), 5);
                d.activate_as(&k, "studio", 1, &staff(), Some("5001"))
            },
            granted: false,
            says: "neither 4711 nor one of its affiliates",
        },
        Row {
            rule: "proof: an ID made with another key of the same serial is refused",
            run: |d| {
                let k = d.key("studio", KeyKind::Mak, None, 5);
                let forged = ProductKey::issue(b"not the vendor", KeyKind::Mak, k.serial());
                d.activate(&forged, "studio", 1)
            },
            granted: false,
            says: "was not made with that key",
        },
    ];
    for row in rows {
        let mut d = Desk::new();
        let a = (row.run)(&mut d);
        assert_eq!(
            a.decision.outcome.is_ok(),
            row.granted,
            "rule {:?}: {:#?}",
            row.rule,
            a.decision.trace
        );
        assert!(
            says(&a, row.says),
            "rule {:?}: expected {:?} in {:#?}",
            row.rule,
            row.says,
            a.decision.trace
        );
        if !row.granted {
            assert!(
                last(&a).contains("denied — "),
                "rule {:?}: denials say what would make them succeed",
                row.rule
            );
        }
    }
}

#[test]
fn rule_roles_only_supervisors_raise_limits_move_seats_and_issue_partner_keys() {
    let mut d = Desk::new();
    let k = d.key("studio", KeyKind::Mak, None, 1);
    let a = d.activate(&k, "studio", 1);
    assert!(d.ledger.set_limit("alice", k.serial(), 5, "more").is_err());
    assert!(d.ledger.release_seat("alice", a.id, "moved").is_err());
    let p = d.catalog.by_name("studio").unwrap().clone();
    let s = &d.secrets;
    assert!(d
        .ledger
        .issue_key("alice", &p, KeyKind::Mak, Some("9001"), 1, &|k, c| s
            .key_secret(k, c))
        .is_err());
    assert!(d
        .ledger
        .set_limit("boss", k.serial(), 5, "customer bought more")
        .is_ok());
    let actions: Vec<String> = d
        .ledger
        .audit_entries()
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(actions.contains(&"key.limit".to_string()));
    assert!(d.ledger.verify_audit().is_ok());
}

#[derive(Debug, Clone)]
enum Op {
    Activate(u8),
    Release(usize),
    Limit(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![4 => (0u8..12).prop_map(Op::Activate), 1 => (0usize..20).prop_map(Op::Release), 1 => (0u32..8).prop_map(Op::Limit)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn no_sequence_of_operations_exceeds_a_keys_limit(ops in proptest::collection::vec(op(), 1..40)) {
        let mut d = Desk::new();
        let k = d.key("studio", KeyKind::Mak, None, 3);
        let mut granted_ids = Vec::new();
        for o in ops {
            match o {
                Op::Activate(m) => {
                    let a = d.activate(&k, "studio", m);
                    if a.decision.outcome.as_ref().is_ok_and(|g| g.new_seat) {
                        granted_ids.push(a.id);
                    }
                }
                Op::Release(i) => {
                    if let Some(id) = granted_ids.get(i) {
                        let _ = d.ledger.release_seat("boss", *id, "replaced");
                    }
                }
                Op::Limit(n) => {
                    let _ = d.ledger.set_limit("boss", k.serial(), n, "changed");
                }
            }
            let u = d.ledger.key_usage(k.serial()).unwrap().unwrap();
            prop_assert!(u.used <= u.key.limit, "{} used of {}", u.used, u.key.limit);
        }
    }
}

#[test]
fn lookup_finds_keys_by_any_part_of_the_key_or_serial_even_without_an_agreement() {
    let mut d = Desk::new();
    let direct = d.key("studio", KeyKind::Mak, None, 5);
    let other = d.key("notes", KeyKind::Mak, Some("4711"), 5);
    let text = direct.to_string();
    for fragment in [
        &text[6..11],
        &text[6..14].to_lowercase(),
        &direct.serial().to_string()[..4],
    ] {
        let found: Vec<u64> = d
            .ledger
            .find_keys(fragment, 50)
            .unwrap()
            .iter()
            .map(|u| u.key.serial)
            .collect();
        assert!(
            found.contains(&direct.serial()),
            "{fragment:?} finds the key"
        );
    }
    let found: Vec<u64> = d
        .ledger
        .find_keys("%", 50)
        .unwrap()
        .iter()
        .map(|u| u.key.serial)
        .collect();
    assert!(
        !found.contains(&other.serial()),
        "LIKE wildcards are literal"
    );
}

#[test]
fn rule_key_kinds_bound_their_limits_at_issue() {
    let mut d = Desk::new();
    let s = &d.secrets;
    let studio = d.catalog.by_name("studio").unwrap().clone();
    let vault = d.catalog.by_name("vault").unwrap().clone();
    let issue = |l: &mut Ledger, p: &actline::entitlement::Product, kind, limit| {
        l.issue_key("boss", p, kind, None, limit, &|k, c| s.key_secret(k, c))
    };
    assert!(
        issue(&mut d.ledger, &studio, KeyKind::SiteHost, 6).is_err(),
        "studio is not a host product"
    );
    assert!(
        issue(&mut d.ledger, &vault, KeyKind::SiteHost, 7).is_err(),
        "at most 6 hosts"
    );
    assert!(
        issue(&mut d.ledger, &studio, KeyKind::Retail, 5).is_err(),
        "retail is one machine"
    );
    let host = issue(&mut d.ledger, &vault, KeyKind::SiteHost, 6).unwrap();
    assert!(
        d.ledger
            .set_limit("boss", host.serial, 100, "more")
            .is_err(),
        "no raising past 6 hosts"
    );
}

#[test]
fn rule_a_revoked_key_activates_nothing_more_and_only_supervisors_revoke() {
    let mut d = Desk::new();
    let k = d.key("studio", KeyKind::Mak, None, 5);
    assert!(d.activate(&k, "studio", 1).decision.outcome.is_ok());
    assert!(
        d.ledger.revoke_key("alice", k.serial(), "leaked").is_err(),
        "agents cannot revoke"
    );
    d.ledger
        .revoke_key("boss", k.serial(), "posted on a forum")
        .unwrap();
    let a = d.activate(&k, "studio", 2);
    assert!(says(&a, "is revoked: denied"), "{:#?}", a.decision.trace);
    assert!(d
        .ledger
        .audit_entries()
        .unwrap()
        .iter()
        .any(|e| e.action == "key.revoke" && e.detail == "posted on a forum"));
}
