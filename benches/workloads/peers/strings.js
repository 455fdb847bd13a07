// String building: concatenation in a loop, template literals, length, slicing, indexing,
// comparison and parseInt on the pieces (benches/workloads/svs/strings.svs).
function row(r) {
    let s = "";
    for (let k = 0; k < 8; k++) {
        s = s + "item" + String(r + k) + ",";
    }
    return s;
}
function main() {
    const rows = 600000;
    let total = 0, check = 0, small = 0;
    for (let r = 0; r < rows; r++) {
        const s = row(r);
        const line = `${r % 1000}:${s.length}|${s}`;
        total += line.length;
        const digit = line[line.length - 2];
        const mid = line.slice(6, 14);
        if (mid < "item5") small += 1;
        check = (check * 31 + parseInt(digit, 10) + mid.length) % 1000003;
    }
    console.log(total);
    console.log(small);
    console.log(check);
}
main();
