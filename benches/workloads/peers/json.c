/* JSON round-trips; see benches/workloads/svs/json.svs. C has no standard JSON library, so this
 * file carries a small general one: a value tree (objects keep their key order), a serialiser
 * into a growable buffer and a recursive-descent parser. Numbers are integers only (all the
 * workload uses); strings support the escapes json_stringify writes except \u. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { J_BOOL, J_INT, J_STR, J_ARR, J_OBJ } Kind;
typedef struct Value Value;
struct Value {
    Kind kind;
    long i;            /* J_BOOL, J_INT */
    char *s;           /* J_STR */
    size_t n, cap;     /* J_ARR, J_OBJ: element count */
    Value **items;     /* J_ARR elements, J_OBJ values */
    char **keys;       /* J_OBJ keys, in insertion order */
};

static Value *new_value(Kind k) {
    Value *v = calloc(1, sizeof *v);
    v->kind = k;
    return v;
}
static Value *j_int(long i) { Value *v = new_value(J_INT); v->i = i; return v; }
static Value *j_bool(int b) { Value *v = new_value(J_BOOL); v->i = b; return v; }
static Value *j_str(const char *s, size_t n) {
    Value *v = new_value(J_STR);
    v->s = malloc(n + 1);
    memcpy(v->s, s, n);
    v->s[n] = 0;
    return v;
}
static void grow(Value *v) {
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 4;
        v->items = realloc(v->items, v->cap * sizeof *v->items);
        if (v->kind == J_OBJ) v->keys = realloc(v->keys, v->cap * sizeof *v->keys);
    }
}
static void push(Value *a, Value *x) { grow(a); a->items[a->n++] = x; }
static Value *get(const Value *o, const char *k) {
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->keys[i], k) == 0) return o->items[i];
    return NULL;
}
/* set: a new key goes to the end, an existing one keeps its place (the old value is freed). */
static void free_value(Value *v);
static void set(Value *o, const char *k, size_t kn, Value *x) {
    for (size_t i = 0; i < o->n; i++)
        if (strlen(o->keys[i]) == kn && memcmp(o->keys[i], k, kn) == 0) {
            free_value(o->items[i]);
            o->items[i] = x;
            return;
        }
    grow(o);
    o->keys[o->n] = malloc(kn + 1);
    memcpy(o->keys[o->n], k, kn);
    o->keys[o->n][kn] = 0;
    o->items[o->n++] = x;
}
static void set_c(Value *o, const char *k, Value *x) { set(o, k, strlen(k), x); }
static void free_value(Value *v) {
    if (v->kind == J_STR) free(v->s);
    for (size_t i = 0; i < v->n; i++) {
        if (v->kind == J_ARR || v->kind == J_OBJ) free_value(v->items[i]);
        if (v->kind == J_OBJ) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v);
}

typedef struct { char *p; size_t len, cap; } Buf;
static void put(Buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}
static void put_char(Buf *b, char c) {
    if (b->len + 2 > b->cap) put(b, &c, 1);
    else { b->p[b->len++] = c; b->p[b->len] = 0; }
}
/* Copies runs of characters that need no escape in one go. */
static void put_str(Buf *b, const char *s) {
    put_char(b, '"');
    for (;;) {
        size_t run = strcspn(s, "\"\\\n\r\t");
        put(b, s, run);
        s += run;
        if (!*s) break;
        switch (*s++) {
        case '"': put(b, "\\\"", 2); break;
        case '\\': put(b, "\\\\", 2); break;
        case '\n': put(b, "\\n", 2); break;
        case '\r': put(b, "\\r", 2); break;
        default: put(b, "\\t", 2); break;
        }
    }
    put_char(b, '"');
}
static void put_int(Buf *b, long i) {
    char num[24];
    char *e = num + sizeof num, *p = e;
    unsigned long u = i < 0 ? 0UL - (unsigned long)i : (unsigned long)i;
    do { *--p = (char)('0' + u % 10); u /= 10; } while (u);
    if (i < 0) *--p = '-';
    put(b, p, (size_t)(e - p));
}
static void encode(const Value *v, Buf *b) {
    switch (v->kind) {
    case J_INT: put_int(b, v->i); break;
    case J_BOOL: v->i ? put(b, "true", 4) : put(b, "false", 5); break;
    case J_STR: put_str(b, v->s); break;
    case J_ARR:
        put_char(b, '[');
        for (size_t i = 0; i < v->n; i++) {
            if (i) put_char(b, ',');
            encode(v->items[i], b);
        }
        put_char(b, ']');
        break;
    case J_OBJ:
        put_char(b, '{');
        for (size_t i = 0; i < v->n; i++) {
            if (i) put_char(b, ',');
            put_str(b, v->keys[i]);
            put_char(b, ':');
            encode(v->items[i], b);
        }
        put_char(b, '}');
        break;
    }
}
static char *stringify(const Value *v, size_t *len) {
    Buf b = {0, 0, 0};
    put(&b, "", 0);
    encode(v, &b);
    *len = b.len;
    return b.p;
}

static void fail(const char *what) { fprintf(stderr, "json: %s\n", what); exit(1); }
static const char *ws(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}
/* Parses a string at p (on its opening quote) into a fresh buffer; returns the end. */
static const char *parse_str(const char *p, Buf *out) {
    out->len = 0;
    put(out, "", 0);
    for (p++; *p != '"'; p++) {
        if (!*p) fail("unterminated string");
        if (*p != '\\') { put(out, p, 1); continue; }
        p++;
        char c;
        switch (*p) {
        case '"': case '\\': case '/': c = *p; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        default: fail("unsupported escape"); return p;
        }
        put(out, &c, 1);
    }
    return p + 1;
}
static const char *parse_value(const char *p, Value **out, Buf *tmp) {
    p = ws(p);
    if (*p == '{') {
        Value *o = new_value(J_OBJ);
        p = ws(p + 1);
        if (*p == '}') { *out = o; return p + 1; }
        for (;;) {
            p = ws(p);
            if (*p != '"') fail("expected a key");
            p = parse_str(p, tmp);
            char *key = malloc(tmp->len + 1);
            memcpy(key, tmp->p, tmp->len + 1);
            size_t kn = tmp->len;
            p = ws(p);
            if (*p != ':') fail("expected ':'");
            Value *x;
            p = parse_value(p + 1, &x, tmp);
            set(o, key, kn, x);
            free(key);
            p = ws(p);
            if (*p == '}') { *out = o; return p + 1; }
            if (*p != ',') fail("expected ',' or '}'");
            p++;
        }
    }
    if (*p == '[') {
        Value *a = new_value(J_ARR);
        p = ws(p + 1);
        if (*p == ']') { *out = a; return p + 1; }
        for (;;) {
            Value *x;
            p = parse_value(p, &x, tmp);
            push(a, x);
            p = ws(p);
            if (*p == ']') { *out = a; return p + 1; }
            if (*p != ',') fail("expected ',' or ']'");
            p++;
        }
    }
    if (*p == '"') {
        p = parse_str(p, tmp);
        *out = j_str(tmp->p, tmp->len);
        return p;
    }
    if (strncmp(p, "true", 4) == 0) { *out = j_bool(1); return p + 4; }
    if (strncmp(p, "false", 5) == 0) { *out = j_bool(0); return p + 5; }
    char *end;
    long i = strtol(p, &end, 10);
    if (end == p) fail("unexpected character");
    *out = j_int(i);
    return end;
}
static Value *parse(const char *text) {
    Buf tmp = {0, 0, 0};
    Value *v;
    parse_value(text, &v, &tmp);
    free(tmp.p);
    return v;
}

static Value *record(long i) {
    char name[32];
    int n = snprintf(name, sizeof name, "user%ld", i);
    Value *r = new_value(J_OBJ);
    set_c(r, "id", j_int(i));
    set_c(r, "name", j_str(name, (size_t)n));
    set_c(r, "active", j_bool(i % 3 == 0));
    Value *scores = new_value(J_ARR);
    push(scores, j_int(i % 10));
    push(scores, j_int(i % 7));
    push(scores, j_int(i % 5));
    set_c(r, "scores", scores);
    Value *pos = new_value(J_OBJ);
    set_c(pos, "x", j_int(i % 100));
    set_c(pos, "y", j_int(i % 37));
    set_c(r, "pos", pos);
    return r;
}

int main(void) {
    long rounds = 2000;
    long n = 100;
    Value *data = new_value(J_ARR);
    for (long i = 0; i < n; i++) push(data, record(i));
    long total = 0, check = 0, same = 0;
    for (long r = 0; r < rounds; r++) {
        get(data->items[r % n], "pos")->items[0]->i = r % 1000;
        /* The wrapper object borrows data: its items pointer is detached before freeing. */
        Value *wrapper = new_value(J_OBJ);
        set_c(wrapper, "round", j_int(r));
        set_c(wrapper, "items", data);
        size_t len, len2;
        char *text = stringify(wrapper, &len);
        wrapper->items[1] = j_int(0);
        free_value(wrapper);
        Value *back = parse(text);
        total += (long)len;
        Value *it = get(back, "items")->items[(r * 7) % n];
        check = (check * 31 + get(get(it, "pos"), "x")->i + get(it, "scores")->items[1]->i
                 + (long)strlen(get(it, "name")->s) + get(back, "round")->i) % 1000003;
        if (get(it, "active")->i) check = (check + 1) % 1000003;
        char *again = stringify(back, &len2);
        if (len2 == len && memcmp(again, text, len) == 0) same++;
        free(again);
        free(text);
        free_value(back);
    }
    free_value(data);
    printf("%ld\n%ld\n%ld\n", total, check, same);
    return 0;
}
