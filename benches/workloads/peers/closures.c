/* Closures: C has none, so each closure is a heap-allocated environment plus a function
 * pointer, the way a compiler lowers them. Every round creates a counter that updates its
 * captured count, an adder that captures k, and their composition, then calls them
 * (benches/workloads/svs/closures.svs). */
#include <stdio.h>
#include <stdlib.h>

typedef struct Closure Closure;
struct Closure {
    long (*fn)(Closure *, long);
    long a, b;          /* captured integers */
    Closure *f, *g;     /* captured closures */
};

static Closure *closure(long (*fn)(Closure *, long), long a, long b, Closure *f, Closure *g) {
    Closure *c = malloc(sizeof *c);
    c->fn = fn;
    c->a = a;
    c->b = b;
    c->f = f;
    c->g = g;
    return c;
}
static long call(Closure *c, long x) { return c->fn(c, x); }

static long counter_next(Closure *c, long x) { (void)x; c->a += c->b; return c->a; }
static long adder(Closure *c, long x) { return x + c->a; }
static long doubler(Closure *c, long x) { (void)c; return x * 2; }
static long composed(Closure *c, long x) { return call(c->f, call(c->g, x)); }

int main(void) {
    long rounds = 5000000;
    Closure *dbl = closure(doubler, 0, 0, 0, 0);
    long total = 0;
    for (long r = 0; r < rounds; r++) {
        Closure *counter = closure(counter_next, r % 100, r % 7 + 1, 0, 0);
        call(counter, 0);
        call(counter, 0);
        Closure *add = closure(adder, r % 13, 0, 0, 0);
        Closure *h = closure(composed, 0, 0, add, dbl);
        total = (total + call(counter, 0) + call(h, r % 1000)) % 1000000007;
        free(counter);
        free(add);
        free(h);
    }
    free(dbl);
    printf("%ld\n", total);
    return 0;
}
