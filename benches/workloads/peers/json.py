# JSON round-trips with the standard json module (compact separators, as json_stringify
# writes); see benches/workloads/svs/json.svs.
import sys

# This file is named json.py, and Python puts the script's directory first on the module
# path: drop it so that `import json` finds the standard library's module, not this file.
del sys.path[0]
import json  # noqa: E402


def record(i):
    return {
        "id": i,
        "name": "user" + str(i),
        "active": i % 3 == 0,
        "scores": [i % 10, i % 7, i % 5],
        "pos": {"x": i % 100, "y": i % 37},
    }


def dumps(v):
    return json.dumps(v, separators=(",", ":"))


def main():
    rounds = 2000
    n = 100
    data = [record(i) for i in range(n)]
    total = 0
    check = 0
    same = 0
    for r in range(rounds):
        data[r % n]["pos"]["x"] = r % 1000
        text = dumps({"round": r, "items": data})
        back = json.loads(text)
        total += len(text)
        it = back["items"][(r * 7) % n]
        check = (check * 31 + it["pos"]["x"] + it["scores"][1] + len(it["name"]) + back["round"]) % 1000003
        if it["active"]:
            check = (check + 1) % 1000003
        if dumps(back) == text:
            same += 1
    print(total)
    print(check)
    print(same)


main()
