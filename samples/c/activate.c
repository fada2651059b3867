/* A product's activation, in C, through the actline client library.
 *
 *   activate iid     STATE TRUST PRODUCT KEY [FINGERPRINT]   prints the installation ID
 *   activate confirm STATE TRUST PRODUCT CID [FINGERPRINT]   verifies and stores the confirmation ID
 *   activate status  STATE TRUST PRODUCT [FINGERPRINT]       prints where the install stands
 *
 * TRUST is the product's trust data (`actline trust export`). A real product
 * compiles it in, for example with `xxd -i trust.json`, so that swapping a
 * file on disk cannot change what verifies; this sample reads it from a file
 * to stay generic. FINGERPRINT poses as another machine (JSON); without it
 * the library reads this machine's hardware.
 *
 * Build (README, "The client library"):
 *   cc -o activate samples/c/activate.c -Icrates/client/include \
 *      target/release/libactline_client.a -lpthread -ldl -lm
 */
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
            if (!grown) {
                free(buf);
                buf = NULL;
            }
            buf = grown;
        }
    }
    fclose(f);
    if (buf) buf[len] = '\0';
    return buf;
}

static int fail(ActlineCode code) {
    fprintf(stderr, "activate: %s\n", actline_last_error());
    return (int)code;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: activate iid|confirm|status STATE TRUST PRODUCT [ARG] [FINGERPRINT]\n");
        return 2;
    }
    const char *cmd = argv[1], *state = argv[2], *product = argv[4];
    int with_arg = strcmp(cmd, "status") != 0;
    if (with_arg && argc < 6) {
        fprintf(stderr, "activate: %s needs a key or confirmation ID\n", cmd);
        return 2;
    }
    const char *arg = with_arg ? argv[5] : NULL;
    int fp_at = with_arg ? 6 : 5;
    char *trust = slurp(argv[3]);
    char *fingerprint = argc > fp_at ? slurp(argv[fp_at]) : NULL;
    if (!trust || (argc > fp_at && !fingerprint)) return 2;

    ActlineClient *client = NULL;
    ActlineCode code = actline_client_new(state, trust, &client);
    free(trust);
    if (code != ACTLINE_OK) return fail(code);

    if (strcmp(cmd, "iid") == 0) {
        char *iid = NULL;
        code = actline_client_installation_id(client, product, arg, fingerprint, &iid);
        if (code == ACTLINE_OK) {
            printf("%s\n", iid ? iid : "unlocked by a setup key");
            actline_string_free(iid);
        }
    } else if (strcmp(cmd, "confirm") == 0) {
        code = actline_client_confirm(client, product, arg, fingerprint);
        if (code == ACTLINE_OK) printf("activated\n");
    } else if (strcmp(cmd, "status") == 0) {
        ActlineStatus status;
        char *line = NULL;
        code = actline_client_status(client, product, fingerprint, &status, &line);
        if (code == ACTLINE_OK) {
            printf("state %d, %u days left%s\n%s\n", (int)status.state, (unsigned)status.days_left,
                   status.ended ? ", ended" : "", line);
            actline_string_free(line);
        }
    } else {
        fprintf(stderr, "activate: unknown command %s\n", cmd);
        code = ACTLINE_BAD_INPUT;
    }
    free(fingerprint);
    actline_client_free(client);
    return code == ACTLINE_OK ? 0 : fail(code);
}
