#!/usr/bin/env bash
# End-to-end test of the agent desk in a real terminal (tmux).
#
#   tests/console_e2e.sh DESK_BIN [ACTLINE_BIN]
#
# DESK_BIN runs `DESK_BIN [--home H] agent [--demo]` (the actline binary);
# ACTLINE_BIN runs `client iid` / `client confirm` (default: DESK_BIN).
#
# It starts `agent --demo` in a private tmux server under a temporary
# XDG_DATA_HOME, makes an installation ID for a demo key on a posed machine,
# types it, presses Enter, reads the confirmation ID off the screen (the
# plain line) and verifies it with `client confirm`. It also checks refused
# letters, help, a too-small terminal, a missing ledger, and that quitting
# restores the terminal. Last it measures start-up and keypress-to-frame
# time through a pseudo-terminal (python3; reported, never fatal).
set -euo pipefail

DESK=$(realpath "${1:?usage: $0 DESK_BIN [ACTLINE_BIN]}")
ACTLINE=$(realpath "${2:-$1}")
HERE=$(cd "$(dirname "$0")" && pwd)
MACHINE="$HERE/../samples/fingerprint-a.json"
command -v tmux >/dev/null || { echo "console_e2e: tmux is not installed (apt-get install -y tmux)"; exit 2; }

T=$(mktemp -d)
SOCK="actline-e2e-$$"
tm() { tmux -L "$SOCK" "$@"; }
cleanup() {
  tm kill-server 2>/dev/null || true
  rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"
  rm -rf "$T"
}
trap cleanup EXIT

PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok   $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $1"; echo "---- screen ----"; screen || true; echo "----------------"; }
screen() { tm capture-pane -p -J -t desk; }
# wait_for TEXT [SECONDS]: until the screen shows TEXT.
wait_for() {
  local deadline=$((SECONDS + ${2:-10}))
  while ((SECONDS < deadline)); do
    if screen 2>/dev/null | grep -qF -- "$1"; then return 0; fi
    sleep 0.1
  done
  return 1
}
check() { if wait_for "$2" "${3:-10}"; then ok "$1"; else bad "$1 (expected: $2)"; fi; }

export XDG_DATA_HOME="$T/data"
HOME_DIR="$XDG_DATA_HOME/actline-demo-desk"

# 1. Start the demo desk in a wide terminal (the plain line fits on one line).
tm new-session -d -s desk -x 200 -y 50 \
  "env XDG_DATA_HOME='$XDG_DATA_HOME' '$DESK' agent --demo; echo DESK-EXIT=\$?; sleep 600"
check "the demo desk starts" "actline desk F2 Activation"
check "the status bar names the user, role and ledger" "· supervisor · ledger $HOME_DIR/ledger.db"
check "the IVR's calls are counted" "F4 Calls (2 waiting)"

KEY=$(awk '$1 == "studio" && $2 == "4711" { print $3 }' "$HOME_DIR/demo-keys.txt")
[[ -n "$KEY" ]] && ok "the demo keys are listed" || bad "no studio key in demo-keys.txt"
IID=$("$ACTLINE" client --state "$T/client" --trust "$HOME_DIR/trust-studio.json" \
  --fingerprint "$MACHINE" iid --key "$KEY" --product studio)
echo "     installation ID $IID"

# 2. Bad input is refused with a hint.
tm send-keys -t desk -l "12x"
check "a letter is refused with a hint" "'x' refused: an installation ID is digits only"
tm send-keys -t desk C-u

# 3. Type the ID (with its dashes: separators are optional), decide.
tm send-keys -t desk -l "${IID:0:30}"
check "groups check as they complete" "✓"
tm send-keys -t desk -l "${IID:30}"
check "a complete ID is valid" "valid installation ID"
check "the product and key appear" "studio 7 · mak key"
tm send-keys -t desk Enter
check "Enter grants" "GRANTED"
check "the decision names the customer" "Customer  Northwind Labs · agreement 4711 · Enterprise"

# 4. Read the plain line and verify it on the machine.
CID=$(screen | awk '/Plain, for copying:/ { getline; print; exit }' | tr -d '│ ')
if [[ "$CID" =~ ^[0-9]{7}(-[0-9]{7}){19}$ ]]; then ok "the plain line holds the confirmation ID"; else bad "no confirmation ID on the plain line: '$CID'"; fi
if OUT=$("$ACTLINE" client --state "$T/client" --trust "$HOME_DIR/trust-studio.json" \
  --fingerprint "$MACHINE" confirm "$CID" 2>&1) && [[ "$OUT" == activated* ]]; then
  ok "the machine accepts the confirmation ID ($OUT)"
else
  bad "client confirm refused the confirmation ID: $OUT"
fi

# 5. Read-back, help, screens.
tm send-keys -t desk r
check "read-back shows the first group large" "Read group 1 of 20 to the caller:"
tm send-keys -t desk Space
check "Space moves to the next group" "Read group 2 of 20 to the caller:"
tm send-keys -t desk F1
check "F1 lists the keys" "Help — every key"
tm send-keys -t desk Escape
tm send-keys -t desk F4
check "F4 lists the handed-over calls" "demo-call-1"
tm send-keys -t desk F3
tm send-keys -t desk -l "bakery"
check "lookup finds a customer by part of its name" "5001 Contoso Bakery"

# 6. A terminal too small says how large it must be.
tm resize-window -t desk -x 60 -y 20
check "a small terminal says how large it must be" "at least 80 columns × 24 rows"
tm resize-window -t desk -x 200 -y 50
check "and the desk comes back when it is large enough" "Find: bakery"

# 7. Quitting restores the terminal.
tm send-keys -t desk F10
check "F10 quits with status 0" "DESK-EXIT=0"
if screen | grep -q "actline desk"; then bad "the alternate screen was not left"; else ok "the terminal is restored"; fi
MODES=$(tm display -p -t desk '#{alternate_on} #{cursor_flag}')
[[ "$MODES" == "0 1" ]] && ok "normal screen, cursor visible" || bad "terminal modes after exit: $MODES"

# 8. A missing ledger is a message on screen, not a crash.
tm kill-session -t desk
tm new-session -d -s desk -x 120 -y 30 \
  "'$DESK' --home '$T/nowhere' agent; echo DESK-EXIT=\$?; sleep 600"
check "a missing ledger is a message" "The ledger is not available."
tm send-keys -t desk C-q
check "Ctrl-Q quits" "DESK-EXIT=0"

# 9. Start-up and keypress-to-frame time (reported; never fatal).
if command -v python3 >/dev/null; then
  python3 - "$DESK" "$XDG_DATA_HOME" <<'PY' || echo "     (measurement failed)"
import os, pty, select, sys, time, statistics
desk, xdg = sys.argv[1], sys.argv[2]
env = dict(os.environ, XDG_DATA_HOME=xdg, TERM="xterm-256color", COLUMNS="120", LINES="40")

def read_until(fd, needle, timeout=5.0):
    buf, end = b"", time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                buf += os.read(fd, 65536)
            except OSError:
                break
            if needle in buf:
                return buf
    raise TimeoutError(needle)

def drain(fd, quiet=0.05):
    while select.select([fd], [], [], quiet)[0]:
        try:
            os.read(fd, 65536)
        except OSError:
            return

import fcntl, termios, struct
starts, ready, keys = [], [], []
for _ in range(5):
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(desk, [desk, "agent", "--demo"], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    t0 = time.monotonic()
    read_until(fd, b"Activation")
    starts.append((time.monotonic() - t0) * 1000)
    read_until(fd, b"waiting", 5)          # the ledger is open, its calls read
    ready.append((time.monotonic() - t0) * 1000)
    drain(fd, 0.3)
    for i in range(20):
        t = time.monotonic()
        os.write(fd, str(i % 10).encode())
        select.select([fd], [], [], 2.0)   # the frame that shows it
        keys.append((time.monotonic() - t) * 1000)
        drain(fd)
    os.write(fd, b"\x11")                 # Ctrl-Q
    drain(fd, 0.2)
    os.waitpid(pid, 0)
keys.sort()
print(f"     start-up to first frame: median {statistics.median(starts):.1f} ms, max {max(starts):.1f} ms (target < 200 ms)")
print(f"     start-up to the ledger open and its calls on screen: median {statistics.median(ready):.1f} ms, max {max(ready):.1f} ms")
print(f"     keypress to frame: median {statistics.median(keys):.2f} ms, p95 {keys[int(len(keys)*0.95)-1]:.2f} ms, max {max(keys):.2f} ms over {len(keys)} keys (target < 16 ms)")
PY
fi

echo "$PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
