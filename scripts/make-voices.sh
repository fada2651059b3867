#!/usr/bin/env bash
# make-voices.sh — (re)generate the voice packs under samples/voices/ from the
# unit scripts in scripts/voices/<lang>.tsv, with Debian's speech synthesizers.
#
#   scripts/make-voices.sh                 # all languages (en de fr)
#   scripts/make-voices.sh de              # one pack
#   scripts/make-voices.sh --out /tmp/v en # somewhere else
#
# Needs: flite, espeak-ng, sox   (apt-get install -y flite espeak-ng sox)
# The engine does not need any of them: the WAVs are committed.
#
# A <lang>.tsv file holds header lines "# name: ...", "# engine: flite|espeak-ng"
# and "# voice: ..." (optionally "# speed: WPM" / "# prompt-speed: WPM" for
# espeak-ng, "# stretch: F" / "# prompt-stretch: F" for flite; digits use the
# first, ordinals and prompts the second), then one "unit-id<TAB>text" line per
# unit. Each unit is synthesised, converted to 16 kHz mono 16-bit PCM, trimmed of
# silence, peak-normalised and listed in manifest.json ({language, name, rate,
# units: [{id, text, file}]}). To re-voice a pack, change the header; to use
# studio recordings, replace the WAVs (mono 16-bit PCM at the manifest rate) and
# keep the manifest. A pack is built in a temporary directory and swapped in
# only when every unit succeeded; reruns are byte-identical.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out_root="$repo/samples/voices"
RATE=16000

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }

langs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out_root=${2:?--out needs a directory}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "make-voices: unknown option $1" >&2; exit 2 ;;
    *) langs+=("$1"); shift ;;
  esac
done
if [ ${#langs[@]} -eq 0 ]; then
  for f in "$here"/voices/*.tsv; do langs+=("$(basename "$f" .tsv)"); done
fi

for tool in sox; do
  command -v "$tool" >/dev/null || { echo "make-voices: $tool not found (apt-get install -y flite espeak-ng sox)" >&2; exit 1; }
done

# The pack being built; removed if the script stops before swapping it in.
work=""
trap '[ -z "$work" ] || rm -rf "$work"' EXIT

json_escape() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'; }

header() { # header FILE KEY -> value of "# KEY: value"
  sed -n "s/^# $2: *//p" "$1" | head -n 1
}

make_pack() {
  local lang=$1
  local tsv="$here/voices/$lang.tsv"
  [ -f "$tsv" ] || { echo "make-voices: no unit script $tsv" >&2; return 1; }
  local name engine voice speed stretch
  name=$(header "$tsv" name); engine=$(header "$tsv" engine); voice=$(header "$tsv" voice)
  speed=$(header "$tsv" speed); stretch=$(header "$tsv" stretch)
  local prompt_speed prompt_stretch
  prompt_speed=$(header "$tsv" prompt-speed); prompt_stretch=$(header "$tsv" prompt-stretch)
  [ -n "$engine" ] || { echo "make-voices: $tsv has no '# engine: flite|espeak-ng' line" >&2; return 1; }
  command -v "$engine" >/dev/null || { echo "make-voices: $engine not found (apt-get install -y flite espeak-ng sox)" >&2; return 1; }

  mkdir -p "$out_root"
  work=$(mktemp -d "$out_root/.$lang.XXXXXX")
  local raw="$work/.raw.wav"
  local manifest="$work/manifest.json"
  printf '{\n  "language": "%s",\n  "name": "%s",\n  "rate": %d,\n  "generator": "%s",\n  "units": [\n' \
    "$lang" "$(json_escape "$name")" "$RATE" "$(json_escape "scripts/make-voices.sh: $engine $voice")" > "$manifest"
  local first=1 count=0 id text
  while IFS=$'\t' read -r id text; do
    case "$id" in ''|'#'*) continue ;; esac
    [ -n "$text" ] || { echo "make-voices: $lang: unit $id has no text" >&2; return 1; }
    # Digits are spoken at "speed"/"stretch"; ordinals and prompts may be faster.
    local s=${speed:-150} f=${stretch:-1.0}
    case "$id" in digit_*) ;; *) s=${prompt_speed:-$s}; f=${prompt_stretch:-$f} ;; esac
    case "$engine" in
      flite) flite -voice "${voice:-slt}" --setf duration_stretch="$f" -t "$text" -o "$raw" ;;
      espeak-ng) espeak-ng -v "${voice:-$lang}" -s "$s" -w "$raw" "$text" ;;
      *) echo "make-voices: $lang: unknown engine '$engine'" >&2; return 1 ;;
    esac
    # 16 kHz mono 16-bit; trim silence at both ends (0.2% threshold), shorten
    # inner pauses to at most 0.2 s, peak-normalise to -1 dBFS (the engine
    # re-trims, fades and loudness-normalises at load). -R: repeatable dither, so reruns are byte-identical.
    sox -R "$raw" -r "$RATE" -c 1 -b 16 -e signed-integer "$work/$id.wav" \
      silence -l 1 0.01 0.2% -1 0.2 0.2% reverse silence 1 0.01 0.2% reverse \
      gain -n -1
    if [ $first -eq 0 ]; then printf ',\n' >> "$manifest"; fi
    first=0; count=$((count + 1))
    printf '    {"id": "%s", "text": "%s", "file": "%s.wav"}' "$id" "$(json_escape "$text")" "$id" >> "$manifest"
  done < "$tsv"
  printf '\n  ]\n}\n' >> "$manifest"
  rm -f "$raw"
  rm -rf "$out_root/$lang.old"
  if [ -d "$out_root/$lang" ]; then mv "$out_root/$lang" "$out_root/$lang.old"; fi
  mv "$work" "$out_root/$lang"
  work=""
  rm -rf "$out_root/$lang.old"
  echo "make-voices: $lang: $count units -> $out_root/$lang ($(du -sh "$out_root/$lang" | cut -f1))"
}

for lang in "${langs[@]}"; do make_pack "$lang"; done
