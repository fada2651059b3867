/*
 * compare.c - reference side of the DTMF side-by-side comparison.
 *
 *   compare gen DIR            write the test corpus (WAV files) and
 *                              DIR/manifest.tsv ("file<TAB>expected keys<TAB>what")
 *   compare decode [-r N] WAV...
 *                              decode each file with spandsp's dtmf_rx (default
 *                              settings) and print "file<TAB>keys<TAB>x-real-time",
 *                              the speed being the best of N runs (default 20)
 *
 * The corpus is synthesised here, independently of both decoders: the ITU-T
 * Q.24 cases (frequency offset, twist, duration, level, noise, interruptions),
 * synthetic talk-off signals, and a 60 s file for speed. Levels are dBm0 with
 * a full-scale sine at +3.14 dBm0 (the spandsp convention); twist is "high
 * group level minus low group level", as in spandsp's dtmf_tx_set_level().
 *
 * Build: cc -O2 -o compare compare.c -lspandsp -lm   (see run.sh)
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <spandsp.h>

#define RATE 8000
#define MAX_SAMPLES (RATE * 120)

static const char *keypad = "123A456B789C*0#D";
static const double rows[4] = {697.0, 770.0, 852.0, 941.0};
static const double cols[4] = {1209.0, 1336.0, 1477.0, 1633.0};
static const double dbm0_peak = 22812.0;

/* ------------------------------------------------------------------ WAV I/O */

static int write_wav(const char *path, const int16_t *s, int n)
{
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); return -1; }
    uint32_t data = (uint32_t) n * 2, riff = 36 + data, fmt_len = 16, rate = RATE, byte_rate = RATE * 2;
    uint16_t pcm = 1, channels = 1, align = 2, bits = 16;
    fwrite("RIFF", 1, 4, f); fwrite(&riff, 4, 1, f); fwrite("WAVEfmt ", 1, 8, f);
    fwrite(&fmt_len, 4, 1, f); fwrite(&pcm, 2, 1, f); fwrite(&channels, 2, 1, f);
    fwrite(&rate, 4, 1, f); fwrite(&byte_rate, 4, 1, f); fwrite(&align, 2, 1, f); fwrite(&bits, 2, 1, f);
    fwrite("data", 1, 4, f); fwrite(&data, 4, 1, f); fwrite(s, 2, (size_t) n, f);
    fclose(f);
    return 0;
}

/* Reads 16-bit mono PCM WAV at 8 kHz; returns the sample count or -1. */
static int read_wav(const char *path, int16_t **out)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); return -1; }
    unsigned char hdr[12];
    if (fread(hdr, 1, 12, f) != 12 || memcmp(hdr, "RIFF", 4) || memcmp(hdr + 8, "WAVE", 4)) {
        fprintf(stderr, "%s: not a WAV file\n", path); fclose(f); return -1;
    }
    int ok_fmt = 0;
    for (;;) {
        unsigned char ch[8];
        if (fread(ch, 1, 8, f) != 8) break;
        uint32_t len = ch[4] | ch[5] << 8 | ch[6] << 16 | (uint32_t) ch[7] << 24;
        if (!memcmp(ch, "fmt ", 4)) {
            unsigned char fm[16];
            if (len < 16 || fread(fm, 1, 16, f) != 16) break;
            int format = fm[0] | fm[1] << 8, channels = fm[2] | fm[3] << 8, bits = fm[14] | fm[15] << 8;
            int rate = fm[4] | fm[5] << 8 | fm[6] << 16 | fm[7] << 24;
            if ((format != 1 && format != 0xFFFE) || channels != 1 || bits != 16 || rate != RATE) {
                fprintf(stderr, "%s: need 16-bit mono PCM at 8000 Hz (spandsp works at 8 kHz only)\n", path);
                fclose(f); return -1;
            }
            ok_fmt = 1;
            fseek(f, (long) (len - 16 + (len & 1)), SEEK_CUR);
        } else if (!memcmp(ch, "data", 4)) {
            if (!ok_fmt) break;
            int n = (int) (len / 2);
            *out = malloc((size_t) n * 2 + 2);
            n = (int) fread(*out, 2, (size_t) n, f);
            fclose(f);
            return n;
        } else {
            fseek(f, (long) (len + (len & 1)), SEEK_CUR);
        }
    }
    fprintf(stderr, "%s: no usable fmt/data chunk\n", path);
    fclose(f);
    return -1;
}

/* ------------------------------------------------------------------ synthesis */

static uint64_t rng_state;

static double uniform(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return ((double) (z >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void)
{
    double u1 = uniform(), u2 = uniform();
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static double amp(double dbm0) { return dbm0_peak * pow(10.0, dbm0 / 20.0); }

static void add_sample(int16_t *s, double v)
{
    v += *s;
    if (v > 32767.0) v = 32767.0;
    if (v < -32768.0) v = -32768.0;
    *s = (int16_t) lrint(v);
}

typedef struct {
    int tone_ms, gap_ms, lead_ms;
    double level, twist, row_off, col_off;
} gen_t;

static int gen_keys(int16_t *buf, int at, const char *keys, const gen_t *g)
{
    int pos = at + g->lead_ms * RATE / 1000;
    for (const char *k = keys; *k; k++) {
        const char *p = strchr(keypad, *k);
        if (!p) continue;
        int i = (int) (p - keypad);
        double fr = rows[i / 4] * (1.0 + g->row_off), fc = cols[i % 4] * (1.0 + g->col_off);
        double ar = amp(g->level), ac = amp(g->level + g->twist);
        int n = g->tone_ms * RATE / 1000;
        for (int t = 0; t < n && pos + t < MAX_SAMPLES; t++)
            add_sample(&buf[pos + t], ar * sin(2 * M_PI * fr * t / RATE) + ac * sin(2 * M_PI * fc * t / RATE));
        pos += n + g->gap_ms * RATE / 1000;
    }
    return pos;
}

static void add_noise(int16_t *buf, int n, double dbm0)
{
    double rms = dbm0_peak / sqrt(2.0) * pow(10.0, dbm0 / 20.0);
    for (int i = 0; i < n; i++) add_sample(&buf[i], gauss() * rms);
}

static FILE *manifest;
static const char *outdir;

static void emit(const char *name, const int16_t *s, int n, const char *expect, const char *what)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.wav", outdir, name);
    write_wav(path, s, n);
    fprintf(manifest, "%s.wav\t%s\t%s\n", name, expect, what);
}

static void keys_case(const char *name, const char *keys, gen_t g, double noise_dbm0, const char *expect, const char *what)
{
    static int16_t buf[MAX_SAMPLES];
    memset(buf, 0, sizeof buf);
    rng_state = 12345;
    int n = gen_keys(buf, 0, keys, &g) + RATE / 5;
    if (noise_dbm0 > -200) add_noise(buf, n, noise_dbm0);
    emit(name, buf, n, expect, what);
}

/* Non-DTMF signals that a careless detector may mistake for digits. */
static void talkoff_cases(void)
{
    static int16_t buf[MAX_SAMPLES];
    int n = 10 * RATE;
    /* 1: chords. Pure-sine two-note chords where at least one note is more
     *    than 3.5 % from every DTMF frequency (a receiver must reject them),
     *    then the same and other chords played with harmonics (piano-like,
     *    amplitudes 1, 1/2, 1/3, 1/4 and a decay), as music would have them. */
    static const double notes[][3] = {
        {740.0, 1396.9, 0}, {622.3, 1108.7, 0}, {659.3, 1568.0, 0}, {987.8, 1760.0, 0},
        {523.3, 659.3, 784.0}, {440.0, 554.4, 659.3}, {784.0, 1318.5, 0}, {698.5, 1244.5, 0},
        {880.0, 1480.0, 0}, {932.3, 1661.2, 0}, {698.5, 1174.7, 1480.0}, {349.2, 440.0, 523.3},
    };
    memset(buf, 0, sizeof buf);
    for (int c = 0; c < 12; c++) {
        int start = c * RATE * 5 / 6, len = RATE * 2 / 3, harmonics = c < 6 ? 1 : 4;
        for (int t = 0; t < len; t++)
            for (int k = 0; k < 3; k++)
                for (int h = 1; h <= harmonics && notes[c][k] > 0; h++) {
                    double env = harmonics == 1 ? 1.0 : exp(-3.0 * t / RATE);
                    add_sample(&buf[start + t], amp(-12) * env / h * sin(2 * M_PI * h * notes[c][k] * t / RATE));
                }
    }
    emit("talkoff_chords", buf, n, "", "pure chords >3.5% off DTMF pairs; piano-like chords near DTMF pairs");

    /* 1b: a two-voice random melody of harmonic notes (100-400 ms, decaying). */
    memset(buf, 0, sizeof buf);
    rng_state = 2024;
    for (int voice = 0; voice < 2; voice++) {
        int t = 0;
        while (t < 30 * RATE) {
            int len = (int) (RATE * (0.1 + 0.3 * uniform()));
            double f = 220.0 * pow(2.0, floor(uniform() * 36) / 12.0) * (voice ? 2 : 1);
            for (int i = 0; i < len && t + i < 30 * RATE; i++)
                for (int h = 1; h <= 5 && h * f < 3800; h++)
                    add_sample(&buf[t + i], amp(-14) * exp(-4.0 * i / RATE) / h * sin(2 * M_PI * h * f * i / RATE));
            t += len;
        }
    }
    emit("talkoff_melody", buf, 30 * RATE, "", "30 s two-voice random melody, harmonic decaying notes");

    /* 2: harmonic-rich tones (sawtooth-like, 12 harmonics, 1/k) whose harmonics
     *    land on DTMF frequencies: f0 = 697/3, 1209/5, 232.3 etc. */
    static const double f0s[] = {232.33, 241.8, 116.2, 174.25, 139.4, 302.3, 348.5, 403.0};
    memset(buf, 0, sizeof buf);
    for (int c = 0; c < 8; c++) {
        int start = c * RATE * 5 / 4, len = RATE;
        for (int t = 0; t < len; t++) {
            double v = 0;
            for (int h = 1; h <= 12 && h * f0s[c] < 3800; h++) v += sin(2 * M_PI * h * f0s[c] * t / RATE) / h;
            add_sample(&buf[start + t], amp(-10) * v);
        }
    }
    emit("talkoff_harmonic", buf, n, "", "harmonic-rich tones with harmonics on DTMF frequencies");

    /* 3: two simultaneous fast glides (like speech intonation, ~800 Hz/s)
     *    across both groups, and a vibrato note pair (659/1175 Hz, +-1 %, 6 Hz). */
    memset(buf, 0, sizeof buf);
    double ph1 = 0, ph2 = 0;
    for (int t = 0; t < 5 * RATE; t++) {
        double u = fmod((double) t / (RATE / 2), 2.0);
        double tri = u < 1 ? u : 2 - u;
        double f1 = 600 + 400.0 * tri, f2 = 1100 + 650.0 * tri;
        ph1 += 2 * M_PI * f1 / RATE; ph2 += 2 * M_PI * f2 / RATE;
        add_sample(&buf[t], amp(-10) * (sin(ph1) + sin(ph2)));
    }
    for (int t = 0; t < 5 * RATE; t++) {
        double dev = 0.01 * sin(2 * M_PI * 6.0 * t / RATE);
        ph1 += 2 * M_PI * 659.3 * (1 + dev) / RATE; ph2 += 2 * M_PI * 1174.7 * (1 + dev) / RATE;
        add_sample(&buf[5 * RATE + t], amp(-10) * (sin(ph1) + sin(ph2)));
    }
    emit("talkoff_sweeps", buf, n, "", "fast dual glides; vibrato pair on 659/1175 Hz");

    /* 4: three-tone and single-tone signals (two rows + one column, one tone only). */
    memset(buf, 0, sizeof buf);
    for (int c = 0; c < 8; c++) {
        int start = c * RATE, len = RATE / 2;
        for (int t = 0; t < len; t++) {
            double v = sin(2 * M_PI * rows[c % 4] * t / RATE);
            if (c < 4) v += sin(2 * M_PI * rows[(c + 1) % 4] * t / RATE) + sin(2 * M_PI * cols[c % 4] * t / RATE);
            add_sample(&buf[start + t], amp(-10) * v);
        }
    }
    emit("talkoff_multitone", buf, n, "", "two rows plus a column; single row tones");

    /* 5: pink-ish noise bursts (integrated white noise) at a speech-like level. */
    memset(buf, 0, sizeof buf);
    rng_state = 99;
    double lp = 0;
    for (int t = 0; t < n; t++) {
        lp = 0.9 * lp + 0.1 * gauss();
        if ((t / 2000) % 2 == 0) add_sample(&buf[t], lp * 8000.0);
    }
    emit("talkoff_noise", buf, n, "", "low-passed noise bursts");
}

static int gen_corpus(const char *dir)
{
    char path[4096];
    outdir = dir;
    snprintf(path, sizeof path, "%s/manifest.tsv", dir);
    manifest = fopen(path, "w");
    if (!manifest) { perror(path); return 1; }
    const char *all = "123A456B789C*0#D";
    gen_t base = {80, 80, 200, -7.0, 0.0, 0.0, 0.0};
    gen_t g;
    keys_case("nominal", all, base, -999, all, "all 16 keys, -7 dBm0, 80/80 ms");
    double offs[] = {0.015, -0.015, 0.035, -0.035};
    for (int i = 0; i < 4; i++) {
        const char *exp = fabs(offs[i]) < 0.02 ? all : "";
        char name[64], what[128];
        g = base; g.row_off = g.col_off = offs[i];
        snprintf(name, sizeof name, "freq_both_%+.1f", offs[i] * 100);
        snprintf(what, sizeof what, "both tones %+.1f%%", offs[i] * 100);
        keys_case(name, all, g, -999, exp, what);
        g = base; g.row_off = offs[i];
        snprintf(name, sizeof name, "freq_low_%+.1f", offs[i] * 100);
        snprintf(what, sizeof what, "low-group tone %+.1f%%", offs[i] * 100);
        keys_case(name, all, g, -999, exp, what);
        g = base; g.col_off = offs[i];
        snprintf(name, sizeof name, "freq_high_%+.1f", offs[i] * 100);
        snprintf(what, sizeof what, "high-group tone %+.1f%%", offs[i] * 100);
        keys_case(name, all, g, -999, exp, what);
    }
    g = base; g.twist = -8; keys_case("twist_normal_8dB", all, g, -999, all, "low group 8 dB stronger (normal twist)");
    g = base; g.twist = -10; keys_case("twist_normal_10dB", all, g, -999, "", "low group 10 dB stronger");
    g = base; g.twist = 4; keys_case("twist_reverse_4dB", all, g, -999, all, "high group 4 dB stronger (reverse twist)");
    g = base; g.twist = 6; keys_case("twist_reverse_6dB", all, g, -999, "", "high group 6 dB stronger");
    g = base; g.tone_ms = 40; g.gap_ms = 40; keys_case("duration_40ms", all, g, -999, all, "40 ms tones, 40 ms pauses");
    g = base; g.tone_ms = 20; g.gap_ms = 40; keys_case("duration_20ms", all, g, -999, "", "20 ms tones");
    /* Both tones at -7 dBm0: signal power -3.99 dBm0; noise 15 dB below. */
    keys_case("snr_15dB", all, base, -7.0 + 3.01 - 15.0, all, "white noise, 15 dB SNR");
    g = base; g.level = -33; keys_case("level_-26dB", all, g, -999, all, "attenuated by 26 dB (-33 dBm0 per tone)");
    g = base; g.level = -55; keys_case("level_-55dBm0", all, g, -999, "", "-55 dBm0 per tone (below sensitivity)");
    {
        static int16_t buf[MAX_SAMPLES];
        memset(buf, 0, sizeof buf);
        gen_t a = base; a.tone_ms = 60; a.gap_ms = 10; a.lead_ms = 200;
        int p = gen_keys(buf, 0, "5", &a);
        a.lead_ms = 0; a.gap_ms = 300;
        p = gen_keys(buf, p, "5", &a);
        a.gap_ms = 40;
        p = gen_keys(buf, p, "77", &a);
        emit("interruptions", buf, p + RATE / 5, "577", "60+10 ms break+60 ms = one 5; 77 with a 40 ms pause");
    }
    talkoff_cases();
    {
        /* 60 s for speed: a 16-key burst every 4 s over -35 dBm0 noise. */
        static int16_t buf[MAX_SAMPLES];
        char expect[512] = "";
        memset(buf, 0, sizeof buf);
        gen_t s = base; s.lead_ms = 0;
        for (int t = 0; t + 3 * RATE < 60 * RATE; t += 4 * RATE) {
            gen_keys(buf, t + RATE / 2, all, &s);
            strcat(expect, all);
        }
        rng_state = 7;
        add_noise(buf, 60 * RATE, -35);
        emit("speed_60s", buf, 60 * RATE, expect, "60 s, 240 keys over -35 dBm0 noise");
    }
    fclose(manifest);
    return 0;
}

/* ------------------------------------------------------------------ decoding */

static char got[4096];
static size_t got_len;

static void digits_cb(void *user, const char *d, int len)
{
    (void) user;
    for (int i = 0; i < len && got_len + 1 < sizeof got; i++) got[got_len++] = d[i];
    got[got_len] = 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int decode(int argc, char **argv)
{
    int reps = 20, first = 0;
    if (argc >= 2 && !strcmp(argv[0], "-r")) { reps = atoi(argv[1]); first = 2; }
    if (reps < 1) reps = 1;
    for (int a = first; a < argc; a++) {
        int16_t *s = NULL;
        int n = read_wav(argv[a], &s);
        if (n < 0) { printf("%s\tERROR\t0\n", argv[a]); continue; }
        double best = 1e30;
        for (int r = 0; r < reps; r++) {
            dtmf_rx_state_t *rx = dtmf_rx_init(NULL, digits_cb, NULL);
            got_len = 0; got[0] = 0;
            double t0 = now();
            dtmf_rx(rx, s, n);
            /* flush: spandsp reports a digit once it has seen the tone end */
            static const int16_t zeros[800];
            dtmf_rx(rx, zeros, 800);
            double t = now() - t0;
            if (t < best) best = t;
            dtmf_rx_free(rx);
        }
        printf("%s\t%s\t%.0f\n", argv[a], got, (n / (double) RATE) / best);
        free(s);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "gen")) return gen_corpus(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "decode")) return decode(argc - 2, argv + 2);
    fprintf(stderr, "usage: %s gen DIR | %s decode [-r N] WAV...\n", argv[0], argv[0]);
    return 2;
}
