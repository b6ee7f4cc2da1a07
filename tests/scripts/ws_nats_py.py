#!/usr/bin/env python3
"""NATS over WebSocket through nats-py (its aiohttp WebSocket transport): a third client
library on natrium's WebSocket listener. Run by tests/tests/ws_nats_py.rs with the interpreter
of target/python-venv (made by scripts/python-env).

Usage: python ws_nats_py.py WS_URL TCP_URL
  A nats-py client over ws:// and one over TCP: a publish each way, request/reply each way,
  a 256 KiB payload from the WebSocket client, headers, and a queue group split between them.

Prints "ok" and exits 0 when every check holds; otherwise prints "FAIL: ..." to stderr and
exits 1. Every await is bounded by STEP_TIMEOUT_S and the whole scenario by
SCENARIO_TIMEOUT_S, so a server that does not answer makes the script fail, not hang.
"""
import asyncio
import sys
import traceback

import nats

STEP_TIMEOUT_S = 5.0
SCENARIO_TIMEOUT_S = 20.0
LARGE_BYTES = 256 * 1024


class Mismatch(Exception):
    """A check that did not hold."""


def expect(what, got, want):
    if got != want:
        raise Mismatch(f"{what}: got {got!r:.200}, expected {want!r:.200}")


async def step(awaitable):
    return await asyncio.wait_for(awaitable, STEP_TIMEOUT_S)


async def scenario(ws_url, tcp_url):
    ws = await step(nats.connect(ws_url, name="nats-py-ws", allow_reconnect=False))
    tcp = await step(nats.connect(tcp_url, name="nats-py-tcp", allow_reconnect=False))
    try:
        to_ws = await ws.subscribe("to.ws")
        to_tcp = await tcp.subscribe("to.tcp")

        async def answer_tcp(msg):
            await tcp.publish(msg.reply, b"tcp:" + msg.data)

        async def answer_ws(msg):
            await ws.publish(msg.reply, b"ws:" + msg.data)

        await tcp.subscribe("service.tcp", cb=answer_tcp)
        await ws.subscribe("service.ws", cb=answer_ws)
        await step(ws.flush())
        await step(tcp.flush())

        await tcp.publish("to.ws", b"from tcp", headers={"X-Via": "tcp"})
        message = await step(to_ws.next_msg())
        expect("ws receives", message.data, b"from tcp")
        expect("header over ws", (message.headers or {}).get("X-Via"), "tcp")

        large = bytes(i % 251 for i in range(LARGE_BYTES))
        await ws.publish("to.tcp", large)
        message = await step(to_tcp.next_msg())
        expect("large payload from ws", message.data, large)

        reply = await step(ws.request("service.tcp", b"ping", timeout=STEP_TIMEOUT_S))
        expect("ws asks tcp", reply.data, b"tcp:ping")
        reply = await step(tcp.request("service.ws", b"ping", timeout=STEP_TIMEOUT_S))
        expect("tcp asks ws", reply.data, b"ws:ping")

        workers = [await ws.subscribe("jobs", queue="q"), await tcp.subscribe("jobs", queue="q")]
        await step(ws.flush())
        await step(tcp.flush())
        for index in range(20):
            await tcp.publish("jobs", str(index).encode())
        await step(tcp.flush())
        seen = []
        for worker in workers:
            while True:
                try:
                    message = await worker.next_msg(timeout=0.5)
                except nats.errors.TimeoutError:
                    break
                seen.append(int(message.data))
        expect("each job once, to one member", sorted(seen), list(range(20)))
    finally:
        await ws.close()
        await tcp.close()


def main():
    ws_url, tcp_url = sys.argv[1], sys.argv[2]
    try:
        asyncio.run(asyncio.wait_for(scenario(ws_url, tcp_url), SCENARIO_TIMEOUT_S))
    except Exception as error:  # noqa: BLE001 - every failure is reported, then exit 1
        print(f"FAIL: {error!r}", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
