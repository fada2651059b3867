/* Site activation, in C, through the actline client library: a lease from
 * the site host on the customer's own network, renewed by the library when
 * it is due.
 *
 *   site activate STATE TRUST PRODUCT HOST KEY|- [FINGERPRINT]   asks HOST (name:port) for a lease; prints the outcome (JSON)
 *   site renew    STATE TRUST PRODUCT [FINGERPRINT]              renews the lease if it is due; prints "renewed" or "not due"
 *
 * KEY is the product's volume key, needed the first time; "-" uses the key
 * stored by an earlier call. A product calls the renewal at every start.
 * TRUST is the product's trust data (`actline trust export`), which a real
 * product compiles in (see activate.c). FINGERPRINT poses as another
 * machine (JSON); without it the library reads this machine's hardware.
 * The exit status is the call's code: 0 leased (or nothing due), 1 the
 * host cannot be reached, 2 bad input or refused, 3 not yet (the host
 * counts fewer machines than its threshold), 4 verification failed.
 *
 * Build (README, "The client library"):
 *   cc -o site samples/c/site.c -Icrates/client/include \
 *      target/release/libactline_client.a -lpthread -ldl -lm
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actline_client.h"

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown) free(buf);
            buf = grown;
        }
    }
    fclose(f);
    if (buf) buf[len] = '\0';
    return buf;
}

static void usage(void) {
    fprintf(stderr,
            "usage: site activate STATE TRUST PRODUCT HOST KEY|- [FINGERPRINT]\n"
            "       site renew    STATE TRUST PRODUCT [FINGERPRINT]\n");
}

int main(int argc, char **argv) {
    if (argc < 5) {
        usage();
        return 2;
    }
    const char *cmd = argv[1], *state = argv[2], *product = argv[4];
    int activate = strcmp(cmd, "activate") == 0;
    if (!activate && strcmp(cmd, "renew") != 0) {
        usage();
        return 2;
    }
    if (activate && argc < 7) {
        usage();
        return 2;
    }
    int fp_at = activate ? 7 : 5;
    char *trust = slurp(argv[3]);
    char *fingerprint = argc > fp_at ? slurp(argv[fp_at]) : NULL;
    if (!trust || (argc > fp_at && !fingerprint)) return 2;

    ActlineClient *client = NULL;
    ActlineCode code = actline_client_new(state, trust, &client);
    free(trust);
    if (code == ACTLINE_OK && activate) {
        const char *key = strcmp(argv[6], "-") == 0 ? NULL : argv[6];
        char *outcome = NULL;
        code = actline_site_activate(client, argv[5], product, key, fingerprint, &outcome);
        /* A counting host still says how far it is: the outcome comes with
         * ACTLINE_NOT_YET too. */
        if (outcome) printf("%s\n", outcome);
        actline_string_free(outcome);
    } else if (code == ACTLINE_OK) {
        bool renewed = false;
        code = actline_site_renew_if_due(client, product, fingerprint, &renewed);
        if (code == ACTLINE_OK) printf("%s\n", renewed ? "renewed" : "not due");
    }
    if (code != ACTLINE_OK) fprintf(stderr, "site: %s\n", actline_last_error());
    free(fingerprint);
    actline_client_free(client);
    return (int)code;
}
