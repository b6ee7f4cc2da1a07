#!/usr/bin/env python3
"""Measures, for each server binary given: start-to-ready time (spawn until the
"Server is ready" log line, median of 10), GET /varz latency over loopback (median and p99 of
200 sequential requests) and resident memory afterwards.

Usage: python3 tests/scripts/server_startup_varz.py target/release/natrium /usr/sbin/nats-server
Loopback only; every server started here is terminated before the next one starts.
"""
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

STARTS = 10
REQUESTS = 200


def start(binary, store, extra):
    process = subprocess.Popen(
        [binary, "-a", "127.0.0.1", "-p", "-1", "-sd", store, *extra],
        stderr=subprocess.PIPE, text=True)
    monitor_port = None
    for line in process.stderr:
        found = re.search(r"Starting http monitor on .*:(\d+)", line)
        if found:
            monitor_port = int(found.group(1))
        if "Server is ready" in line:
            break
    return process, monitor_port


def measure(binary):
    with tempfile.TemporaryDirectory() as store:
        ready = []
        for _ in range(STARTS):
            began = time.perf_counter()
            process, _ = start(binary, store, [])
            ready.append(time.perf_counter() - began)
            process.terminate()
            process.wait()
        process, port = start(binary, store, ["-m", "-1"])
        latencies = []
        for _ in range(REQUESTS):
            began = time.perf_counter()
            urllib.request.urlopen(f"http://127.0.0.1:{port}/varz").read()
            latencies.append(time.perf_counter() - began)
        with open(f"/proc/{process.pid}/status") as status:
            rss = next(line.split()[1] for line in status if line.startswith("VmRSS"))
        process.terminate()
        process.wait()
    latencies.sort()
    print(f"{binary}: start->ready median {statistics.median(ready) * 1000:.1f} ms; "
          f"GET /varz median {statistics.median(latencies) * 1000:.2f} ms "
          f"p99 {latencies[int(REQUESTS * 0.99) - 1] * 1000:.2f} ms; RSS {rss} kB")


for binary in sys.argv[1:]:
    measure(binary)
