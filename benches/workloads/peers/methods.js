// Method calls on objects: three classes share one protocol (area, grow, shrink) and are
// called on a mixed array (benches/workloads/svs/methods.svs).
class Shape {
    constructor(w, h) { this.w = w; this.h = h; }
    grow(k) {
        this.w = (this.w + k) % 97 + 1;
        this.h = (this.h + 2 * k) % 89 + 1;
    }
    shrink() { if (this.w > 2) this.w = this.w - 1; }
}
class Rect extends Shape { area() { return this.w * this.h; } }
class Square extends Shape { area() { return this.w * this.w; } }
class Tri extends Shape { area() { return Math.trunc(this.w * this.h / 2); } }
function main() {
    const rounds = 20000000;
    const shapes = [];
    for (let i = 0; i < 30; i++) {
        if (i % 3 === 0) shapes.push(new Rect(i + 1, i + 2));
        else if (i % 3 === 1) shapes.push(new Square(i + 3, i + 3));
        else shapes.push(new Tri(i + 4, i + 5));
    }
    const n = shapes.length;
    let total = 0, check = 0;
    for (let r = 0; r < rounds; r++) {
        const s = shapes[r % n];
        const a = s.area();
        total += a;
        if (a % 2 === 0) s.grow(r % 5); else s.shrink();
        check = (check * 31 + a) % 1000003;
    }
    console.log(total);
    console.log(check);
}
main();
