//! Issue 11's figures: activations per second through the engine service,
//! over its Unix socket and over TLS on loopback, next to the same
//! activations through the service's entry point in process (direct ledger
//! access, no transport). Each activation is a new machine on a compact
//! (notes) key, committed durably, as in `benches/activation.rs`.

mod common;
use actline::home::{os_user, Home};
use actline::ids::InstallationId;
use actline::keys::{KeyKind, ProductKey};
use actline::service::{Request, Service};
use actline_server::client::{Remote, Target};
use actline_server::serve::{self, Config};
use common::hw;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

fn service(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::at(dir.path().join("h"));
    let me = os_user();
    let (secrets, mut ledger, catalog) = home.init(&me, true).unwrap();
    let p = catalog.by_name("notes").unwrap().clone();
    let keys: Vec<ProductKey> = (0..200)
        .map(|_| {
            let rec = ledger
                .issue_key(&me, &p, KeyKind::Mak, None, 1000, &|k, c| {
                    secrets.key_secret(k, c)
                })
                .unwrap();
            ProductKey::parse(&rec.key).unwrap()
        })
        .collect();
    drop(ledger);
    let n = AtomicU64::new(0);
    let next = || {
        let i = n.fetch_add(1, Ordering::Relaxed);
        let key = &keys[(i / 500) as usize % keys.len()];
        Request::Activate {
            installation_id: InstallationId::new(p.code, key, hw(i), actline::days::today())
                .to_string(),
            agreement: None,
            label: None,
            self_service: false,
        }
    };

    // The service, on a socket and TLS, in this process's background.
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_file, cert.cert.pem()).unwrap();
    std::fs::write(&key_file, cert.signing_key.serialize_pem()).unwrap();
    let socket = dir.path().join("s.sock");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = Config {
        socket: Some(socket.clone()),
        socket_mode: 0o600,
        listen: Some(([127, 0, 0, 1], port).into()),
        tls: Some((cert_file.clone(), key_file)),
        head_timeout: Duration::from_secs(10),
    };
    let served = Service::open(home.clone()).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || serve::run(served, config, move || tx.send(()).unwrap()));
    rx.recv_timeout(Duration::from_secs(10)).unwrap();

    let direct = Service::open(home.clone()).unwrap();
    let unix = Remote::new(Target::Unix(socket), None, None).unwrap();
    let token = match direct.handle(&me, &Request::StaffToken { name: me.clone() }, None) {
        Ok(actline::service::Reply::Token(t)) => t.token,
        other => panic!("{other:?}"),
    };
    let tls = Remote::new(
        Target::Https {
            host: "127.0.0.1".into(),
            port,
        },
        Some(token),
        Some(&cert_file),
    )
    .unwrap();

    let mut g = c.benchmark_group("service");
    g.throughput(Throughput::Elements(1));
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    g.bench_function("activate/direct", |b| {
        b.iter(|| direct.handle(&me, &next(), None).unwrap())
    });
    g.bench_function("activate/unix-socket", |b| {
        b.iter(|| unix.call(&next(), None).unwrap())
    });
    g.bench_function("activate/tls", |b| {
        b.iter(|| tls.call(&next(), None).unwrap())
    });
    g.bench_function("health/unix-socket", |b| {
        b.iter(|| unix.call(&Request::Health, None).unwrap())
    });
    g.bench_function("health/tls", |b| {
        b.iter(|| tls.call(&Request::Health, None).unwrap())
    });
    g.finish();
}

criterion_group!(benches, service);
criterion_main!(benches);
