/* String building: appending to a growable buffer, snprintf, lengths, substrings, comparison
 * and digit parsing on the pieces (benches/workloads/svs/strings.svs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { char *p; size_t len, cap; } Str;

static void append(Str *s, const char *t, size_t n) {
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->p = realloc(s->p, s->cap);
    }
    memcpy(s->p + s->len, t, n);
    s->len += n;
    s->p[s->len] = 0;
}

static Str row(long r) {
    Str s = {0, 0, 0};
    append(&s, "", 0);
    char num[24];
    for (int k = 0; k < 8; k++) {
        int n = snprintf(num, sizeof num, "%ld", r + k);
        append(&s, "item", 4);
        append(&s, num, (size_t)n);
        append(&s, ",", 1);
    }
    return s;
}

int main(void) {
    long rows = 600000;
    long total = 0, check = 0, small = 0;
    for (long r = 0; r < rows; r++) {
        Str s = row(r);
        size_t cap = s.len + 64;
        char *line = malloc(cap);
        int n = snprintf(line, cap, "%ld:%zu|%s", r % 1000, s.len, s.p);
        total += n;
        int digit = line[n - 2] - '0';
        char mid[9];
        memcpy(mid, line + 6, 8);
        mid[8] = 0;
        if (strcmp(mid, "item5") < 0) small++;
        check = (check * 31 + digit + (long)strlen(mid)) % 1000003;
        free(line);
        free(s.p);
    }
    printf("%ld\n%ld\n%ld\n", total, small, check);
    return 0;
}
