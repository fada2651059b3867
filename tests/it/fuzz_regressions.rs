//! Every input the fuzzers ever found a crash with is kept in
//! `fuzz/regressions/<target>/` and replayed here through the same code.

fn replay(target: &str, run: fn(&[u8])) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries {
        let path = e.unwrap().path();
        run(&std::fs::read(&path).unwrap());
    }
}

#[test]
fn fuzz_regressions_typed_ids() {
    replay("typed_ids", actline::fuzzing::typed_ids);
}

#[test]
fn fuzz_regressions_files() {
    replay("files", actline::fuzzing::files);
}

#[test]
fn fuzz_regressions_api() {
    replay("api", actline::fuzzing::api);
}

#[test]
fn fuzz_regressions_line() {
    replay("line", actline::fuzzing::line);
}

#[test]
fn fuzz_regressions_site() {
    replay("site", actline::fuzzing::site);
}

#[test]
fn fuzz_regressions_ledger_url() {
    replay("ledger_url", actline::fuzzing::ledger_url);
}
