//! The requests the desk and a vendor's scripts look things up with, on a
//! demo home, as its supervisor.

use super::*;
use crate::entitlement::rules::Role;

struct Demo {
    _dir: tempfile::TempDir,
    service: Service,
}

const ME: &str = "sup";

impl Demo {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path().join("vendor"));
        drop(home.init(ME, true).unwrap());
        let service = Service::open(home).unwrap();
        Demo { _dir: dir, service }
    }

    fn ask(&self, request: Request) -> Result<Reply, ApiError> {
        self.service.handle(ME, &request, None)
    }

    fn issue(&self, agreement: Option<&str>, reason: Option<&str>) -> KeyRecord {
        match self.ask(Request::KeyIssue {
            product: "studio".into(),
            kind: KeyKind::Mak,
            activations: Some(3),
            agreement: agreement.map(str::to_string),
            reason: reason.map(str::to_string),
        }) {
            Ok(Reply::Key(k)) => k,
            other => panic!("{other:?}"),
        }
    }

    fn search(&self, query: &str, limit: Option<usize>) -> Vec<u64> {
        match self.ask(Request::KeySearch {
            product: None,
            query: query.into(),
            limit,
        }) {
            Ok(Reply::Keys(k)) => k.keys.iter().map(|u| u.key.serial).collect(),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn key_search_finds_by_whole_key_serial_fragment_and_customer_each_key_once() {
    let d = Demo::new();
    let a = d.issue(Some("4711"), None);
    let b = d.issue(Some("5001"), None);
    let c = d.issue(None, None);
    assert_eq!(d.search(&a.key, None), vec![a.serial]);
    assert_eq!(d.search(&b.serial.to_string(), None), vec![b.serial]);
    let fragment = &c.key.replace('-', "")[5..10].to_lowercase();
    assert!(d.search(fragment, None).contains(&c.serial), "{fragment}");
    // A customer's name, any case: that agreement's keys (and its
    // affiliate's: "Northwind" names both 4711 and 4712).
    assert_eq!(d.search("northwind", None), vec![a.serial]);
    assert_eq!(d.search("CONTOSO", None), vec![b.serial]);
    // Nothing typed: every key (oldest first; those of one second by serial).
    let mut every = d.search("  ", None);
    every.sort();
    let mut want = vec![a.serial, b.serial, c.serial];
    want.sort();
    assert_eq!(every, want);
    assert!(d.search("no such customer", None).is_empty());
    assert_eq!(d.search("4711", Some(0)), Vec::<u64>::new());
}

#[test]
fn key_search_keeps_only_the_products_keys_when_one_is_named() {
    let d = Demo::new();
    let studio = d.issue(Some("4711"), None);
    let Ok(Reply::Key(vault)) = d.ask(Request::KeyIssue {
        product: "vault".into(),
        kind: KeyKind::Mak,
        activations: Some(2),
        agreement: None,
        reason: None,
    }) else {
        panic!()
    };
    let of = |product: &str, query: &str| match d.ask(Request::KeySearch {
        query: query.into(),
        product: Some(product.into()),
        limit: None,
    }) {
        Ok(Reply::Keys(k)) => k.keys.iter().map(|u| u.key.serial).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(of("vault", ""), vec![vault.serial]);
    assert_eq!(of("studio", ""), vec![studio.serial]);
    assert!(
        of("vault", "northwind").is_empty(),
        "Northwind's key is a studio key"
    );
    let e = d
        .ask(Request::KeySearch {
            query: String::new(),
            product: Some("nothing".into()),
            limit: None,
        })
        .unwrap_err();
    assert!(e.message.contains("not in the catalog"), "{e}");
}

#[test]
fn audit_show_since_keeps_that_day_on_and_refuses_a_bad_day() {
    let d = Demo::new();
    d.issue(None, None);
    let show = |since: &str| {
        d.ask(Request::AuditShow {
            filter: None,
            since: Some(since.into()),
            limit: None,
        })
    };
    let Ok(Reply::Audit(all)) = show("2000-01-01") else {
        panic!()
    };
    assert!(!all.entries.is_empty());
    let Ok(Reply::Audit(none)) = show("2999-01-01") else {
        panic!()
    };
    assert!(none.entries.is_empty());
    assert!(show("yesterday")
        .unwrap_err()
        .message
        .contains("YYYY-MM-DD"));
}

#[test]
fn a_key_is_named_by_its_serial_wherever_a_key_is() {
    let d = Demo::new();
    let k = d.issue(None, None);
    let serial = k.serial.to_string();
    match d.ask(Request::KeyShow {
        key: serial.clone(),
    }) {
        Ok(Reply::KeyDetail(x)) => assert_eq!(x.key.key, k.key),
        other => panic!("{other:?}"),
    }
    match d.ask(Request::KeyLimit {
        key: serial,
        limit: 5,
        reason: "bought two more".into(),
    }) {
        Ok(Reply::Key(x)) => assert_eq!(x.limit, 5),
        other => panic!("{other:?}"),
    }
    let e = d
        .ask(Request::KeyShow {
            key: "12345".into(),
        })
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e}");
    let e = d
        .ask(Request::KeyShow {
            key: "99999999999999999999999".into(),
        })
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadInput, "{e}");
}

#[test]
fn a_key_issued_with_a_reason_has_it_audited_beside_the_issue_and_an_empty_one_is_refused() {
    let d = Demo::new();
    d.issue(Some("4711"), Some("order 1234"));
    let Ok(Reply::Audit(list)) = d.ask(Request::AuditShow {
        since: None,
        filter: None,
        limit: Some(2),
    }) else {
        panic!()
    };
    let actions: Vec<_> = list.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["key.issue", "key.issue.reason"]);
    assert_eq!(list.entries[1].detail, "order 1234");
    let e = d
        .ask(Request::KeyIssue {
            product: "studio".into(),
            kind: KeyKind::Mak,
            activations: Some(3),
            agreement: None,
            reason: Some(" ".into()),
        })
        .unwrap_err();
    assert!(e.message.contains("reason is empty"), "{e}");
}

#[test]
fn the_audit_filter_ignores_case_and_the_limit_keeps_the_newest() {
    let d = Demo::new();
    for _ in 0..3 {
        d.issue(None, Some("Refill"));
    }
    let Ok(Reply::Audit(all)) = d.ask(Request::AuditShow {
        since: None,
        filter: Some("REFILL".into()),
        limit: None,
    }) else {
        panic!()
    };
    assert_eq!(all.entries.len(), 3);
    let Ok(Reply::Audit(two)) = d.ask(Request::AuditShow {
        since: None,
        filter: Some("refill".into()),
        limit: Some(2),
    }) else {
        panic!()
    };
    assert_eq!(
        two.entries.iter().map(|e| e.id).collect::<Vec<_>>(),
        all.entries[1..].iter().map(|e| e.id).collect::<Vec<_>>()
    );
}

#[test]
fn agreement_list_gives_every_agreement_and_agents_may_ask_it() {
    let d = Demo::new();
    d.ask(Request::StaffAdd {
        name: "ann".into(),
        role: Role::Agent,
    })
    .unwrap();
    let Ok(Reply::Agreements(list)) = d.service.handle("ann", &Request::AgreementList, None) else {
        panic!()
    };
    assert!(list.agreements.iter().any(|a| a.id == "4711"));
    let e = d
        .service
        .handle("nobody", &Request::AgreementList, None)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Forbidden);
}
