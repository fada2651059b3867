#!/usr/bin/env bash
# Side-by-side DTMF decoding: spandsp's dtmf_rx against actline's detector, on
# the same WAV files, reporting the keys each finds and its speed (x real time).
#
# Usage: scripts/spandsp/run.sh [WAV...]
#   With no arguments a corpus is generated first (see compare.c: the ITU-T
#   Q.24 cases, synthetic talk-off signals, a 60 s file for speed) plus, when
#   espeak-ng and sox are installed, speech in several voices, which must
#   decode to nothing. Files named on the command line are decoded as they are
#   (8 kHz 16-bit mono for spandsp).
#
# Needs: a C compiler and libspandsp-dev (apt-get install -y libspandsp-dev);
# optionally espeak-ng and sox for the speech files.
#
# The actline side is the command in ACTLINE_DECODE:
#   * "tsv" mode (default when ACTLINE_DECODE is unset): a decoder taking
#     `[-r N] WAV...` and printing one line per file, "FILE<TAB>KEYS<TAB>XRT",
#     where XRT is its own timing of the decode (best of N runs, file reading
#     excluded). During development this is the scratch binary built from the
#     scratch crate (SCRATCH_CRATE, default /work/scratch/ivr), whose
#     src/bin/dtmf_decode.rs calls actline::ivr::dtmf::decode_all.
#   * "plain" mode (ACTLINE_MODE=plain): the integrated CLI, run as
#     `$ACTLINE_DECODE FILE` once per file, e.g.
#         ACTLINE_MODE=plain ACTLINE_DECODE="actline dtmf decode" scripts/spandsp/run.sh
#     Its standard output is taken to contain the keys (everything that is not
#     0-9 * # A-D is dropped from the first line, so print the keys on the
#     first line). Speed is then timed from outside, process start and file
#     reading included, and spandsp's compare binary is timed the same way
#     (`compare decode -r 1 FILE`, a whole process too), so the two figures
#     compare whole processes; spandsp's decode-only figure is printed beside.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/dtmf-compare.XXXXXX")"
trap 'rm -rf "$work"' EXIT
reps="${REPS:-20}"

cc -O2 -Wall -o "$work/compare" "$here/compare.c" -lspandsp -lm

mode="${ACTLINE_MODE:-tsv}"
if [[ -z "${ACTLINE_DECODE:-}" ]]; then
    scratch="${SCRATCH_CRATE:-/work/scratch/ivr}"
    (cd "$scratch" && cargo build --release --quiet --bin dtmf_decode)
    ACTLINE_DECODE="$scratch/target/release/dtmf_decode"
    mode=tsv
fi

manifest="$work/manifest.tsv"
if [[ $# -eq 0 ]]; then
    corpus="$work/corpus"
    mkdir -p "$corpus"
    "$work/compare" gen "$corpus"
    if command -v espeak-ng >/dev/null && command -v sox >/dev/null; then
        text="Thank you for calling the activation centre. Please enter the installation \
identifier shown on your screen, group by group. If you have made a mistake, press star to \
start again. Your confirmation identifier is one two three four five six, seven eight nine \
zero one two. Would you like to hear it again? Goodbye."
        for voice in en en+f3 en+m7 en+f5 de fr es it; do
            for pitch in 20 50 90; do
                name="speech_${voice//+/_}_p$pitch.wav"
                espeak-ng -v "$voice" -p "$pitch" -w "$work/raw.wav" "$text" 2>/dev/null || continue
                sox -V1 "$work/raw.wav" -r 8000 -c 1 -b 16 "$corpus/$name"
                printf '%s\t\t%s\n' "$name" "espeak-ng $voice, pitch $pitch" >> "$corpus/manifest.tsv"
            done
        done
    fi
    awk -F'\t' -v d="$corpus" '{print d "/" $1 "\t" $2 "\t" $3}' "$corpus/manifest.tsv" > "$manifest"
else
    for f in "$@"; do printf '%s\t?\t\n' "$f"; done > "$manifest"
fi

# Whole-process speed: CMD FILE run $reps times in a row, timed from outside;
# prints x real time (audio length over mean wall time per run).
time_process() { # FILE CMD... -> XRT
    local f="$1"; shift
    local start end bytes
    bytes="$(stat -c %s "$f")"
    start="$(date +%s.%N)"
    for ((i = 0; i < reps; i++)); do "$@" "$f" >/dev/null; done
    end="$(date +%s.%N)"
    # audio length: (file size - 44-byte header) / 16000 bytes per second (8 kHz 16-bit)
    awk -v s="$start" -v e="$end" -v n="$reps" -v b="$bytes" \
        'BEGIN{printf "%.0f", ((b-44)/16000.0) / ((e-s)/n)}'
}

decode_actline() { # FILE -> "KEYS<TAB>XRT"
    local f="$1"
    if [[ "$mode" == tsv ]]; then
        $ACTLINE_DECODE -r "$reps" "$f" | head -n1 | cut -f2,3
    else
        local keys xrt
        keys="$($ACTLINE_DECODE "$f" | head -n1 | tr -cd '0-9*#A-D')"
        # shellcheck disable=SC2086 # ACTLINE_DECODE is a command line
        xrt="$(time_process "$f" $ACTLINE_DECODE)"
        printf '%s\t%s\n' "$keys" "$xrt"
    fi
}

printf '%-30s %-8s %-24s %-24s\n' "file" "expect" "spandsp" "actline"
total=0; ok_s=0; ok_a=0
while IFS= read -r line; do
    # (not `IFS=$'\t' read`: tabs are whitespace to read, empty fields would vanish)
    file="$(cut -f1 <<<"$line")"; expect="$(cut -f2 <<<"$line")"; what="$(cut -f3 <<<"$line")"
    s="$("$work/compare" decode -r 1 "$file" | cut -f2)"
    a="$(decode_actline "$file" | cut -f1)"
    mark_s=""; mark_a=""
    if [[ "$expect" != "?" ]]; then
        total=$((total + 1))
        if [[ "$s" == "$expect" ]]; then ok_s=$((ok_s + 1)); mark_s=ok; else mark_s=WRONG; fi
        if [[ "$a" == "$expect" ]]; then ok_a=$((ok_a + 1)); mark_a=ok; else mark_a=WRONG; fi
    fi
    short() { local k="$1"; ((${#k} > 16)) && k="${k:0:13}...(${#1})"; printf '%s' "${k:-(none)}"; }
    printf '%-30s %-8s %-24s %-24s %s\n' "$(basename "$file")" "$(short "$expect")" \
        "$(short "$s") $mark_s" "$(short "$a") $mark_a" "$what"
done < "$manifest"

if [[ $total -gt 0 ]]; then
    echo
    echo "correct files: spandsp $ok_s/$total, actline $ok_a/$total"
fi

speedfile="$(awk -F'\t' '$1 ~ /speed_60s.wav$/ {print $1}' "$manifest")"
[[ -z "$speedfile" ]] && speedfile="$(head -n1 "$manifest" | cut -f1)"
s_xrt="$("$work/compare" decode -r "$reps" "$speedfile" | cut -f3)"
a_xrt="$(decode_actline "$speedfile" | cut -f2)"
if [[ "$mode" == tsv ]]; then
    echo "speed on $(basename "$speedfile") (decode only, best of $reps, one core): spandsp ${s_xrt}x real time, actline ${a_xrt}x real time"
else
    s_proc="$(time_process "$speedfile" "$work/compare" decode -r 1)"
    echo "speed on $(basename "$speedfile") (whole process: start, read, decode, exit; mean of $reps runs): spandsp ${s_proc}x real time, actline ${a_xrt}x real time (spandsp decode only, best of $reps: ${s_xrt}x)"
fi
