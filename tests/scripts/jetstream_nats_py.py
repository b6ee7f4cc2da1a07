#!/usr/bin/env python3
"""JetStream scenarios through nats-py, the Python NATS client: a second client library, beside
async-nats, against natrium. Run by tests/tests/jetstream_nats_py.rs with the interpreter of
target/python-venv (made by scripts/python-env).

Usage: python jetstream_nats_py.py NATS_URL SCENARIO
  kv    a bucket: put/get, keys(), and watchers that see a put and a delete made after them
  pull  a durable pull consumer: 50 acknowledged publishes, fetched in batches and acked, in
        order; consumer info then shows nothing pending and the ack floor at 50

Prints "ok: SCENARIO" and exits 0 when every check holds; otherwise prints "FAIL: ..." (the
first mismatch, or the exception with its traceback) to stderr and exits 1. Every await is
bounded by STEP_TIMEOUT_S and the whole scenario by SCENARIO_TIMEOUT_S, so a server that does
not answer makes the script fail, not hang.
"""
import asyncio
import sys
import traceback

import nats
import nats.errors
import nats.js.errors

# One request/reply or one delivery on loopback; generous for a debug build on a loaded box.
STEP_TIMEOUT_S = 5.0
# The whole scenario, connection included; the Rust side kills the process later than this.
SCENARIO_TIMEOUT_S = 20.0
PULL_MESSAGES = 50
PULL_BATCH = 10


class Mismatch(Exception):
    """A check that did not hold: what was expected and what natrium gave."""


def expect(what, got, want):
    if got != want:
        raise Mismatch(f"{what}: got {got!r}, expected {want!r}")


async def step(awaitable):
    """Awaits one client call, bounded by STEP_TIMEOUT_S."""
    return await asyncio.wait_for(awaitable, STEP_TIMEOUT_S)


async def connect(url):
    async def on_error(error):
        print(f"nats-py error callback: {error!r}", file=sys.stderr)

    return await step(
        nats.connect(
            url,
            connect_timeout=2,
            allow_reconnect=False,
            error_cb=on_error,
        )
    )


async def next_update(watcher, what):
    """The watcher's next update (an entry, or None for "caught up"), bounded."""
    try:
        return await step(watcher.updates(timeout=STEP_TIMEOUT_S))
    except (asyncio.TimeoutError, nats.errors.TimeoutError):
        raise Mismatch(f"{what}: no update within {STEP_TIMEOUT_S} s") from None


def summary(entry):
    """(key, value, revision, operation) of a KV entry; None stays None."""
    if entry is None:
        return None
    return (entry.key, entry.value, entry.revision, entry.operation)


async def scenario_kv(js):
    kv = await step(js.create_key_value(bucket="settings", history=5))
    expect("revision of the first put", await step(kv.put("color", b"blue")), 1)
    entry = await step(kv.get("color"))
    expect("get color", (entry.key, entry.value, entry.revision), ("color", b"blue", 1))
    expect("revision of the second put", await step(kv.put("shape", b"round")), 2)
    expect("keys", sorted(await step(kv.keys())), ["color", "shape"])

    # nats-py watchers start with the latest entry of each matching key (last_per_subject),
    # then a None marker once caught up, then live changes.
    everything = await step(kv.watchall())
    color = await step(kv.watch("color"))
    expect(
        "watchall initial entries",
        [summary(await next_update(everything, "watchall initial")) for _ in range(3)],
        [("color", b"blue", 1, None), ("shape", b"round", 2, None), None],
    )
    expect(
        "watch(color) initial entries",
        [summary(await next_update(color, "watch(color) initial")) for _ in range(2)],
        [("color", b"blue", 1, None), None],
    )

    expect("revision of the put after the watch", await step(kv.put("size", b"L")), 3)
    await step(kv.delete("color"))
    expect(
        "watchall live changes",
        [summary(await next_update(everything, "watchall live")) for _ in range(2)],
        [("size", b"L", 3, None), ("color", b"", 4, "DEL")],
    )
    expect(
        "watch(color) live change",
        summary(await next_update(color, "watch(color) live")),
        ("color", b"", 4, "DEL"),
    )
    await step(everything.stop())
    await step(color.stop())

    # nats-py turns the delete marker it reads into KeyNotFoundError carrying op "DEL"; a key
    # that was never there has op None.
    try:
        await step(kv.get("color"))
        raise Mismatch("get of a deleted key: returned an entry, expected KeyNotFoundError")
    except nats.js.errors.KeyNotFoundError as error:
        expect("operation of the deleted key's last entry", error.op, "DEL")
    expect("keys after the delete", sorted(await step(kv.keys())), ["shape", "size"])
    status = await step(kv.status())
    expect("bucket history", status.history, 5)


async def scenario_pull(js, nc):
    await step(js.add_stream(name="JOBS", subjects=["jobs.>"]))
    sent = [f"job {index}".encode() for index in range(PULL_MESSAGES)]
    for index, payload in enumerate(sent):
        ack = await step(js.publish("jobs.work", payload))
        expect(f"publish ack {index}", (ack.stream, ack.seq), ("JOBS", index + 1))

    sub = await step(js.pull_subscribe("jobs.work", durable="worker", stream="JOBS"))
    received = []
    sequences = []
    while len(received) < PULL_MESSAGES:
        try:
            batch = await step(sub.fetch(batch=PULL_BATCH, timeout=STEP_TIMEOUT_S - 1))
        except (asyncio.TimeoutError, nats.errors.TimeoutError):
            raise Mismatch(
                f"fetch: timed out after {len(received)} of {PULL_MESSAGES} messages"
            ) from None
        if not batch:
            raise Mismatch(f"fetch: empty batch after {len(received)} messages")
        for message in batch:
            received.append(message.data)
            sequences.append(message.metadata.sequence.stream)
            await step(message.ack())
    expect("payloads in order", received, sent)
    expect("stream sequences", sequences, list(range(1, PULL_MESSAGES + 1)))

    # Acks are plain publishes; a flush (PING/PONG) makes sure the server has read them all
    # before the consumer info request goes out on the same connection.
    await step(nc.flush(timeout=STEP_TIMEOUT_S))
    info = await step(sub.consumer_info())
    expect("consumer name", (info.name, info.config.durable_name), ("worker", "worker"))
    expect("num_pending", info.num_pending, 0)
    expect("num_ack_pending", info.num_ack_pending, 0)
    expect("delivered stream_seq", info.delivered.stream_seq, PULL_MESSAGES)
    expect("ack_floor stream_seq", info.ack_floor.stream_seq, PULL_MESSAGES)
    expect("ack_floor consumer_seq", info.ack_floor.consumer_seq, PULL_MESSAGES)
    await step(sub.unsubscribe())


async def run(url, scenario):
    nc = await connect(url)
    try:
        js = nc.jetstream(timeout=STEP_TIMEOUT_S)
        if scenario == "kv":
            await scenario_kv(js)
        else:
            await scenario_pull(js, nc)
    finally:
        await asyncio.wait_for(nc.close(), STEP_TIMEOUT_S)


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("kv", "pull"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    url, scenario = sys.argv[1], sys.argv[2]
    try:
        asyncio.run(asyncio.wait_for(run(url, scenario), SCENARIO_TIMEOUT_S))
    except Mismatch as mismatch:
        print(f"FAIL: {scenario}: {mismatch}", file=sys.stderr)
        sys.exit(1)
    except Exception as error:  # noqa: BLE001 (any exception is a failed scenario)
        traceback.print_exc()
        print(f"FAIL: {scenario}: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {scenario}")


if __name__ == "__main__":
    main()
