// JSON round-trips with JSON.stringify / JSON.parse; see benches/workloads/svs/json.svs.
function record(i) {
    return {
        id: i,
        name: "user" + String(i),
        active: i % 3 === 0,
        scores: [i % 10, i % 7, i % 5],
        pos: { x: i % 100, y: i % 37 },
    };
}
function main() {
    const rounds = 2000;
    const n = 100;
    const data = [];
    for (let i = 0; i < n; i++) data.push(record(i));
    let total = 0, check = 0, same = 0;
    for (let r = 0; r < rounds; r++) {
        data[r % n].pos.x = r % 1000;
        const text = JSON.stringify({ round: r, items: data });
        const back = JSON.parse(text);
        total += text.length;
        const it = back.items[(r * 7) % n];
        check = (check * 31 + it.pos.x + it.scores[1] + it.name.length + back.round) % 1000003;
        if (it.active) check = (check + 1) % 1000003;
        if (JSON.stringify(back) === text) same += 1;
    }
    console.log(total);
    console.log(check);
    console.log(same);
}
main();
