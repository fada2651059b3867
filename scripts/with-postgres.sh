#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster: initdb in a temporary
# directory as an unprivileged user, listening only on a Unix socket in that
# directory and on 127.0.0.1 at a free port; the command sees its URL in
# ACTLINE_TEST_PG (superuser "actline", trust authentication on loopback)
# and the server's PID and data directory in ACTLINE_TEST_PG_PID and
# ACTLINE_TEST_PG_DATA. The server is stopped by its PID and the directory
# removed afterwards, whatever the command's outcome; the command's exit
# code is this script's.
#
#   scripts/with-postgres.sh cargo test --release
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "with-postgres: PostgreSQL is not installed (Debian: apt-get install postgresql)" >&2
    exit 3
fi

dir=$(mktemp -d /tmp/actline-pg.XXXXXX)
chmod 755 "$dir"
# initdb refuses to run as root: run the server as an unprivileged user.
as=()
if [ "$(id -u)" = 0 ]; then
    user=postgres
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home "$user"
    chown "$user" "$dir"
    as=(runuser -u "$user" --)
fi

pid=""
cleanup() {
    # The server's own PID (first line of postmaster.pid): when it runs as
    # another user, $pid is the runuser in front of it, which does not pass
    # SIGINT on.
    local server
    server=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
    for p in $server $pid; do
        if kill -0 "$p" 2>/dev/null; then
            kill -INT "$p" 2>/dev/null || true
            for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
    rm -rf "$dir"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as[@]}" "$bin/initdb" -D "$dir/data" -U actline --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 3; }
"${as[@]}" "$bin/postgres" -D "$dir/data" -k "$dir" -h 127.0.0.1 -p "$port" \
    -c fsync=on -c max_connections=200 >"$dir/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then break; fi
    kill -0 "$pid" 2>/dev/null || { cat "$dir/server.log" >&2; exit 3; }
    sleep 0.1
done
"$bin/pg_isready" -q -h 127.0.0.1 -p "$port" || { cat "$dir/server.log" >&2; exit 3; }

export ACTLINE_TEST_PG="postgres://actline@127.0.0.1:$port/postgres"
export ACTLINE_TEST_PG_PID=$pid
export ACTLINE_TEST_PG_DATA=$dir/data
export ACTLINE_TEST_PG_BIN=$bin
set +e
"$@"
rc=$?
set -e
exit $rc
