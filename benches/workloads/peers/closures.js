// Closures: every round creates a counter closure that updates a captured local, an adder that
// captures a parameter, and their composition, then calls them
// (benches/workloads/svs/closures.svs).
function makeCounter(start, step) {
    let count = start;
    return function () {
        count += step;
        return count;
    };
}
function makeAdder(k) {
    return (x) => x + k;
}
function compose(f, g) {
    return (x) => f(g(x));
}
function main() {
    const rounds = 5000000;
    const double = (x) => x * 2;
    let total = 0;
    for (let r = 0; r < rounds; r++) {
        const counter = makeCounter(r % 100, r % 7 + 1);
        counter();
        counter();
        const h = compose(makeAdder(r % 13), double);
        total = (total + counter() + h(r % 1000)) % 1000000007;
    }
    console.log(total);
}
main();
