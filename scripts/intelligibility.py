#!/usr/bin/env python3
"""intelligibility.py: how well a listener hears a voice pack's confirmation-ID
readout, measured with an independent speech recognizer.

    scripts/intelligibility.sh                       # venv + pocketsphinx, then this
    scripts/intelligibility.py --compact 10 --signed 3 --seed 1
    scripts/intelligibility.py --voices /tmp/v --voice en --rate 8000
    scripts/intelligibility.py --compact 3 --signed 1 --min-accuracy 0.95   # CI

What it does, for every pack (--voice, default en), rate (--rate, default 8000
and 16000) and profile (compact: 8 groups of 6 digits; signed: 20 groups of 7):

 1. makes random confirmation IDs (any digits of the profile's layout; --seed
    makes the run repeatable; the same IDs for every pack and rate);
 2. renders each exactly as the line sends it: `actline say --voice LANG
    --rate 8000 --format ulaw -o FILE CID` (raw G.711 mu-law, 8 kHz); at 16 kHz,
    which `say` offers as 16-bit PCM WAV only, `--rate 16000 --format wav`;
 3. decodes the audio back to 16-bit PCM (mu-law through the G.711 table below)
    and upsamples 8 kHz to 16 kHz with SoX (`rate -v`, no dither: SoX's default
    dither would put a faint hiss into the readout's pauses, which are exact
    silence on the line, and PocketSphinx hears digits in that hiss);
 4. cuts the readout into its groups at its longest silences (a readout of N
    groups has N-1 group pauses, the longest silences in it: 700 ms against
    250-300 ms inside a group);
 5. recognizes each group with PocketSphinx 5 (PyPI, its bundled en-US acoustic
    model and dictionary) restricted to a JSGF grammar of an optional ordinal
    label ("first group" ... "twentieth group") followed by one or more digit
    words (zero/oh, one ... nine); the label is dropped, the digits kept.

Accuracy of one ID = digits right by position after aligning: the recognized
digit string of each group is aligned to the true one by edit distance
(Levenshtein, unit costs: substitution, deletion, insertion); the digits the
alignment matches are right. accuracy = right / digits said. Inserted digits
(heard but not said) do not lower `accuracy`; they are counted in column `ins`,
and `strict` = (said - sub - del - ins) / said (1 - digit error rate) counts
them as errors too. Totals are summed over all IDs of a row.

--min-accuracy F exits 1 when any row's accuracy or strict accuracy is under
F (English is the only language the recognizer knows, so only English packs
can be measured; other languages are refused). Exit 2 on a usage or tool
error.

Needs: python3 with `pocketsphinx` (pip), sox, and a built actline
(--actline, default $CARGO_TARGET_DIR/release/actline or target/release/actline).
"""

import argparse
import os
import random
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

PROFILES = {
    # name: (groups, digits per group), as crates/engine/src/confirm lays them out.
    "compact": (8, 6),
    "signed": (20, 7),
}

DIGIT_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}
ORDINALS = [
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
    "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth",
    "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
    "twentieth",
]

GRAMMAR = """#JSGF V1.0;
grammar cid;
public <group> = [<label>] <digit>+;
<label> = (%s) group;
<digit> = %s;
""" % (" | ".join(ORDINALS), " | ".join(sorted(DIGIT_WORDS)))

RATE_IN = 16000  # what the recognizer's model is trained on
FRAME = 160      # 10 ms at 16 kHz


def die(msg):
    print("intelligibility: " + msg, file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------- G.711 mu-law

def _ulaw_to_linear(code):
    """ITU-T G.711 mu-law expansion (the same table as crates/audio/src/g711.rs)."""
    code = ~code & 0xFF
    sign = code & 0x80
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = ((mantissa << 3) + 0x84) << exponent
    magnitude -= 0x84
    return -magnitude if sign else magnitude


ULAW = [_ulaw_to_linear(c) for c in range(256)]


def decode_ulaw(data):
    return struct.pack("<%dh" % len(data), *(ULAW[b] for b in data))


# ---------------------------------------------------------------- audio

def read_wav_pcm16(path):
    """(rate, little-endian 16-bit mono PCM bytes) of a canonical WAV file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        die("%s is not a WAV file" % path)
    pos, rate, pcm = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt, channels, rate = struct.unpack("<HHI", body[:8])
            bits = struct.unpack("<H", body[14:16])[0]
            if fmt != 1 or channels != 1 or bits != 16:
                die("%s: expected mono 16-bit PCM" % path)
        elif cid == b"data":
            pcm = body
        pos += 8 + size + (size & 1)
    if rate is None or pcm is None:
        die("%s: no fmt or data chunk" % path)
    return rate, pcm


def upsample(pcm, rate):
    """16-bit PCM at `rate` -> 16-bit PCM at 16 kHz (SoX's very-high-quality resampler,
    undithered so the pauses stay silent)."""
    if rate == RATE_IN:
        return pcm
    out = subprocess.run(
        ["sox", "-D", "-t", "raw", "-r", str(rate), "-e", "signed-integer", "-b", "16", "-c", "1", "-",
         "-t", "raw", "-r", str(RATE_IN), "-e", "signed-integer", "-b", "16", "-c", "1", "-",
         "rate", "-v"],
        input=pcm, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if out.returncode != 0:
        die("sox failed: " + out.stderr.decode(errors="replace").strip())
    return out.stdout


def frame_energies(pcm):
    n = len(pcm) // 2
    samples = struct.unpack("<%dh" % n, pcm[:2 * n])
    return [sum(s * s for s in samples[i:i + FRAME]) / FRAME for i in range(0, n, FRAME)]


def split_groups(pcm, groups):
    """Cuts a 16 kHz readout of `groups` groups at its `groups - 1` longest silent
    runs (10 ms frames more than 45 dB under the loudest frame); returns the pieces."""
    energies = frame_energies(pcm)
    loudest = max(energies) if energies else 0.0
    threshold = loudest * 10 ** (-45 / 10)
    runs, start = [], None
    for i, e in enumerate(energies + [loudest]):
        if e <= threshold and start is None:
            start = i
        elif e > threshold and start is not None:
            if start > 0 and i < len(energies):  # inner silences only
                runs.append((i - start, start, i))
            start = None
    if len(runs) < groups - 1:
        return None
    cuts = sorted((s + e) // 2 for _, s, e in sorted(runs, reverse=True)[:groups - 1])
    bounds = [0] + [c * FRAME * 2 for c in cuts] + [len(pcm)]
    return [pcm[a:b] for a, b in zip(bounds, bounds[1:])]


# ---------------------------------------------------------------- recognizer

def make_decoder(workdir):
    try:
        from pocketsphinx import Decoder, get_model_path
    except ImportError:
        die("python module pocketsphinx missing (scripts/intelligibility.sh installs it "
            "in a venv; or: pip install pocketsphinx)")
    model = os.path.join(get_model_path(), "en-us")
    # A dictionary of just the grammar's words (the full one takes a second to load).
    words = set(DIGIT_WORDS) | set(ORDINALS) | {"group"}
    small = os.path.join(workdir, "cid.dict")
    with open(os.path.join(model, "cmudict-en-us.dict"), encoding="utf-8") as full, \
            open(small, "w", encoding="utf-8") as out:
        for line in full:
            head = line.split(" ", 1)[0].split("(", 1)[0]
            if head in words:
                out.write(line)
    gram = os.path.join(workdir, "cid.gram")
    with open(gram, "w", encoding="utf-8") as f:
        f.write(GRAMMAR)
    return Decoder(hmm=os.path.join(model, "en-us"), dict=small, jsgf=gram,
                   samprate=RATE_IN, loglevel="FATAL")


def recognize(decoder, pcm):
    """The digits PocketSphinx hears in one group's 16 kHz PCM (label dropped)."""
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    words = hyp.hypstr.split() if hyp is not None else []
    return "".join(DIGIT_WORDS[w] for w in words if w in DIGIT_WORDS)


# ---------------------------------------------------------------- scoring

def align(truth, heard):
    """(right, substituted, deleted, inserted) of a minimum edit-distance alignment
    of `heard` against `truth`; among equal distances, the most digits right."""
    n, m = len(truth), len(heard)
    # cost[i][j] = (edits, -right) to turn heard[:j] into truth[:i]
    inf = (10 ** 9, 0)
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    back = [[None] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = (0, 0)
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            options = []
            if i > 0 and j > 0:
                same = truth[i - 1] == heard[j - 1]
                c = cost[i - 1][j - 1]
                options.append(((c[0] + (0 if same else 1), c[1] - (1 if same else 0)),
                                "=" if same else "s"))
            if i > 0:
                c = cost[i - 1][j]
                options.append(((c[0] + 1, c[1]), "d"))
            if j > 0:
                c = cost[i][j - 1]
                options.append(((c[0] + 1, c[1]), "i"))
            cost[i][j], back[i][j] = min(options)
    counts = {"=": 0, "s": 0, "d": 0, "i": 0}
    i, j = n, m
    while i > 0 or j > 0:
        op = back[i][j]
        counts[op] += 1
        if op in "=s":
            i, j = i - 1, j - 1
        elif op == "d":
            i -= 1
        else:
            j -= 1
    return counts["="], counts["s"], counts["d"], counts["i"]


# ---------------------------------------------------------------- driver

def render(actline, voices, lang, rate, pace, groups, out):
    fmt = "ulaw" if rate == 8000 else "wav"
    cmd = [actline, "say", "--voice", lang, "--rate", str(rate), "--format", fmt,
           "--pace", str(pace), "-o", out]
    if voices:
        cmd += ["--voices", voices]
    cmd.append("-".join(groups))
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if res.returncode != 0:
        die("%s failed: %s" % (" ".join(cmd), res.stderr.decode(errors="replace").strip()))
    if fmt == "ulaw":
        with open(out, "rb") as f:
            return rate, decode_ulaw(f.read())
    return read_wav_pcm16(out)


def random_ids(rng, profile, count):
    groups, length = PROFILES[profile]
    return [["".join(rng.choice("0123456789") for _ in range(length)) for _ in range(groups)]
            for _ in range(count)]


def main():
    p = argparse.ArgumentParser(
        description="Digit accuracy of voice packs' confirmation-ID readouts, heard by "
                    "PocketSphinx (see the module doc for the definition).")
    p.add_argument("--actline", help="the actline binary (default: $CARGO_TARGET_DIR/release/"
                   "actline, else target/release/actline)")
    p.add_argument("--voices", help="load packs from DIR instead of the built-in ones "
                   "(passed to actline say --voices)")
    p.add_argument("--voice", action="append", help="pack language, repeatable (default: en)")
    p.add_argument("--rate", action="append", type=int, choices=[8000, 16000],
                   help="output rate, repeatable (default: 8000 and 16000)")
    p.add_argument("--compact", type=int, default=10, metavar="N",
                   help="random compact IDs (48 digits) per pack and rate (default 10)")
    p.add_argument("--signed", type=int, default=3, metavar="N",
                   help="random signed IDs (140 digits) per pack and rate (default 3)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--pace", type=float, default=1.0, help="actline say --pace (default 1.0)")
    p.add_argument("--min-accuracy", type=float, metavar="F",
                   help="exit 1 if any row's accuracy or strict accuracy is under F")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print every group heard wrong (said / heard)")
    args = p.parse_args()

    actline = args.actline
    if not actline:
        target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
        actline = os.path.join(target, "release", "actline")
    if not os.access(actline, os.X_OK):
        die("no actline binary at %s (cargo build --release, or --actline PATH)" % actline)
    langs = args.voice or ["en"]
    for lang in langs:
        if lang != "en":
            die("the recognizer (PocketSphinx en-US) hears English only; cannot measure '%s'"
                % lang)
    rates = args.rate or [8000, 16000]
    rng = random.Random(args.seed)
    ids = {prof: random_ids(rng, prof, n)
           for prof, n in (("compact", args.compact), ("signed", args.signed)) if n > 0}
    if not ids:
        die("nothing to measure (--compact 0 --signed 0)")

    started = time.monotonic()
    failed = []
    with tempfile.TemporaryDirectory(prefix="actline-intelligibility.") as work:
        decoder = make_decoder(work)
        out = os.path.join(work, "readout")
        print("%-4s %5s %-7s %3s %6s %6s %4s %4s %4s %8s %8s" % (
            "pack", "rate", "profile", "ids", "digits", "right", "sub", "del", "ins",
            "accuracy", "strict"))
        for lang in langs:
            for rate in rates:
                for prof, batch in ids.items():
                    said = right = sub = dele = ins = 0
                    for groups in batch:
                        in_rate, pcm = render(actline, args.voices, lang, rate, args.pace,
                                              groups, out)
                        pieces = split_groups(upsample(pcm, in_rate), len(groups))
                        if pieces is None:
                            # Fewer silences than groups: score the whole readout as one.
                            pieces_heard = [recognize(decoder, upsample(pcm, in_rate))]
                            truths = ["".join(groups)]
                        else:
                            pieces_heard = [recognize(decoder, piece) for piece in pieces]
                            truths = groups
                        for truth, heard in zip(truths, pieces_heard):
                            r, s, d, i = align(truth, heard)
                            said += len(truth)
                            right, sub, dele, ins = right + r, sub + s, dele + d, ins + i
                            if args.verbose and heard != truth:
                                print("  %s %d %s: said %s heard %s" % (
                                    lang, rate, prof, truth, heard or "-"))
                    acc = right / said
                    strict = max(0.0, (said - sub - dele - ins) / said)
                    print("%-4s %5d %-7s %3d %6d %6d %4d %4d %4d %8.3f %8.3f" % (
                        lang, rate, prof, len(batch), said, right, sub, dele, ins, acc, strict))
                    sys.stdout.flush()
                    if args.min_accuracy is not None and min(acc, strict) < args.min_accuracy:
                        failed.append("%s %d Hz %s: %.3f" % (lang, rate, prof, min(acc, strict)))
    print("seed %d, %.1f s" % (args.seed, time.monotonic() - started))
    if failed:
        print("intelligibility: under %.2f: %s" % (args.min_accuracy, "; ".join(failed)),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
