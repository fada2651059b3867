#!/usr/bin/env bash
# Every test: each crate's tests and the integration suite with SQLite
# ledgers, then the integration suite again with every demo home's ledger
# in a new database on PostgreSQL (ACTLINE_TEST_LEDGER=postgres). Needs the
# cluster scripts/with-postgres.sh starts:
#
#   scripts/with-postgres.sh scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${ACTLINE_TEST_PG:-}" ]; then
    echo "test.sh: no PostgreSQL cluster; run it as scripts/with-postgres.sh scripts/test.sh" >&2
    exit 3
fi
cargo test --release
ACTLINE_TEST_LEDGER=postgres cargo test --release --test it
