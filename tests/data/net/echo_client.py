"""A client in Python's standard library for examples/echo_server.svs, for tests/suite/net.rs.

Usage: echo_client.py PORT. Runs 20 threads, each with its own connection sending 50 lines of
mixed ASCII and non-ASCII text and checking every echo byte for byte, then sends "quit". Prints
"ok LINES BYTES" and exits 0, or prints the first mismatch and exits 1.
"""
import socket
import sys
import threading

PORT = int(sys.argv[1])
CLIENTS = 20
MESSAGES = 50
failures = []
totals = []


def client(cid):
    sent = 0
    with socket.create_connection(("127.0.0.1", PORT), timeout=30) as sock:
        replies = sock.makefile("rb")
        for i in range(MESSAGES):
            line = f"py {cid} {i} " + "żółw " * (i % 7) + "end"
            data = (line + "\n").encode("utf-8")
            sock.sendall(data)
            echo = replies.readline()
            if echo != data:
                failures.append(f"client {cid} message {i}: sent {data!r}, got {echo!r}")
                return
            sent += len(data)
    totals.append(sent)


threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
with socket.create_connection(("127.0.0.1", PORT), timeout=30) as sock:
    sock.sendall(b"quit\n")
if failures or len(totals) != CLIENTS:
    print(failures[:1] or "a client failed", flush=True)
    sys.exit(1)
print("ok", CLIENTS * MESSAGES, sum(totals), flush=True)
