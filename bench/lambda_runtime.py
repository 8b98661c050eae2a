#!/usr/bin/env python3
"""Runs a function binary as Lambda would, feeds it N invocations, and reports its peak RSS.

A small Lambda Runtime API (the 2018-06-01 interface the binary polls) on 127.0.0.1:
  GET  /2018-06-01/runtime/invocation/next          the next event, with the Lambda-Runtime-* headers
  POST /2018-06-01/runtime/invocation/{id}/response the function's answer
  POST /2018-06-01/runtime/invocation/{id}/error    a function error
  POST /2018-06-01/runtime/init/error               an init failure
Invocations are sent one at a time, as one Lambda environment serves them. At the end the
process's VmHWM (peak resident set) is read from /proc before it is stopped.

Prints one line of JSON with the figures; exits 0 even when responses failed (they are counted).
"""

import argparse
import collections
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API = "/2018-06-01/runtime"
ACCOUNT = "123456789012"
REGION = "eu-west-1"


class Runtime:
    """What the emulated Runtime API shares between its handler threads and the driver."""

    def __init__(self, function_name):
        self.function_name = function_name
        self.events = queue.Queue()  # (request id, event bytes) waiting for /next
        self.answers = {}  # request id -> queue receiving ("response" | "error", body)
        self.init_error = None
        self.first_poll = threading.Event()
        self.lock = threading.Lock()

    def invoke(self, event, timeout):
        """Hands one event to the function and waits for its answer: (kind, body) or None."""
        request_id = str(uuid.uuid4())
        answer = queue.Queue(maxsize=1)
        with self.lock:
            self.answers[request_id] = answer
        self.events.put((request_id, event))
        try:
            return answer.get(timeout=timeout)
        except queue.Empty:
            return None
        finally:
            with self.lock:
                self.answers.pop(request_id, None)

    def answer(self, request_id, kind, body):
        with self.lock:
            waiting = self.answers.get(request_id)
        if waiting is None:
            return False
        waiting.put((kind, body))
        return True


def handler_for(runtime):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real Runtime API

        def log_message(self, *args):  # quiet: one line per request would drown the figures
            pass

        def reply(self, status, body=b"", headers=()):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def read_body(self):
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self):
            if self.path != f"{API}/invocation/next":
                return self.reply(404, b'{"errorMessage":"not found"}')
            runtime.first_poll.set()
            request_id, event = runtime.events.get()  # long poll, as Lambda does
            deadline_ms = int(time.time() * 1000) + 30_000
            trace = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"
            arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{runtime.function_name}"
            self.reply(200, event, [
                ("Lambda-Runtime-Aws-Request-Id", request_id),
                ("Lambda-Runtime-Deadline-Ms", str(deadline_ms)),
                ("Lambda-Runtime-Invoked-Function-Arn", arn),
                ("Lambda-Runtime-Trace-Id", trace),
            ])

        def do_POST(self):
            body = self.read_body()
            parts = self.path[len(API):].strip("/").split("/")
            if parts == ["init", "error"]:
                runtime.init_error = body.decode(errors="replace")
                return self.reply(202, b'{"status":"OK"}')
            if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                if runtime.answer(parts[1], parts[2], body):
                    return self.reply(202, b'{"status":"OK"}')
                return self.reply(400, b'{"errorMessage":"unknown request id"}')
            self.reply(404, b'{"errorMessage":"not found"}')

    return Handler


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # The function's keep-alive connection is cut when it is stopped: expected, not news.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def api_gateway_event(method, body, owner):
    """A realistic API Gateway v2 HTTP API event for /goals, the authorizer naming `owner`."""
    now = time.time()
    headers = {"accept": "application/json", "host": "bench.execute-api.eu-west-1.amazonaws.com",
               "user-agent": "goal-tracker-bench", "x-forwarded-proto": "https"}
    if body is not None:
        headers["content-type"] = "application/json"
    event = {
        "version": "2.0", "routeKey": f"{method} /goals", "rawPath": "/goals", "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT, "apiId": "bench", "authorizer": {"lambda": {"owner": owner}},
            "domainName": headers["host"], "domainPrefix": "bench",
            "http": {"method": method, "path": "/goals", "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": headers["user-agent"]},
            "requestId": uuid.uuid4().hex[:16], "routeKey": f"{method} /goals", "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = json.dumps(body)
    return event


GENERATED = {
    "list-goals": lambda owner: api_gateway_event("GET", None, owner),
    "create-goal": lambda owner: api_gateway_event("POST", {"name": "Benchmark goal"}, owner),
    # The cold-start baseline (bench/hello-lambda) answers any HTTP event.
    "hello-lambda": lambda owner: api_gateway_event("GET", None, owner),
    # The admin function takes a command, not an HTTP event: listing keys reads the database.
    "api-keys": lambda owner: {"action": "list"},
}


def load_event(function, events_dir, owner, path=None):
    """`path` when given, else events/<function>.json when it exists (the canonical sample),
    else a generated event."""
    if path:
        with open(path, "rb") as f:
            return f.read(), os.path.relpath(path)
    path = os.path.join(events_dir, f"{function}.json")
    if os.path.isfile(path):
        with open(path, "rb") as f:
            return f.read(), os.path.relpath(path)
    if function not in GENERATED:
        sys.exit(f"no {path} and no generated event for {function}")
    return json.dumps(GENERATED[function](owner)).encode(), "generated"


def memory_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--function", required=True, help="the function's name (list-goals, …)")
    parser.add_argument("--database-url",
                        help="DATABASE_URL; omitted, the function reads the database from the "
                        "environment (DB_SECRET_ARN and its companions, as in AWS)")
    parser.add_argument("--invocations", type=int, default=1000)
    parser.add_argument("--events-dir", default="events")
    parser.add_argument("--event", help="the event file (default: events/<function>.json)")
    parser.add_argument("--owner", default="bench", help="owner of generated events")
    parser.add_argument("--ok-status", default="200,201",
                        help="expected API Gateway statuses, or `any` for a function whose "
                        "answer is not an HTTP response (any answer but a function error)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per invocation")
    parser.add_argument("--deadline", type=float, default=300.0, help="seconds for the whole run")
    args = parser.parse_args()
    ok_status = None if args.ok_status == "any" else {int(s) for s in args.ok_status.split(",")}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stop the function on TERM
    event, event_source = load_event(args.function, args.events_dir, args.owner, args.event)

    runtime = Runtime(args.function)
    server = QuietServer(("127.0.0.1", 0), handler_for(runtime))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]

    env = dict(os.environ,
               AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{port}",
               AWS_LAMBDA_FUNCTION_NAME=args.function,
               AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128",
               AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
               AWS_LAMBDA_LOG_STREAM_NAME="2026/11/22/[$LATEST]bench",
               AWS_LAMBDA_LOG_GROUP_NAME=f"/aws/lambda/{args.function}",
               AWS_REGION=REGION)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
        env.pop("DB_SECRET_ARN", None)
    started = time.monotonic()
    proc = subprocess.Popen([args.binary], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    stderr_tail = collections.deque(maxlen=5)  # the last lines, to explain an early exit
    threading.Thread(target=lambda: stderr_tail.extend(proc.stderr), daemon=True).start()

    result = {"function": args.function, "event": event_source, "invocations": 0, "errors": 0,
              "first_errors": [], "peak_rss_kib": None, "rss_kib": None}
    try:
        while not runtime.first_poll.wait(0.1):
            if proc.poll() is not None or runtime.init_error or time.monotonic() - started > 30:
                break
        result["init_ms"] = round((time.monotonic() - started) * 1000, 1)
        load_started = time.monotonic()
        for _ in range(args.invocations):
            if proc.poll() is not None or runtime.init_error:
                break
            if time.monotonic() - started > args.deadline:
                result["first_errors"].append("deadline reached")
                break
            invoked = time.monotonic()
            answer = runtime.invoke(event, args.timeout)
            if not result["invocations"]:  # the first one opens the database connection
                result["first_invocation_ms"] = round((time.monotonic() - invoked) * 1000, 1)
            result["invocations"] += 1
            problem = check(answer, ok_status)
            if problem:
                result["errors"] += 1
                if len(result["first_errors"]) < 3:
                    result["first_errors"].append(problem)
        result["wall_s"] = round(time.monotonic() - load_started, 3)
        if proc.poll() is None:
            result["peak_rss_kib"] = memory_kib(proc.pid, "VmHWM")
            result["rss_kib"] = memory_kib(proc.pid, "VmRSS")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        server.shutdown()
    if runtime.init_error:
        result["first_errors"].insert(0, f"init error: {runtime.init_error[:300]}")
    if result["peak_rss_kib"] is None:
        result["first_errors"].append(f"process exited ({proc.returncode}): "
                                      + b"".join(stderr_tail).decode(errors="replace")[-500:])
    result["errors"] += args.invocations - result["invocations"]  # never sent counts as failed
    print(json.dumps(result))


def check(answer, ok_status):
    """None when the answer is an API Gateway response with an expected status (any answer
    when `ok_status` is None), else why not."""
    if answer is None:
        return "no answer in time"
    kind, body = answer
    if kind == "error":
        return f"function error: {body[:200].decode(errors='replace')}"
    if ok_status is None:
        return None
    try:
        status = json.loads(body)["statusCode"]
    except (ValueError, KeyError, TypeError):
        return f"not an API Gateway response: {body[:200].decode(errors='replace')}"
    if status not in ok_status:
        return f"status {status}: {body[:200].decode(errors='replace')}"
    return None


if __name__ == "__main__":
    main()
