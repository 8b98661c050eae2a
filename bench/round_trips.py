#!/usr/bin/env python3
"""Counts the database round trips of each REST route of the local gateway.

A small TCP proxy sits between the gateway and PostgreSQL and reads the wire protocol in both
directions. A round trip is one ReadyForQuery ('Z') from the server: PostgreSQL sends exactly
one after each simple Query and after each Sync of the extended protocol, and the client must
wait for it before the server has finished. The proxy also counts what the client sent (simple
Query 'Q', Parse 'P', Bind 'B') and the connections it opened, whose startup 'Z' is counted
apart.

Usage: round_trips.py GATEWAY_BINARY POSTGRES_URL OUT_JSON
(bench/round_trips.sh builds the gateway and makes the fresh database.) The URL must not use
TLS: the proxy reads plain protocol. Each route is requested REPEATS times, after one warm-up
request, and the most a request cost is reported; the gateway's own background traffic (the
pool's releases) is included, because it is traffic the request caused. The authorizer's key
lookup is measured on its own, with a well-formed key nobody issued (an unknown key is never
cached): in AWS the authorizer is a function of its own, locally its answer is cached 30 s.
"""

import asyncio
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

REPEATS = 3
# Time for traffic that follows a response (a connection going back to its pool) to arrive.
SETTLE_SECONDS = 0.2
READ_TARGET, WRITE_TARGET = 2, 3


class Counts:
    """What crossed the proxy, in total."""

    def __init__(self):
        self.round_trips = 0  # 'Z' after the startup one
        self.queries = 0  # 'Q'
        self.parses = 0  # 'P'
        self.binds = 0  # 'B'
        self.connections = 0

    def snapshot(self):
        return dict(vars(self))


COUNTS = Counts()


async def pump_server(reader, writer):
    """Server to client: counts ReadyForQuery, after the first one of the connection."""
    seen_startup_ready = False
    buffer = b""
    while data := await reader.read(65536):
        writer.write(data)
        buffer += data
        while len(buffer) >= 5:
            length = int.from_bytes(buffer[1:5], "big")
            if len(buffer) < 1 + length:
                break
            if buffer[:1] == b"Z":
                if seen_startup_ready:
                    COUNTS.round_trips += 1
                seen_startup_ready = True
            buffer = buffer[1 + length :]
        await writer.drain()
    writer.close()


async def pump_client(reader, writer):
    """Client to server: skips the untyped startup message, then counts Q, P and B."""
    buffer = b""
    started = False
    while data := await reader.read(65536):
        writer.write(data)
        buffer += data
        while True:
            if not started:
                if len(buffer) < 4:
                    break
                length = int.from_bytes(buffer[:4], "big")
                if len(buffer) < length:
                    break
                buffer, started = buffer[length:], True
                continue
            if len(buffer) < 5:
                break
            length = int.from_bytes(buffer[1:5], "big")
            if len(buffer) < 1 + length:
                break
            kind = buffer[:1]
            COUNTS.queries += kind == b"Q"
            COUNTS.parses += kind == b"P"
            COUNTS.binds += kind == b"B"
            buffer = buffer[1 + length :]
        await writer.drain()
    writer.close()


async def start_proxy(upstream_host, upstream_port):
    async def handle(client_reader, client_writer):
        COUNTS.connections += 1
        try:
            server_reader, server_writer = await asyncio.open_connection(upstream_host, upstream_port)
        except OSError:
            client_writer.close()
            return
        try:
            await asyncio.gather(
                pump_client(client_reader, server_writer),
                pump_server(server_reader, client_writer),
                return_exceptions=True,
            )
        except asyncio.CancelledError:  # the run is over
            pass

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, key=None, body=None):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["X-API-Key"] = key
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


async def measure(label, method, url, expect, key=None, body=None):
    """The most round trips (and the rest) one request of this route cost, over REPEATS."""
    worst = None
    for _ in range(REPEATS):
        before = COUNTS.snapshot()
        status, text = await asyncio.to_thread(http, method, url(), key, body)
        await asyncio.sleep(SETTLE_SECONDS)
        if status != expect:
            raise SystemExit(f"{label}: answered {status}, expected {expect}: {text[:200]!r}")
        after = COUNTS.snapshot()
        cost = {name: after[name] - before[name] for name in after}
        if worst is None or cost["round_trips"] > worst["round_trips"]:
            worst = cost
    return worst


async def main(gateway, database_url, out_json):
    parsed = urllib.parse.urlsplit(database_url)
    server, proxy_port = await start_proxy(parsed.hostname, parsed.port or 5432)
    proxied = parsed._replace(netloc=f"{parsed.username}@127.0.0.1:{proxy_port}").geturl()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = os.path.join(os.path.dirname(out_json), "round-trips-gateway.log")
    env = dict(os.environ, LOCAL_ADDR=f"127.0.0.1:{port}", DATABASE_URL=proxied, DEV_OWNER="bench")
    with open(log_path, "w") as log:
        process = subprocess.Popen([gateway], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if (await asyncio.to_thread(http, "GET", f"{base}/health"))[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"the gateway did not answer GET /health (log: {log_path})")
            await asyncio.sleep(0.2)
        with open(log_path) as log:
            match = re.search(r"^\s+(gt_\S+)", log.read(), re.M)
        if not match:
            raise SystemExit(f"the gateway printed no dev key (log: {log_path})")
        key = match.group(1)
        unknown_key = "gt_" + secrets.token_urlsafe(32)[:43]

        # The first request with the key is the one whose owner the authorizer looks up.
        status, text = await asyncio.to_thread(http, "POST", f"{base}/goals", key, {"name": "first"})
        assert status == 201, (status, text)
        goal_id = json.loads(text)["id"]
        ids = iter(range(10**6))

        def created(_=None):
            status, text = http("POST", f"{base}/goals", key, {"name": f"to delete {next(ids)}"})
            assert status == 201, (status, text)
            return f"{base}/goals/{json.loads(text)['id']}"

        deletable = []

        def next_deletable():
            return deletable.pop()

        for _ in range(REPEATS):
            deletable.append(await asyncio.to_thread(created))

        routes = [
            ("authorizer key lookup (401)", "auth", "GET", lambda: f"{base}/goals", 401, unknown_key, None),
            ("GET /health", "read", "GET", lambda: f"{base}/health", 200, None, None),
            ("GET /goals", "read", "GET", lambda: f"{base}/goals", 200, key, None),
            ("GET /goals/{id}", "read", "GET", lambda: f"{base}/goals/{goal_id}", 200, key, None),
            ("GET /goals/{id} (404)", "read", "GET", lambda: f"{base}/goals/999999999", 404, key, None),
            ("POST /goals", "write", "POST", lambda: f"{base}/goals", 201, key, {"name": "counted"}),
            ("PATCH /goals/{id}", "write", "PATCH", lambda: f"{base}/goals/{goal_id}", 200, key, {"completed": True}),
            ("DELETE /goals/{id}", "write", "DELETE", next_deletable, 204, key, None),
        ]
        results = []
        for label, kind, method, url, expect, with_key, body in routes:
            cost = await measure(label, method, url, expect, with_key, body)
            target = {"read": READ_TARGET, "write": WRITE_TARGET}.get(kind)
            verdict = "" if target is None else ("PASS" if cost["round_trips"] <= target else "FAIL")
            results.append(dict(route=label, kind=kind, target=target, verdict=verdict, **cost))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        server.close()

    print(f"{'route':<30} {'round trips':>11} {'Query':>6} {'Parse':>6} {'Bind':>5} {'connects':>9} {'target':>7}")
    for r in results:
        target = f"<= {r['target']}" if r["target"] else "-"
        print(
            f"{r['route']:<30} {r['round_trips']:>11} {r['queries']:>6} {r['parses']:>6} {r['binds']:>5}"
            f" {r['connections']:>9} {target:>7} {r['verdict']}"
        )
    print("round trips = ReadyForQuery messages from PostgreSQL (the most of", REPEATS, "requests)")
    with open(out_json, "w") as out:
        json.dump({"repeats": REPEATS, "routes": results}, out, indent=2)
    print(f"raw figures: {os.path.relpath(out_json)}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    asyncio.run(main(*sys.argv[1:]))
