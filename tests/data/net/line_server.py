"""A line server in Python's standard library, for tests/suite/net.rs: a SolvraScript client
(client.svs) talks to it over TCP or a Unix domain socket.

Usage: line_server.py tcp | unix PATH. Prints the TCP port (or "ready") on its first line, serves
one connection, then exits. Each line is answered with the line reversed; "bulk" is answered with
a 100000-character line; at the client's end of stream the server says "bye" and closes.
"""
import socket
import sys


def serve(conn):
    with conn, conn.makefile("rb") as lines:
        for raw in lines:
            line = raw.decode("utf-8").rstrip("\n")
            if line == "bulk":
                reply = "x" * 100000
            else:
                reply = line[::-1]
            conn.sendall((reply + "\n").encode("utf-8"))
        conn.sendall(b"bye")


def main():
    if sys.argv[1] == "tcp":
        listener = socket.create_server(("127.0.0.1", 0))
        print(listener.getsockname()[1], flush=True)
    else:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(sys.argv[2])
        listener.listen()
        print("ready", flush=True)
    listener.settimeout(30)
    conn, _ = listener.accept()
    conn.settimeout(30)
    serve(conn)
    listener.close()


main()
