/* Method calls on objects: three kinds of shape share one protocol (area, grow, shrink)
 * through a table of function pointers, called on a mixed array
 * (benches/workloads/svs/methods.svs). */
#include <stdio.h>
#include <stdlib.h>

typedef struct Shape Shape;
typedef struct {
    long (*area)(const Shape *);
    void (*grow)(Shape *, long);
    void (*shrink)(Shape *);
} Methods;
struct Shape { const Methods *m; long w, h; };

static long rect_area(const Shape *s) { return s->w * s->h; }
static long square_area(const Shape *s) { return s->w * s->w; }
static long tri_area(const Shape *s) { return s->w * s->h / 2; }
static void grow(Shape *s, long k) {
    s->w = (s->w + k) % 97 + 1;
    s->h = (s->h + 2 * k) % 89 + 1;
}
static void shrink(Shape *s) { if (s->w > 2) s->w = s->w - 1; }
static const Methods RECT = {rect_area, grow, shrink};
static const Methods SQUARE = {square_area, grow, shrink};
static const Methods TRI = {tri_area, grow, shrink};

static Shape *make(const Methods *m, long w, long h) {
    Shape *s = malloc(sizeof *s);
    s->m = m;
    s->w = w;
    s->h = h;
    return s;
}

int main(void) {
    long rounds = 20000000;
    Shape *shapes[30];
    for (int i = 0; i < 30; i++) {
        if (i % 3 == 0) shapes[i] = make(&RECT, i + 1, i + 2);
        else if (i % 3 == 1) shapes[i] = make(&SQUARE, i + 3, i + 3);
        else shapes[i] = make(&TRI, i + 4, i + 5);
    }
    /* volatile: keeps gcc from resolving every call site to one function at compile time */
    volatile long n = 30;
    long total = 0, check = 0;
    for (long r = 0; r < rounds; r++) {
        Shape *s = shapes[r % n];
        long a = s->m->area(s);
        total += a;
        if (a % 2 == 0) s->m->grow(s, r % 5); else s->m->shrink(s);
        check = (check * 31 + a) % 1000003;
    }
    printf("%ld\n%ld\n", total, check);
    for (int i = 0; i < 30; i++) free(shapes[i]);
    return 0;
}
