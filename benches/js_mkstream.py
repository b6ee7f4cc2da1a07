#!/usr/bin/env python3
"""Creates the stream `BENCH` (subject `natrium.bench`, file storage) on the NATS server at
127.0.0.1:PORT through `$JS.API.STREAM.CREATE`, for the JetStream rows of docs/benchmarks.md:
natrium-bench's request/reply mode then publishes to `natrium.bench` and times each PubAck.

Usage: benches/js_mkstream.py PORT
"""

import json
import socket
import sys


def main():
    port = int(sys.argv[1])
    body = json.dumps({"name": "BENCH", "subjects": ["natrium.bench"], "storage": "file"})
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.recv(65536)  # INFO
        conn.sendall(
            b'CONNECT {"verbose":false,"pedantic":false}\r\n'
            b"SUB _INBOX.mkstream 1\r\n"
            + f"PUB $JS.API.STREAM.CREATE.BENCH _INBOX.mkstream {len(body)}\r\n{body}\r\n".encode()
        )
        reply = b""
        while b"stream_create_response" not in reply:
            chunk = conn.recv(65536)
            if not chunk:
                sys.exit("the server closed the connection")
            reply += chunk
    if b'"error"' in reply:
        sys.exit(reply.decode(errors="replace"))
    print("stream BENCH ready")


if __name__ == "__main__":
    main()
