#!/usr/bin/env bash
# Load test of the telephone line with SIPp (Debian's sip-tester):
#
#   scripts/load/run.sh N [ACTLINE_BIN]
#
# N simultaneous calls, each typing a whole installation ID as RFC 4733
# events (a pcap made by dtmf_pcap.py, played by SIPp), then listening 10 s
# (the decision and the start of the readout), then hanging up. The line
# and SIPp run on this machine, on 127.0.0.1. Reported: calls answered,
# calls whose installation ID came through with every digit right, how late
# the line's RTP packets left after their 20 ms tick (p50, p99, max, from
# the line's own log), and the line's CPU time per call.
set -euo pipefail
N=${1:?usage: $0 N [ACTLINE_BIN]}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(realpath "${2:-$HERE/../../target/release/actline}")
command -v sipp >/dev/null || { echo "load: sipp not found (apt-get install -y sip-tester)"; exit 2; }
T=$(mktemp -d)
LINE_PID=""
SIPP_PID=""
cleanup() {
  [ -n "$SIPP_PID" ] && kill "$SIPP_PID" 2>/dev/null || true
  [ -n "$LINE_PID" ] && kill "$LINE_PID" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || true

"$BIN" --home "$T/h" init --demo >/dev/null
KEY=$("$BIN" --home "$T/h" key issue --product notes --activations 3)
"$BIN" --home "$T/h" trust export --product notes --out "$T/trust.json" >/dev/null
IID=$("$BIN" client --state "$T/c" --trust "$T/trust.json" --fingerprint "$HERE/../../samples/fingerprint-a.json" iid --key "$KEY" --product notes)
# SIPp plays the pcap beside the scenario: the pause covers it, then 10 s.
PCAP_S=$(python3 "$HERE/dtmf_pcap.py" "$IID" "$T/dtmf.pcap" | awk '{print $(NF-1)}')
HOLD_MS=$(python3 -c "print(int($PCAP_S * 1000) + 10000)")
sed "s/HOLD_MS/$HOLD_MS/" "$HERE/uac.xml" > "$T/uac.xml"

"$BIN" --home "$T/h" ivr serve --sip 127.0.0.1:0 --transcripts "$T/tr" \
  --max-calls $((N + 10)) --rtp-timeout 120 2> "$T/line.log" &
LINE_PID=$!
for _ in $(seq 100); do grep -q '"sip"' "$T/line.log" 2>/dev/null && break; sleep 0.1; done
ADDR=$(grep -o '"sip":"[^"]*"' "$T/line.log" | head -1 | cut -d'"' -f4)
ticks() { awk '{print $14 + $15}' "/proc/$LINE_PID/stat"; }
CPU0=$(ticks)
START=$(date +%s.%N)
(cd "$T" && timeout 600 sipp "$ADDR" -sf uac.xml -m "$N" -l "$N" -r 100 -rp 1000 \
  -i 127.0.0.1 -mi 127.0.0.1 -mp 40000 -nostdin -timeout 500s \
  -trace_err -error_file "$T/sipp-errors.log" >/dev/null 2>&1) &
SIPP_PID=$!
wait "$SIPP_PID" || true
SIPP_PID=""
END=$(date +%s.%N)
CPU1=$(ticks)
kill -TERM "$LINE_PID"; wait "$LINE_PID" || true; LINE_PID=""
HZ=$(getconf CLK_TCK)
python3 - "$T" "$IID" "$N" "$CPU0" "$CPU1" "$HZ" "$START" "$END" <<'PY'
import json, os, sys
t, iid, n, c0, c1, hz, start, end = sys.argv[1], sys.argv[2], int(sys.argv[3]), *map(float, sys.argv[4:])
calls = [json.load(open(os.path.join(t, "tr", f))) for f in os.listdir(os.path.join(t, "tr")) if f.endswith(".json")]
right = sum(1 for c in calls if c.get("installation_id") == iid)
digits = [sum(1 for e in c["events"] if e["event"] == "digit") for c in calls]
stopped = [json.loads(l) for l in open(os.path.join(t, "line.log")) if '"stopped"' in l][-1]
cpu = (c1 - c0) / hz
wall = end - start
lengths = [c["duration_ms"] / 1000 for c in calls]
mean_len = sum(lengths) / max(1, len(lengths))
print(json.dumps({
    "simultaneous_calls": n,
    "answered": len(calls),
    "every_digit_right": right,
    "digits_min": min(digits or [0]),
    "send_late_p50_ms": stopped["send_late_p50_us"] / 1000,
    "send_late_p99_ms": stopped["send_late_p99_us"] / 1000,
    "send_late_max_ms": stopped["send_late_max_us"] / 1000,
    "packets_sent": stopped["packets_sent"],
    "line_cpu_s": round(cpu, 2),
    "wall_s": round(wall, 1),
    "mean_call_s": round(mean_len, 1),
    "cpu_per_call_percent_of_a_core": round(100 * cpu / max(1, len(calls)) / max(0.001, mean_len), 3),
}))
PY
