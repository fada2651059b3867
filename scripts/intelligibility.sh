#!/usr/bin/env bash
# intelligibility.sh — run scripts/intelligibility.py in a virtual environment of
# its own with PocketSphinx from PyPI (made once, under $CARGO_TARGET_DIR or
# target/, as intelligibility-venv). Arguments go to the script, e.g.
#
#   scripts/intelligibility.sh --compact 10 --signed 3 --seed 1
#   scripts/intelligibility.sh --compact 3 --signed 1 --min-accuracy 0.95   # CI
#
# Needs: python3 with venv (Debian: python3-venv), sox, a built actline
# (cargo build --release).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${CARGO_TARGET_DIR:-$(dirname "$here")/target}
venv="$target/intelligibility-venv"
if ! "$venv/bin/python" -c 'import pocketsphinx' 2>/dev/null; then
    rm -rf "$venv"
    mkdir -p "$target"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'pocketsphinx>=5,<6'
fi
exec "$venv/bin/python" "$here/intelligibility.py" "$@"
