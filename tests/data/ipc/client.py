"""A JSON-RPC 2.0 client in Python's standard library for examples/device_daemon.svs, for
tests/suite/ipc.rs.

Usage: client.py SOCKET_PATH. Four threads with a connection each pipeline calls (answers
matched by id), then one connection checks a batch, notifications, every error code, and that
the answers are exactly what JSON-RPC 2.0 prescribes. Prints "ok CALLS" and exits 0, or prints
the first problem and exits 1.
"""
import json
import socket
import sys
import threading

PATH = sys.argv[1]
failures = []
done = []


def connect():
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(30)
    sock.connect(PATH)
    return sock, sock.makefile("rb")


def pipelined(cid, calls=200, window=16):
    sock, replies = connect()
    with sock:
        sent = {}
        next_id = 0
        while next_id < calls or sent:
            while next_id < calls and len(sent) < window:
                rid = f"py-{cid}-{next_id}"
                params = {"client": cid, "n": next_id, "text": "żółw ☃"}
                sent[rid] = params
                msg = {"jsonrpc": "2.0", "method": "echo", "params": params, "id": rid}
                sock.sendall((json.dumps(msg, ensure_ascii=False) + "\n").encode())
                next_id += 1
            resp = json.loads(replies.readline())
            want = sent.pop(resp.get("id"), None)
            if resp.get("jsonrpc") != "2.0" or want is None or resp.get("result") != want:
                failures.append(f"client {cid}: unexpected answer {resp!r}")
                return
    done.append(calls)


def check(sock, replies, line, expect):
    sock.sendall(line.encode() + b"\n")
    got = json.loads(replies.readline())
    if not expect(got):
        failures.append(f"sent {line!r}, got {got!r}")


def error_code(code, rid=None):
    return lambda r: r.get("error", {}).get("code") == code and r.get("id") == rid and "result" not in r


def protocol():
    sock, replies = connect()
    with sock:
        check(sock, replies, '{"jsonrpc":"2.0","method":"power.get","id":1}',
              lambda r: r == {"jsonrpc": "2.0", "result": "on", "id": 1})
        batch = [
            {"jsonrpc": "2.0", "method": "echo", "params": [1], "id": "a"},
            {"jsonrpc": "2.0", "method": "echo", "params": [2]},
            {"jsonrpc": "2.0", "method": "nope", "id": "b"},
            7,
        ]
        sock.sendall((json.dumps(batch) + "\n").encode())
        answers = json.loads(replies.readline())
        by_id = {a.get("id"): a for a in answers}
        if len(answers) != 3 or by_id["a"].get("result") != [1] or \
                by_id["b"]["error"]["code"] != -32601 or by_id[None]["error"]["code"] != -32600:
            failures.append(f"batch: {answers!r}")
        # Notifications only: no answer at all; the next call's answer comes first.
        sock.sendall(b'[{"jsonrpc":"2.0","method":"echo","params":[0]}]\n')
        sock.sendall(b'{"jsonrpc":"2.0","method":"echo","params":[9]}\n')
        check(sock, replies, '{"jsonrpc":"2.0","method":"echo","params":{"k":1},"id":2}',
              lambda r: r.get("result") == {"k": 1} and r.get("id") == 2)
        check(sock, replies, '{"jsonrpc":"2.0","method":"echo"', error_code(-32700))
        check(sock, replies, '{"jsonrpc":"2.0","method":3,"id":4}', error_code(-32600, 4))
        check(sock, replies, '{"jsonrpc":"2.0","method":"x.y","id":5}', error_code(-32601, 5))
        check(sock, replies, '{"jsonrpc":"2.0","method":"power.set","params":{"state":"up"},"id":6}',
              error_code(-32602, 6))
        check(sock, replies, '{"jsonrpc":"2.0","method":"power.set","params":{"state":"off"},"id":7}',
              lambda r: r.get("result") == {"from": "on", "to": "off"})
        check(sock, replies, '{"jsonrpc":"2.0","method":"display.set_theme","params":{"theme":"dark"},"id":8}',
              lambda r: error_code(-32000, 8)(r) and r["error"]["message"] == "display is off")
        check(sock, replies, '{"jsonrpc":"2.0","method":"rpc.discover","id":9}',
              lambda r: "window.open" in r.get("result", {}).get("methods", []))


threads = [threading.Thread(target=pipelined, args=(c,)) for c in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if not failures:
    protocol()
if failures or len(done) != 4:
    print(failures[:1] or "a client failed", flush=True)
    sys.exit(1)
print("ok", sum(done), flush=True)
