#!/usr/bin/env python3
"""JetStream API parity audit: natrium against the Go nats-server.

Starts the Go nats-server and natrium (each with `-js -sd <fresh temp dir> -p <free port>` on
127.0.0.1), sends both the same sequence of `$JS.API.*` requests and JetStream publishes over a
raw NATS protocol socket (so status lines and headers are captured byte for byte), then diffs
every answer structurally: keys missing in natrium, keys only natrium sends, value types, and
values (ids, timestamps, server names, random ephemeral names are compared by presence and type
only). Answers of natrium that say "not supported by natrium yet" are listed separately as
intentional gaps.

Every request has a timeout, the whole run has a deadline (--deadline-s), both servers are
stopped by the PID this script started, and the temp dirs are removed.

Usage: benches/parity/js_api_parity.py [--go PATH] [--natrium PATH] [--json OUT]
                                       [--dump DIR] [--only SUBSTR] [--deadline-s N]
Exit status: 0 when the run completed (differences are the report, not a failure),
             1 when --strict is given and differences were found, 2 on a setup error.
"""

import argparse
import base64
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_GO = os.path.join(ROOT, "target/compare/venv/bin/nats-server")
DEFAULT_NATRIUM = os.path.join(ROOT, "target/debug/natrium")
REQUEST_TIMEOUT_S = 2.0
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0

# Keys whose values legitimately differ between two servers (times, ids, names of the server);
# they are compared by presence and JSON type only.
VOLATILE_KEYS = {
    "created", "ts", "first_ts", "last_ts", "last_active", "time", "server_id", "server_name",
    "leader", "_nats.ver", "Nats-Time-Stamp", "Nats-Last-Consumer",
}
GAP_MARKER = "not supported by natrium"


# --------------------------------------------------------------------------- raw NATS client


class Msg:
    def __init__(self, subject, reply, raw_headers, payload):
        self.subject = subject
        self.reply = reply
        self.raw_headers = raw_headers
        self.payload = payload
        self.status_line = None
        self.status = None
        self.description = None
        self.headers = {}
        if raw_headers is not None:
            lines = raw_headers.decode("utf-8", "replace").split("\r\n")
            self.status_line = lines[0]
            rest = lines[0][len("NATS/1.0"):].strip()
            if rest:
                self.status = rest[:3]
                self.description = rest[3:].strip()
            for line in lines[1:]:
                if not line:
                    continue
                key, _, value = line.partition(":")
                self.headers.setdefault(key, []).append(value.strip())


class Client:
    """A minimal NATS client over one socket: a reader thread dispatches MSG/HMSG by sid."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.lock = threading.Lock()
        self.closed = False
        self.subs = {}
        self.next_sid = 0
        self.next_inbox = 0
        self.pongs = queue.Queue()
        self.errors = []
        buf = b""
        while b"\r\n" not in buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("server closed the connection before INFO")
            buf += chunk
        self.info = json.loads(buf.split(b"\r\n", 1)[0][5:])
        self.sock.settimeout(0.2)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        connect = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True,
                   "protocol": 1, "lang": "python-parity", "version": "0"}
        self._send(b"CONNECT " + json.dumps(connect).encode() + b"\r\n")
        self.flush()

    def _send(self, data):
        with self.lock:
            self.sock.sendall(data)

    def flush(self, timeout=REQUEST_TIMEOUT_S):
        self._send(b"PING\r\n")
        self.pongs.get(timeout=timeout)

    def _read(self):
        buf = b""
        while not self.closed:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            while True:
                end = buf.find(b"\r\n")
                if end < 0:
                    break
                line = buf[:end]
                if line.startswith((b"MSG ", b"HMSG ")):
                    parts = line.split()
                    if parts[0] == b"MSG":
                        reply = parts[3] if len(parts) == 5 else None
                        hlen, total = 0, int(parts[-1])
                    else:
                        reply = parts[3] if len(parts) == 6 else None
                        hlen, total = int(parts[-2]), int(parts[-1])
                    need = end + 2 + total + 2
                    if len(buf) < need:
                        break
                    body = buf[end + 2:end + 2 + total]
                    buf = buf[need:]
                    msg = Msg(parts[1].decode(), reply.decode() if reply else None,
                              body[:hlen] if parts[0] == b"HMSG" else None, body[hlen:])
                    sink = self.subs.get(int(parts[2]))
                    if sink is not None:
                        sink.put(msg)
                    continue
                buf = buf[end + 2:]
                if line == b"PING":
                    self._send(b"PONG\r\n")
                elif line == b"PONG":
                    self.pongs.put(True)
                elif line.startswith(b"-ERR"):
                    self.errors.append(line.decode(errors="replace"))

    def subscribe(self, subject):
        self.next_sid += 1
        sid = self.next_sid
        self.subs[sid] = queue.Queue()
        self._send(f"SUB {subject} {sid}\r\n".encode())
        return sid

    def unsubscribe(self, sid):
        self._send(f"UNSUB {sid}\r\n".encode())
        self.subs.pop(sid, None)

    def publish(self, subject, payload=b"", reply=None, headers=None):
        if isinstance(payload, str):
            payload = payload.encode()
        reply_part = f" {reply}" if reply else ""
        if headers is None:
            self._send(f"PUB {subject}{reply_part} {len(payload)}\r\n".encode() + payload + b"\r\n")
            return
        hdr = "NATS/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        hdr = hdr.encode()
        self._send(f"HPUB {subject}{reply_part} {len(hdr)} {len(hdr) + len(payload)}\r\n".encode()
                   + hdr + payload + b"\r\n")

    def new_inbox(self):
        self.next_inbox += 1
        return f"_INBOX.parity.{self.next_inbox}"

    def request_many(self, subject, payload=b"", headers=None, timeout=REQUEST_TIMEOUT_S,
                     until=lambda msgs: len(msgs) >= 1, settle=0.0):
        """Publishes with a fresh inbox and collects replies until `until(msgs)` or timeout;
        then waits `settle` seconds more for anything extra."""
        inbox = self.new_inbox()
        sid = self.subscribe(inbox)
        sink = self.subs[sid]
        self.publish(subject, payload, reply=inbox, headers=headers)
        msgs = []
        deadline = time.monotonic() + timeout
        while not until(msgs):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                msgs.append(sink.get(timeout=left))
            except queue.Empty:
                break
        if settle:
            end = time.monotonic() + settle
            while (left := end - time.monotonic()) > 0:
                try:
                    msgs.append(sink.get(timeout=left))
                except queue.Empty:
                    break
        self.unsubscribe(sid)
        return msgs

    def close(self):
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass
        self.reader.join(timeout=2)


# --------------------------------------------------------------------------- servers


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, label, binary):
        self.label = label
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix=f"js-parity-{label}-")
        self.port = free_port()
        self.log_path = os.path.join(self.dir, "server.log")
        self.proc = None

    def start(self):
        store = os.path.join(self.dir, "store")
        os.makedirs(store)
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [self.binary, "-js", "-sd", store, "-a", "127.0.0.1", "-p", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.dir)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.label} exited with {self.proc.returncode}:\n"
                                   + self.log_tail())
            try:
                client = Client(self.port)
                client.close()
                # JetStream may still be starting up; $JS.API.INFO must answer.
                probe = Client(self.port)
                ok = probe.request_many("$JS.API.INFO", timeout=1.0)
                probe.close()
                if ok and ok[0].status is None:
                    return
            except (OSError, RuntimeError, queue.Empty):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.label} did not answer on port {self.port}:\n" + self.log_tail())

    def log_tail(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-3000:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=STOP_TIMEOUT_S)
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------- normalisation


def parse_ack_reply(reply):
    """$JS.ACK subjects: v1 has 9 tokens, v2 (domain, account hash, random suffix) 12."""
    if not reply or not reply.startswith("$JS.ACK."):
        return reply
    tokens = reply.split(".")
    if len(tokens) == 9:
        fmt, fields = "v1", tokens[2:]
    elif len(tokens) >= 11:
        fmt, fields = "v2", tokens[4:11]
    else:
        return {"format": f"{len(tokens)} tokens", "raw": reply}
    stream, consumer, delivered, sseq, cseq, _ts, pending = fields[:7]
    return {"format": fmt, "stream": stream, "consumer": consumer, "delivered": delivered,
            "stream_seq": sseq, "consumer_seq": cseq, "pending": pending}


def payload_value(data):
    if not data:
        return ""
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")


def msg_value(msg):
    out = {"subject": msg.subject}
    if msg.reply is not None:
        out["reply"] = parse_ack_reply(msg.reply)
    if msg.raw_headers is not None:
        out["status_line"] = msg.status_line
        out["headers"] = msg.headers
    out["payload"] = payload_value(msg.payload)
    return out


def reply_value(msgs):
    """A single API reply: its JSON body, or the whole message when it has headers or is not
    JSON (status messages, direct gets)."""
    if not msgs:
        return {"_no_reply": True}
    msg = msgs[0]
    if msg.raw_headers is None:
        value = payload_value(msg.payload)
        if isinstance(value, dict):
            return value
    return {"_message": msg_value(msg)}


# --------------------------------------------------------------------------- diff


def json_type(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if value is None:
        return "null"
    return type(value).__name__.replace("dict", "object").replace("list", "array").replace(
        "str", "string")


def short(value, limit=400):
    text = json.dumps(value, separators=(",", ":"), sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "...(truncated)"


def diff(go, na, path, out, volatile_paths):
    key = path.rsplit(".", 1)[-1] if path else ""
    volatile = key in VOLATILE_KEYS or any(re.fullmatch(p, path) for p in volatile_paths)
    if json_type(go) != json_type(na):
        out.append(("type", path, go, na))
        return
    if isinstance(go, dict):
        for k in go:
            sub = f"{path}.{k}" if path else k
            if k not in na:
                out.append(("missing in natrium", sub, go[k], None))
            else:
                diff(go[k], na[k], sub, out, volatile_paths)
        for k in na:
            if k not in go:
                out.append(("only in natrium", f"{path}.{k}" if path else k, None, na[k]))
        return
    if isinstance(go, list):
        if len(go) != len(na):
            out.append(("array length", path, go, na))
            return
        for i, (a, b) in enumerate(zip(go, na)):
            diff(a, b, f"{path}[{i}]", out, volatile_paths)
        return
    if volatile:
        return
    if go != na:
        out.append(("value", path, go, na))


# --------------------------------------------------------------------------- scenario


class Recorder:
    """Runs one step on one server and keeps its normalised answer."""

    def __init__(self, client, only):
        self.c = client
        self.only = only
        self.results = {}  # step -> (api, value, volatile paths)

    def keep(self, api, step, value, volatile=()):
        self.results[step] = (api, value, tuple(volatile))

    def req(self, api, step, subject, body=b"", headers=None, volatile=(), timeout=REQUEST_TIMEOUT_S):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        msgs = self.c.request_many(subject, body, headers=headers, timeout=timeout)
        value = reply_value(msgs)
        self.keep(api, step, value, volatile)
        return value

    def pull(self, api, step, subject, body, volatile=(), timeout=REQUEST_TIMEOUT_S, settle=0.0):
        """CONSUMER.MSG.NEXT: every message until a status message (or the timeout)."""
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        msgs = self.c.request_many(subject, body, timeout=timeout, settle=settle,
                                   until=lambda m: bool(m) and m[-1].status is not None)
        value = {"messages": [msg_value(m) for m in msgs]} if msgs else {"_no_reply": True}
        self.keep(api, step, value, volatile)
        return msgs

    def pub(self, step, subject, payload=b"x", headers=None, api="PUBLISH (PubAck)"):
        return self.req(api, step, subject, payload, headers=headers)


def consumer_req(stream, config, action=None):
    body = {"stream_name": stream, "config": config}
    if action:
        body["action"] = action
    return body


def scenario(r):
    A = "$JS.API."
    # ---- account info
    r.req("INFO", "info.initial", A + "INFO")

    # ---- stream create
    files_cfg = {"name": "FILES", "subjects": ["files.>"], "storage": "file", "max_msgs": 1000,
                 "max_age": 3600 * 10**9, "discard": "new", "allow_rollup_hdrs": True,
                 "allow_direct": True, "duplicate_window": 60 * 10**9,
                 "max_msgs_per_subject": 100, "description": "file stream"}
    r.req("STREAM.CREATE", "create.file", A + "STREAM.CREATE.FILES", files_cfg)
    r.req("STREAM.CREATE", "create.file.same-config-again", A + "STREAM.CREATE.FILES", files_cfg)
    r.req("STREAM.CREATE", "create.file.different-config", A + "STREAM.CREATE.FILES",
          dict(files_cfg, max_msgs=5))
    mem_cfg = {"name": "MEM", "subjects": ["mem.*"], "storage": "memory",
               "retention": "interest", "max_bytes": 1 << 20, "max_msg_size": 4096,
               "allow_msg_ttl": True, "num_replicas": 1}
    r.req("STREAM.CREATE", "create.memory-interest-ttl", A + "STREAM.CREATE.MEM", mem_cfg)
    r.req("STREAM.CREATE", "create.workqueue", A + "STREAM.CREATE.WQ",
          {"name": "WQ", "subjects": ["wq.>"], "retention": "workqueue", "storage": "file"})
    r.req("STREAM.CREATE", "create.minimal", A + "STREAM.CREATE.MIN",
          {"name": "MIN", "subjects": ["min"]})
    r.req("STREAM.CREATE", "create.no-subjects", A + "STREAM.CREATE.NOSUBJ", {"name": "NOSUBJ"})
    r.req("STREAM.CREATE", "create.small-discard-new", A + "STREAM.CREATE.SMALL",
          {"name": "SMALL", "subjects": ["small"], "storage": "memory", "max_msgs": 2,
           "discard": "new"})
    r.req("STREAM.CREATE", "create.ttl-limits", A + "STREAM.CREATE.TTL",
          {"name": "TTL", "subjects": ["ttl.>"], "storage": "memory", "allow_msg_ttl": True})
    r.req("STREAM.CREATE", "create.purge-stream", A + "STREAM.CREATE.PURGE",
          {"name": "PURGE", "subjects": ["purge.>"], "storage": "file"})
    r.req("INFO", "info.after-creates", A + "INFO")

    # ---- publishes and PubAcks
    r.pub("pub.plain", "files.a", "one")
    r.pub("pub.plain-2", "files.b", "two")
    r.pub("pub.with-header", "files.a", "three", headers=[("X-Test", "1")])
    r.pub("pub.plain-3", "files.c", "four")
    r.pub("pub.msg-id", "files.a", "five", headers=[("Nats-Msg-Id", "m1")])
    r.pub("pub.msg-id-duplicate", "files.a", "five", headers=[("Nats-Msg-Id", "m1")])
    r.pub("pub.expected-last-seq-ok", "files.b", "six",
          headers=[("Nats-Expected-Last-Sequence", "5")])
    r.pub("pub.expected-last-seq-mismatch", "files.b", "x",
          headers=[("Nats-Expected-Last-Sequence", "1")])
    r.pub("pub.expected-stream-mismatch", "files.b", "x",
          headers=[("Nats-Expected-Stream", "OTHER")])
    r.pub("pub.expected-last-subject-seq-mismatch", "files.a", "x",
          headers=[("Nats-Expected-Last-Subject-Sequence", "3")])
    r.pub("pub.expected-last-msg-id-mismatch", "files.a", "x",
          headers=[("Nats-Expected-Last-Msg-Id", "nope")])
    r.pub("pub.rollup-sub", "files.d", "seven", headers=[("Nats-Rollup", "sub")])
    r.pub("pub.rollup-not-allowed", "min", "x", headers=[("Nats-Rollup", "sub")])
    r.pub("pub.rollup-bad-value", "files.d", "x", headers=[("Nats-Rollup", "bogus")])
    r.pub("pub.ttl-on-stream-without-ttl", "files.e", "x", headers=[("Nats-TTL", "1s")])
    r.pub("pub.ttl-ok", "ttl.a", "expires", headers=[("Nats-TTL", "1s")])
    r.pub("pub.ttl-never", "ttl.b", "stays", headers=[("Nats-TTL", "never")])
    r.pub("pub.ttl-invalid", "ttl.c", "x", headers=[("Nats-TTL", "abc")])
    r.pub("pub.ttl-interest-stream", "mem.a", "x", headers=[("Nats-TTL", "10s")])
    r.pub("pub.max-msg-size-exceeded", "mem.a", "x" * 5000)
    r.pub("pub.small-1", "small", "1")
    r.pub("pub.small-2", "small", "2")
    r.pub("pub.small-3-discard-new", "small", "3")
    r.pub("pub.workqueue", "wq.a", "job")
    r.pub("pub.minimal", "min", "m")
    r.pub("pub.nosubj-stream-subject", "NOSUBJ", "n")
    for i, subj in enumerate(["purge.a", "purge.b", "purge.a", "purge.c", "purge.a", "purge.b",
                              "purge.a", "purge.c", "purge.a", "purge.b"]):
        r.c.request_many(subj, f"p{i}")
    r.c.flush()

    # ---- stream info
    r.req("STREAM.INFO", "info.file", A + "STREAM.INFO.FILES")
    r.req("STREAM.INFO", "info.memory", A + "STREAM.INFO.MEM")
    r.req("STREAM.INFO", "info.subjects-filter-all", A + "STREAM.INFO.FILES",
          {"subjects_filter": ">"})
    r.req("STREAM.INFO", "info.subjects-filter-one", A + "STREAM.INFO.FILES",
          {"subjects_filter": "files.a"})
    r.req("STREAM.INFO", "info.subjects-filter-offset", A + "STREAM.INFO.FILES",
          {"subjects_filter": ">", "offset": 2})
    r.req("STREAM.INFO", "info.unknown-stream", A + "STREAM.INFO.NOPE")
    r.req("STREAM.INFO", "info.bad-json-body", A + "STREAM.INFO.FILES", b"{nope")

    # ---- msg get
    r.req("STREAM.MSG.GET", "msgget.seq", A + "STREAM.MSG.GET.FILES", {"seq": 1})
    r.req("STREAM.MSG.GET", "msgget.seq-with-headers", A + "STREAM.MSG.GET.FILES", {"seq": 3})
    r.req("STREAM.MSG.GET", "msgget.last-by-subj", A + "STREAM.MSG.GET.FILES",
          {"last_by_subj": "files.a"})
    r.req("STREAM.MSG.GET", "msgget.next-by-subj", A + "STREAM.MSG.GET.FILES",
          {"seq": 1, "next_by_subj": "files.b"})
    r.req("STREAM.MSG.GET", "msgget.next-by-subj-wildcard", A + "STREAM.MSG.GET.FILES",
          {"seq": 4, "next_by_subj": "files.*"})
    r.req("STREAM.MSG.GET", "msgget.not-found", A + "STREAM.MSG.GET.FILES", {"seq": 999})
    r.req("STREAM.MSG.GET", "msgget.last-by-subj-not-found", A + "STREAM.MSG.GET.FILES",
          {"last_by_subj": "files.zzz"})
    r.req("STREAM.MSG.GET", "msgget.empty-request", A + "STREAM.MSG.GET.FILES", {})
    r.req("STREAM.MSG.GET", "msgget.no-body", A + "STREAM.MSG.GET.FILES", b"")
    r.req("STREAM.MSG.GET", "msgget.seq-and-last-by-subj", A + "STREAM.MSG.GET.FILES",
          {"seq": 1, "last_by_subj": "files.a"})
    r.req("STREAM.MSG.GET", "msgget.unknown-stream", A + "STREAM.MSG.GET.NOPE", {"seq": 1})
    r.req("STREAM.MSG.GET", "msgget.ttl-header", A + "STREAM.MSG.GET.TTL",
          {"last_by_subj": "ttl.b"})

    # ---- direct get
    r.req("DIRECT.GET", "direct.seq", A + "DIRECT.GET.FILES", {"seq": 1})
    r.req("DIRECT.GET", "direct.seq-with-headers", A + "DIRECT.GET.FILES", {"seq": 3})
    r.req("DIRECT.GET", "direct.last-by-subj", A + "DIRECT.GET.FILES", {"last_by_subj": "files.a"})
    r.req("DIRECT.GET", "direct.next-by-subj", A + "DIRECT.GET.FILES",
          {"seq": 1, "next_by_subj": "files.b"})
    r.req("DIRECT.GET", "direct.subject-in-subject", A + "DIRECT.GET.FILES.files.a", b"")
    r.req("DIRECT.GET", "direct.subject-in-subject-wildcard-tokens",
          A + "DIRECT.GET.FILES.files.c", b"")
    r.req("DIRECT.GET", "direct.not-found", A + "DIRECT.GET.FILES", {"seq": 999})
    r.req("DIRECT.GET", "direct.last-by-subj-not-found", A + "DIRECT.GET.FILES",
          {"last_by_subj": "files.zzz"})
    r.req("DIRECT.GET", "direct.subject-in-subject-not-found", A + "DIRECT.GET.FILES.files.zzz")
    r.req("DIRECT.GET", "direct.empty-body", A + "DIRECT.GET.FILES", b"")
    r.req("DIRECT.GET", "direct.empty-object", A + "DIRECT.GET.FILES", {})
    r.req("DIRECT.GET", "direct.bad-json", A + "DIRECT.GET.FILES", b"{nope")
    r.req("DIRECT.GET", "direct.seq-and-last-by-subj", A + "DIRECT.GET.FILES",
          {"seq": 1, "last_by_subj": "files.a"})
    r.req("DIRECT.GET", "direct.stream-without-allow-direct", A + "DIRECT.GET.MIN", {"seq": 1},
          timeout=1.0)
    r.req("DIRECT.GET", "direct.unknown-stream", A + "DIRECT.GET.NOPE", {"seq": 1}, timeout=1.0)
    # a batch answers several messages, the last one an EOB status message.
    msgs = r.c.request_many(A + "DIRECT.GET.FILES", json.dumps({"seq": 1, "batch": 3}).encode(),
                            timeout=REQUEST_TIMEOUT_S,
                            until=lambda m: bool(m) and m[-1].status is not None, settle=0.2)
    r.keep("DIRECT.GET", "direct.batch-3", {"messages": [msg_value(m) for m in msgs]})
    msgs = r.c.request_many(A + "DIRECT.GET.FILES", json.dumps(
        {"multi_last": ["files.a", "files.b"]}).encode(), timeout=REQUEST_TIMEOUT_S,
        until=lambda m: bool(m) and m[-1].status is not None, settle=0.2)
    r.keep("DIRECT.GET", "direct.multi-last", {"messages": [msg_value(m) for m in msgs]})

    # ---- msg delete, deleted details
    r.req("STREAM.MSG.DELETE", "msgdelete.erase", A + "STREAM.MSG.DELETE.FILES", {"seq": 2})
    r.req("STREAM.MSG.DELETE", "msgdelete.no-erase", A + "STREAM.MSG.DELETE.FILES",
          {"seq": 4, "no_erase": True})
    r.req("STREAM.MSG.DELETE", "msgdelete.again", A + "STREAM.MSG.DELETE.FILES", {"seq": 2})
    r.req("STREAM.MSG.DELETE", "msgdelete.beyond-last", A + "STREAM.MSG.DELETE.FILES",
          {"seq": 999})
    r.req("STREAM.MSG.DELETE", "msgdelete.no-seq", A + "STREAM.MSG.DELETE.FILES", {})
    r.req("STREAM.MSG.DELETE", "msgdelete.unknown-stream", A + "STREAM.MSG.DELETE.NOPE",
          {"seq": 1})
    r.req("STREAM.MSG.GET", "msgget.deleted-seq", A + "STREAM.MSG.GET.FILES", {"seq": 2})
    r.req("STREAM.INFO", "info.after-delete", A + "STREAM.INFO.FILES")
    r.req("STREAM.INFO", "info.deleted-details", A + "STREAM.INFO.FILES",
          {"deleted_details": True})
    r.req("STREAM.INFO", "info.deleted-details-and-subjects", A + "STREAM.INFO.FILES",
          {"deleted_details": True, "subjects_filter": "files.*"})

    # ---- stream update
    r.req("STREAM.UPDATE", "update.ok", A + "STREAM.UPDATE.FILES",
          dict(files_cfg, max_msgs=2000, description="updated", max_msgs_per_subject=50))
    r.req("STREAM.UPDATE", "update.add-subject", A + "STREAM.UPDATE.MIN",
          {"name": "MIN", "subjects": ["min", "min2"]})
    r.req("STREAM.UPDATE", "update.change-storage", A + "STREAM.UPDATE.FILES",
          dict(files_cfg, storage="memory"))
    r.req("STREAM.UPDATE", "update.change-retention", A + "STREAM.UPDATE.MIN",
          {"name": "MIN", "subjects": ["min"], "retention": "workqueue"})
    r.req("STREAM.UPDATE", "update.unknown-stream", A + "STREAM.UPDATE.NOPE",
          {"name": "NOPE", "subjects": ["nope"]})
    r.req("STREAM.UPDATE", "update.name-mismatch", A + "STREAM.UPDATE.FILES",
          dict(files_cfg, name="OTHER"))
    r.req("STREAM.UPDATE", "update.subject-overlap", A + "STREAM.UPDATE.MIN",
          {"name": "MIN", "subjects": ["files.a"]})
    r.req("STREAM.UPDATE", "update.bad-json", A + "STREAM.UPDATE.FILES", b"{nope")

    # ---- names / list
    r.req("STREAM.NAMES", "names.all", A + "STREAM.NAMES", {})
    r.req("STREAM.NAMES", "names.no-body", A + "STREAM.NAMES", b"")
    r.req("STREAM.NAMES", "names.offset", A + "STREAM.NAMES", {"offset": 2})
    r.req("STREAM.NAMES", "names.offset-past-end", A + "STREAM.NAMES", {"offset": 100})
    r.req("STREAM.NAMES", "names.subject", A + "STREAM.NAMES", {"subject": "files.x"})
    r.req("STREAM.NAMES", "names.subject-wildcard", A + "STREAM.NAMES", {"subject": "mem.>"})
    r.req("STREAM.NAMES", "names.subject-none", A + "STREAM.NAMES", {"subject": "nothing.here"})
    r.req("STREAM.LIST", "list.all", A + "STREAM.LIST", {})
    r.req("STREAM.LIST", "list.offset", A + "STREAM.LIST", {"offset": 5})
    r.req("STREAM.LIST", "list.subject", A + "STREAM.LIST", {"subject": "wq.a"})

    # ---- purge
    r.req("STREAM.PURGE", "purge.filter", A + "STREAM.PURGE.PURGE", {"filter": "purge.c"})
    r.req("STREAM.INFO", "purge.info-after-filter", A + "STREAM.INFO.PURGE")
    r.req("STREAM.PURGE", "purge.filter-keep", A + "STREAM.PURGE.PURGE",
          {"filter": "purge.a", "keep": 1})
    r.req("STREAM.PURGE", "purge.seq", A + "STREAM.PURGE.PURGE", {"seq": 4})
    r.req("STREAM.INFO", "purge.info-after-seq", A + "STREAM.INFO.PURGE")
    r.req("STREAM.PURGE", "purge.keep", A + "STREAM.PURGE.PURGE", {"keep": 1})
    r.req("STREAM.PURGE", "purge.seq-and-keep", A + "STREAM.PURGE.PURGE", {"seq": 3, "keep": 1})
    r.req("STREAM.PURGE", "purge.all", A + "STREAM.PURGE.PURGE", b"")
    r.req("STREAM.INFO", "purge.info-after-all", A + "STREAM.INFO.PURGE")
    r.req("STREAM.PURGE", "purge.unknown-stream", A + "STREAM.PURGE.NOPE", b"")
    r.req("STREAM.PURGE", "purge.bad-json", A + "STREAM.PURGE.PURGE", b"{nope")

    # ---- consumers
    C = A + "CONSUMER."
    r.req("CONSUMER.CREATE", "consumer.pull-durable", C + "CREATE.FILES.PULL",
          consumer_req("FILES", {"durable_name": "PULL", "ack_policy": "explicit"}, "create"))
    r.req("CONSUMER.CREATE", "consumer.pull-durable-same-again", C + "CREATE.FILES.PULL",
          consumer_req("FILES", {"durable_name": "PULL", "ack_policy": "explicit"}, "create"))
    r.req("CONSUMER.CREATE", "consumer.pull-durable-different-config", C + "CREATE.FILES.PULL",
          consumer_req("FILES", {"durable_name": "PULL", "ack_policy": "explicit",
                                 "max_deliver": 3}, "create"))
    r.req("CONSUMER.CREATE", "consumer.update-nonexistent", C + "CREATE.FILES.NOTYET",
          consumer_req("FILES", {"durable_name": "NOTYET", "ack_policy": "explicit"}, "update"))
    r.req("CONSUMER.CREATE", "consumer.legacy-durable-subject", C + "DURABLE.CREATE.FILES.LEGACY",
          consumer_req("FILES", {"durable_name": "LEGACY", "ack_policy": "explicit"}))
    r.req("CONSUMER.CREATE", "consumer.name-and-filter-in-subject", C + "CREATE.FILES.FILT.files.a",
          consumer_req("FILES", {"name": "FILT", "filter_subject": "files.a",
                                 "ack_policy": "explicit"}))
    eph = r.req("CONSUMER.CREATE", "consumer.ephemeral", C + "CREATE.FILES",
                consumer_req("FILES", {"ack_policy": "explicit", "inactive_threshold": 30 * 10**9}),
                volatile=(r"name", r"config\.name"))
    eph_name = eph.get("name", "none")
    r.req("CONSUMER.INFO", "consumer.info-ephemeral", C + "INFO.FILES." + eph_name,
          volatile=(r"name", r"config\.name"))
    r.req("CONSUMER.DELETE", "consumer.delete-ephemeral", C + "DELETE.FILES." + eph_name)

    push_sid = r.c.subscribe("push.deliver")
    r.req("CONSUMER.CREATE", "consumer.push-flow-control-heartbeat", C + "CREATE.FILES.PUSH",
          consumer_req("FILES", {"durable_name": "PUSH", "deliver_subject": "push.deliver",
                                 "flow_control": True, "idle_heartbeat": 500 * 10**6,
                                 "ack_policy": "explicit", "ack_wait": 30 * 10**9}))
    push_msgs = []
    end = time.monotonic() + 1.6
    sink = r.c.subs[push_sid]
    while (left := end - time.monotonic()) > 0:
        try:
            msg = sink.get(timeout=left)
        except queue.Empty:
            break
        push_msgs.append(msg)
        if msg.status == "100" and msg.reply:  # flow control request: answer it
            r.c.publish(msg.reply, b"")
    r.c.unsubscribe(push_sid)
    data = [msg_value(m) for m in push_msgs if m.status is None]
    statuses = {}
    for m in push_msgs:
        if m.status is not None:
            statuses.setdefault(m.status_line, msg_value(m))
    r.keep("PUSH DELIVERY", "push.delivered-messages", {"data": data})
    r.keep("PUSH DELIVERY", "push.status-messages", {"statuses": statuses})
    r.req("CONSUMER.INFO", "consumer.info-push", C + "INFO.FILES.PUSH")

    r.req("CONSUMER.CREATE", "consumer.filter-subjects", C + "CREATE.FILES.MULTI",
          consumer_req("FILES", {"durable_name": "MULTI", "ack_policy": "explicit",
                                 "filter_subjects": ["files.a", "files.b"]}))
    for policy, extra in [("last", {}), ("new", {}), ("by_start_sequence", {"opt_start_seq": 3}),
                          ("last_per_subject", {"filter_subject": "files.*"})]:
        name = "DP_" + policy.upper()
        r.req("CONSUMER.CREATE", f"consumer.deliver-{policy}", C + f"CREATE.FILES.{name}",
              consumer_req("FILES", dict({"durable_name": name, "ack_policy": "none",
                                          "deliver_policy": policy}, **extra)))
        r.pull("CONSUMER.MSG.NEXT", f"next.deliver-{policy}", C + f"MSG.NEXT.FILES.{name}",
               {"batch": 10, "no_wait": True})
    r.req("CONSUMER.CREATE", "consumer.headers-only", C + "CREATE.FILES.HDRS",
          consumer_req("FILES", {"durable_name": "HDRS", "ack_policy": "none",
                                 "headers_only": True}))
    r.pull("CONSUMER.MSG.NEXT", "next.headers-only", C + "MSG.NEXT.FILES.HDRS",
           {"batch": 2, "no_wait": True})

    # ---- pull
    r.pull("CONSUMER.MSG.NEXT", "next.batch1-no-wait", C + "MSG.NEXT.FILES.PULL",
           {"batch": 1, "no_wait": True})
    r.pull("CONSUMER.MSG.NEXT", "next.batch10-no-wait-drains", C + "MSG.NEXT.FILES.PULL",
           {"batch": 10, "no_wait": True})
    r.pull("CONSUMER.MSG.NEXT", "next.no-wait-nothing-pending", C + "MSG.NEXT.FILES.DP_NEW",
           {"batch": 1, "no_wait": True})
    r.pull("CONSUMER.MSG.NEXT", "next.expires-nothing-pending", C + "MSG.NEXT.FILES.DP_NEW",
           {"batch": 1, "expires": 300 * 10**6}, timeout=3.0)
    r.pull("CONSUMER.MSG.NEXT", "next.no-wait-with-expires", C + "MSG.NEXT.FILES.DP_NEW",
           {"batch": 1, "no_wait": True, "expires": 300 * 10**6}, timeout=3.0)
    r.pull("CONSUMER.MSG.NEXT", "next.expires-with-heartbeat", C + "MSG.NEXT.FILES.DP_NEW",
           {"batch": 1, "expires": 1200 * 10**6, "idle_heartbeat": 500 * 10**6}, timeout=3.0,
           settle=0.0)
    r.pull("CONSUMER.MSG.NEXT", "next.plain-integer-body", C + "MSG.NEXT.FILES.DP_NEW", b"1",
           timeout=0.8)
    r.req("CONSUMER.CREATE", "consumer.bytes-limited", C + "CREATE.FILES.BYTES",
          consumer_req("FILES", {"durable_name": "BYTES", "ack_policy": "none"}))
    r.pull("CONSUMER.MSG.NEXT", "next.max-bytes-too-small", C + "MSG.NEXT.FILES.BYTES",
           {"batch": 1, "max_bytes": 10, "no_wait": True})
    r.pull("CONSUMER.MSG.NEXT", "next.on-push-consumer", C + "MSG.NEXT.FILES.PUSH",
           {"batch": 1, "no_wait": True})
    r.pull("CONSUMER.MSG.NEXT", "next.unknown-consumer", C + "MSG.NEXT.FILES.NOPE",
           {"batch": 1, "no_wait": True}, timeout=1.0)
    r.pull("CONSUMER.MSG.NEXT", "next.bad-json", C + "MSG.NEXT.FILES.DP_NEW", b"{nope",
           timeout=1.0)
    r.pull("CONSUMER.MSG.NEXT", "next.workqueue", C + "MSG.NEXT.WQ.WQC", {"batch": 1,
                                                                          "no_wait": True},
           timeout=1.0)
    r.req("CONSUMER.CREATE", "consumer.workqueue", C + "CREATE.WQ.WQC",
          consumer_req("WQ", {"durable_name": "WQC", "ack_policy": "explicit"}))
    r.pull("CONSUMER.MSG.NEXT", "next.workqueue-after-create", C + "MSG.NEXT.WQ.WQC",
           {"batch": 1, "no_wait": True})

    # ---- consumer info / names / list / delete
    r.req("CONSUMER.INFO", "consumer.info-pull", C + "INFO.FILES.PULL")
    r.req("CONSUMER.INFO", "consumer.info-filter-subjects", C + "INFO.FILES.MULTI")
    r.req("CONSUMER.INFO", "consumer.info-unknown", C + "INFO.FILES.NOPE")
    r.req("CONSUMER.INFO", "consumer.info-unknown-stream", C + "INFO.NOPE.X")
    r.req("CONSUMER.NAMES", "consumer.names", C + "NAMES.FILES", {})
    r.req("CONSUMER.NAMES", "consumer.names-offset", C + "NAMES.FILES", {"offset": 3})
    r.req("CONSUMER.NAMES", "consumer.names-no-body", C + "NAMES.FILES", b"")
    r.req("CONSUMER.NAMES", "consumer.names-unknown-stream", C + "NAMES.NOPE", {})
    r.req("CONSUMER.LIST", "consumer.list", C + "LIST.FILES", {})
    r.req("CONSUMER.LIST", "consumer.list-offset", C + "LIST.FILES", {"offset": 8})
    r.req("CONSUMER.DELETE", "consumer.delete", C + "DELETE.FILES.LEGACY")
    r.req("CONSUMER.DELETE", "consumer.delete-again", C + "DELETE.FILES.LEGACY")
    r.req("CONSUMER.DELETE", "consumer.delete-unknown-stream", C + "DELETE.NOPE.X")
    r.req("STREAM.INFO", "info.consumer-count", A + "STREAM.INFO.FILES")

    # ---- invalid requests
    bad = "INVALID REQUESTS"
    r.req(bad, "bad.create-bad-json", A + "STREAM.CREATE.BAD", b"{nope")
    r.req(bad, "bad.create-empty-body", A + "STREAM.CREATE.BAD", b"")
    r.req(bad, "bad.create-name-mismatch", A + "STREAM.CREATE.BAD", {"name": "OTHER"})
    r.req(bad, "bad.create-name-missing-in-body", A + "STREAM.CREATE.NONAME",
          {"subjects": ["noname"]})
    r.req(bad, "bad.create-name-with-dot-token", A + "STREAM.CREATE.a*b", {"name": "a*b"})
    r.req(bad, "bad.create-name-with-space", A + "STREAM.CREATE.BAD", {"name": "a b"})
    r.req(bad, "bad.create-name-too-long", A + "STREAM.CREATE." + "N" * 300, {"name": "N" * 300})
    r.req(bad, "bad.create-subject-overlap", A + "STREAM.CREATE.OVER",
          {"name": "OVER", "subjects": ["files.a"]})
    r.req(bad, "bad.create-subject-invalid", A + "STREAM.CREATE.BADSUBJ",
          {"name": "BADSUBJ", "subjects": ["a..b"]})
    r.req(bad, "bad.create-subject-js-api", A + "STREAM.CREATE.JSAPI",
          {"name": "JSAPI", "subjects": ["$JS.API.>"]})
    r.req(bad, "bad.create-duplicate-subjects", A + "STREAM.CREATE.DUP",
          {"name": "DUP", "subjects": ["dup", "dup"]})
    r.req(bad, "bad.create-retention-bogus", A + "STREAM.CREATE.RET",
          {"name": "RET", "retention": "bogus"})
    r.req(bad, "bad.create-storage-bogus", A + "STREAM.CREATE.STO",
          {"name": "STO", "storage": "bogus"})
    r.req(bad, "bad.create-discard-bogus", A + "STREAM.CREATE.DIS",
          {"name": "DIS", "discard": "bogus"})
    r.req(bad, "bad.create-max-age-negative", A + "STREAM.CREATE.AGE",
          {"name": "AGE", "max_age": -1})
    r.req(bad, "bad.create-dup-window-over-max-age", A + "STREAM.CREATE.DW",
          {"name": "DW", "max_age": 10**9, "duplicate_window": 5 * 10**9})
    r.req(bad, "bad.create-replicas-5", A + "STREAM.CREATE.R5", {"name": "R5", "num_replicas": 5})
    r.req(bad, "bad.create-discard-new-per-subject-without-new", A + "STREAM.CREATE.DNPS",
          {"name": "DNPS", "discard_new_per_subject": True, "max_msgs_per_subject": 1})
    r.req(bad, "bad.create-max-msgs-wrong-type", A + "STREAM.CREATE.TYP",
          {"name": "TYP", "max_msgs": "ten"})
    r.req(bad, "bad.create-unknown-field", A + "STREAM.CREATE.UNK",
          {"name": "UNK", "subjects": ["unk"], "no_such_field": 1})
    r.req(bad, "bad.create-mirror", A + "STREAM.CREATE.MIR",
          {"name": "MIR", "mirror": {"name": "FILES"}})
    r.req(bad, "bad.create-sources", A + "STREAM.CREATE.SRC",
          {"name": "SRC", "sources": [{"name": "FILES"}]})
    r.req(bad, "bad.create-subject-transform", A + "STREAM.CREATE.XFORM",
          {"name": "XFORM", "subjects": ["xf.>"],
           "subject_transform": {"src": "xf.>", "dest": "xg.>"}})
    r.req(bad, "bad.create-compression-s2", A + "STREAM.CREATE.S2",
          {"name": "S2", "subjects": ["s2"], "compression": "s2"})
    r.req(bad, "bad.create-sealed", A + "STREAM.CREATE.SEAL", {"name": "SEAL", "sealed": True})
    r.req(bad, "bad.create-subject-delete-marker-ttl", A + "STREAM.CREATE.SDM",
          {"name": "SDM", "subjects": ["sdm"], "allow_msg_ttl": True,
           "subject_delete_marker_ttl": 10**9})
    r.req(bad, "bad.create-allow-msg-counter", A + "STREAM.CREATE.CNT",
          {"name": "CNT", "subjects": ["cnt"], "allow_msg_counter": True})
    r.req(bad, "bad.create-allow-atomic", A + "STREAM.CREATE.ATOM",
          {"name": "ATOM", "subjects": ["atom"], "allow_atomic": True})
    r.req(bad, "bad.delete-unknown-stream", A + "STREAM.DELETE.NOPE")
    r.req(bad, "bad.unknown-api", A + "STREAM.FROB.FILES", b"", timeout=1.0)
    r.req(bad, "bad.consumer-unknown-stream", C + "CREATE.NOPE.X",
          consumer_req("NOPE", {"durable_name": "X"}))
    r.req(bad, "bad.consumer-bad-json", C + "CREATE.FILES.X", b"{nope")
    r.req(bad, "bad.consumer-empty-body", C + "CREATE.FILES.X", b"")
    r.req(bad, "bad.consumer-no-config", C + "CREATE.FILES.X", {"stream_name": "FILES"})
    r.req(bad, "bad.consumer-stream-name-mismatch", C + "CREATE.FILES.X",
          consumer_req("MIN", {"durable_name": "X"}))
    r.req(bad, "bad.consumer-durable-mismatch", C + "CREATE.FILES.X",
          consumer_req("FILES", {"durable_name": "Y"}))
    r.req(bad, "bad.consumer-durable-with-dot", C + "DURABLE.CREATE.FILES.a",
          consumer_req("FILES", {"durable_name": "a.b"}))
    r.req(bad, "bad.consumer-name-with-space", C + "CREATE.FILES",
          consumer_req("FILES", {"name": "a b"}))
    r.req(bad, "bad.consumer-filter-not-in-stream", C + "CREATE.FILES.FNS",
          consumer_req("FILES", {"durable_name": "FNS", "filter_subject": "other.x"}))
    r.req(bad, "bad.consumer-filter-subjects-overlap", C + "CREATE.FILES.FSO",
          consumer_req("FILES", {"durable_name": "FSO", "filter_subjects": ["files.>", "files.a"]}))
    r.req(bad, "bad.consumer-filter-and-filters", C + "CREATE.FILES.FAF",
          consumer_req("FILES", {"durable_name": "FAF", "filter_subject": "files.a",
                                 "filter_subjects": ["files.b"]}))
    r.req(bad, "bad.consumer-start-seq-missing", C + "CREATE.FILES.SSM",
          consumer_req("FILES", {"durable_name": "SSM", "deliver_policy": "by_start_sequence"}))
    r.req(bad, "bad.consumer-start-seq-with-all", C + "CREATE.FILES.SSA",
          consumer_req("FILES", {"durable_name": "SSA", "deliver_policy": "all",
                                 "opt_start_seq": 3}))
    r.req(bad, "bad.consumer-start-time-missing", C + "CREATE.FILES.STM",
          consumer_req("FILES", {"durable_name": "STM", "deliver_policy": "by_start_time"}))
    r.req(bad, "bad.consumer-deliver-policy-bogus", C + "CREATE.FILES.DPB",
          consumer_req("FILES", {"durable_name": "DPB", "deliver_policy": "bogus"}))
    r.req(bad, "bad.consumer-ack-policy-bogus", C + "CREATE.FILES.APB",
          consumer_req("FILES", {"durable_name": "APB", "ack_policy": "bogus"}))
    r.req(bad, "bad.consumer-flow-control-without-heartbeat", C + "CREATE.FILES.FC",
          consumer_req("FILES", {"durable_name": "FC", "deliver_subject": "fc.x",
                                 "flow_control": True}))
    r.req(bad, "bad.consumer-flow-control-on-pull", C + "CREATE.FILES.FCP",
          consumer_req("FILES", {"durable_name": "FCP", "flow_control": True,
                                 "idle_heartbeat": 10**9}))
    r.req(bad, "bad.consumer-max-waiting-on-push", C + "CREATE.FILES.MWP",
          consumer_req("FILES", {"durable_name": "MWP", "deliver_subject": "mwp.x",
                                 "max_waiting": 10}))
    r.req(bad, "bad.consumer-deliver-subject-is-pattern", C + "CREATE.FILES.DSW",
          consumer_req("FILES", {"durable_name": "DSW", "deliver_subject": "a.*"}))
    r.req(bad, "bad.consumer-workqueue-ack-none", C + "CREATE.WQ.WQN",
          consumer_req("WQ", {"durable_name": "WQN", "ack_policy": "none"}))
    r.req(bad, "bad.consumer-workqueue-second-unfiltered", C + "CREATE.WQ.WQ2",
          consumer_req("WQ", {"durable_name": "WQ2", "ack_policy": "explicit"}))
    r.req(bad, "bad.consumer-workqueue-deliver-last", C + "CREATE.WQ.WQL",
          consumer_req("WQ", {"durable_name": "WQL", "ack_policy": "explicit",
                              "filter_subject": "wq.z", "deliver_policy": "last"}))
    r.req(bad, "bad.consumer-replay-original", C + "CREATE.FILES.RO",
          consumer_req("FILES", {"durable_name": "RO", "replay_policy": "original"}))
    r.req(bad, "bad.consumer-backoff-exceeds-max-deliver", C + "CREATE.FILES.BO",
          consumer_req("FILES", {"durable_name": "BO", "ack_policy": "explicit", "max_deliver": 2,
                                 "backoff": [10**9, 2 * 10**9, 3 * 10**9]}))
    r.req(bad, "bad.consumer-pause-until", C + "CREATE.FILES.PAU",
          consumer_req("FILES", {"durable_name": "PAU", "ack_policy": "explicit",
                                 "pause_until": "2099-01-01T00:00:00Z"}))
    r.req(bad, "bad.consumer-priority-groups", C + "CREATE.FILES.PRI",
          consumer_req("FILES", {"durable_name": "PRI", "ack_policy": "explicit",
                                 "priority_policy": "overflow", "priority_groups": ["g"]}))
    r.req(bad, "bad.consumer-filter-in-subject-mismatch",
          C + "CREATE.FILES.EPHX.files.nomatch",
          consumer_req("FILES", {"name": "EPHX", "filter_subject": "files.a"}))
    r.req(bad, "bad.consumer-delete-unknown", C + "DELETE.FILES.NOPE")
    r.req(bad, "bad.msgget-bad-json", A + "STREAM.MSG.GET.FILES", b"{nope")
    r.req(bad, "bad.msgdelete-bad-json", A + "STREAM.MSG.DELETE.FILES", b"{nope")
    r.req(bad, "bad.names-bad-json", A + "STREAM.NAMES", b"{nope")
    r.req(bad, "bad.consumer-names-bad-json", C + "NAMES.FILES", b"{nope")

    # ---- delete, TTL expiry, final account info
    r.req("STREAM.DELETE", "delete.stream", A + "STREAM.DELETE.NOSUBJ")
    r.req("STREAM.DELETE", "delete.stream-again", A + "STREAM.DELETE.NOSUBJ")
    time.sleep(1.6)
    r.req("STREAM.INFO", "info.ttl-after-expiry", A + "STREAM.INFO.TTL")
    r.req("STREAM.INFO", "info.workqueue", A + "STREAM.INFO.WQ")
    r.req("INFO", "info.final", A + "INFO")


# --------------------------------------------------------------------------- report


def gap_text(value):
    text = json.dumps(value)
    return GAP_MARKER in text


def compare(go_results, na_results):
    rows, gaps = [], []
    for step, (api, go_value, volatile) in go_results.items():
        if step not in na_results:
            rows.append((api, step, "missing step", "", go_value, None))
            continue
        na_value = na_results[step][1]
        if gap_text(na_value):
            gaps.append((api, step, go_value, na_value))
            continue
        found = []
        diff(go_value, na_value, "", found, volatile)
        for kind, path, g, n in found:
            rows.append((api, step, kind, path, g, n))
    return rows, gaps


def render(rows, gaps, go_version, natrium_version):
    out = [f"JetStream API parity: Go nats-server {go_version} vs natrium {natrium_version}", ""]
    if gaps:
        out.append(f"== Intentional gaps (natrium answers '{GAP_MARKER} yet'): {len(gaps)}")
        for api, step, g, n in gaps:
            out.append(f"  [{api}] {step}")
            out.append(f"      go:      {short(g)}")
            out.append(f"      natrium: {short(n)}")
        out.append("")
    by_api = {}
    for row in rows:
        by_api.setdefault(row[0], []).append(row)
    out.append(f"== Differences: {len(rows)} in {len({(r[0], r[1]) for r in rows})} steps")
    for api, api_rows in by_api.items():
        out.append("")
        out.append(f"-- {api}")
        last_step = None
        for _, step, kind, path, g, n in api_rows:
            if step != last_step:
                out.append(f"  {step}")
                last_step = step
            out.append(f"    {kind:18} {path or '<root>'}")
            if kind != "only in natrium":
                out.append(f"        go:      {short(g)}")
            if kind != "missing in natrium":
                out.append(f"        natrium: {short(n)}")
    return "\n".join(out)


def run_server(label, binary, only):
    server = Server(label, binary)
    try:
        server.start()
        client = Client(server.port)
        try:
            recorder = Recorder(client, only)
            scenario(recorder)
            if client.errors:
                recorder.keep("PROTOCOL", "protocol.-ERR", {"errors": client.errors})
            return recorder.results, client.info.get("version", "?")
        finally:
            client.close()
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--go", default=DEFAULT_GO)
    parser.add_argument("--natrium", default=DEFAULT_NATRIUM)
    parser.add_argument("--json", help="write the differences and gaps as JSON here")
    parser.add_argument("--dump", help="write each server's raw normalised answers here")
    parser.add_argument("--only", help="report only steps whose name contains this")
    parser.add_argument("--deadline-s", type=int, default=300)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    for path in (args.go, args.natrium):
        if not os.access(path, os.X_OK):
            print(f"not executable: {path}", file=sys.stderr)
            return 2

    def on_alarm(_signum, _frame):
        raise TimeoutError(f"the audit did not finish within {args.deadline_s} s")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(args.deadline_s)
    try:
        go_results, go_version = run_server("go", args.go, args.only)
        na_results, na_version = run_server("natrium", args.natrium, args.only)
    except (RuntimeError, TimeoutError, OSError) as error:
        print(f"setup error: {error}", file=sys.stderr)
        return 2
    finally:
        signal.alarm(0)
    if args.only:
        go_results = {k: v for k, v in go_results.items() if args.only in k}
    rows, gaps = compare(go_results, na_results)
    for step in na_results:
        if step not in go_results and not args.only:
            rows.append((na_results[step][0], step, "step only in natrium", "", None,
                         na_results[step][1]))
    print(render(rows, gaps, go_version, na_version))
    if args.dump:
        os.makedirs(args.dump, exist_ok=True)
        for label, results in (("go", go_results), ("natrium", na_results)):
            with open(os.path.join(args.dump, f"{label}.json"), "w") as f:
                json.dump({k: {"api": v[0], "value": v[1]} for k, v in results.items()}, f,
                          indent=1, sort_keys=False)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"differences": [dict(zip(("api", "step", "kind", "path", "go", "natrium"),
                                                row)) for row in rows],
                       "gaps": [dict(zip(("api", "step", "go", "natrium"), gap))
                                for gap in gaps]}, f, indent=1)
    return 1 if args.strict and rows else 0


if __name__ == "__main__":
    sys.exit(main())
