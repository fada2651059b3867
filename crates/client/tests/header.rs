//! The committed C header is what cbindgen makes from `src/ffi.rs` now.
//! `ACTLINE_BLESS=1 cargo test -p actline-client --test header` rewrites it.

use std::path::Path;

#[test]
fn the_committed_header_is_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).unwrap();
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen reads src/ffi.rs")
        .write(&mut generated);
    let path = dir.join("include/actline_client.h");
    if std::env::var_os("ACTLINE_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/actline_client.h is stale: run ACTLINE_BLESS=1 cargo test -p actline-client --test header"
    );
}
