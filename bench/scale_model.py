#!/usr/bin/env python3
"""Recomputes docs/scale.md from the benchmarks' output files and AWS's published figures.

Reads bench/out/round_trips.json (round_trips.sh), bench/out/gateway_rps.json (gateway_rps.sh)
and, when present, bench/out/cold_start.jsonl (cold_start.sh); writes docs/scale.md.
Usage, from the repo root: python3 bench/scale_model.py [OUT_DIR] [SCALE_MD]

Every input is named in the page with where it comes from: a measurement of this project (the
file above), an AWS quota or price (its documentation page), or an assumption (said as such).
"""

import json
import math
import os
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else "bench/out"
PAGE = sys.argv[2] if len(sys.argv) > 2 else "docs/scale.md"

# --- AWS's published quotas and prices (us-east-1 on-demand list prices) -------------------------
SOURCES = {
    "lambda-pricing": "AWS Lambda pricing, https://aws.amazon.com/lambda/pricing/",
    "lambda-scaling": "Lambda scaling behavior, https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html",
    "lambda-quotas": "Lambda quotas, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
    "apigw-pricing": "Amazon API Gateway pricing, https://aws.amazon.com/api-gateway/pricing/",
    "apigw-quotas": "Amazon API Gateway quotas, https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html",
    "ws-quotas": "Quotas for configuring and running a WebSocket API in API Gateway, "
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html",
    "proxy-pricing": "Amazon RDS Proxy pricing, https://aws.amazon.com/rds/proxy/pricing/",
    "proxy-connections": "RDS Proxy connection considerations (MaxConnectionsPercent, IdleClientTimeout), "
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-connections.html",
    "rds-pricing": "Amazon RDS for PostgreSQL pricing, https://aws.amazon.com/rds/postgresql/pricing/",
    "t4g-baseline": "Key concepts for burstable instances (baseline utilization per vCPU of T4g), "
    "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/burstable-credits-baseline-concepts.html",
    "readme": "README, 'What a small deployment costs per month' (dev, 1 million requests a month)",
}
LAMBDA_PER_MILLION = 0.20  # lambda-pricing
LAMBDA_ARM_GB_SECOND = 0.0000133334  # lambda-pricing, arm64
LAMBDA_MEMORY_GB = 0.25  # template.yaml: 256 MB
ACCOUNT_CONCURRENCY = 1000  # lambda-quotas, default, can be raised
HTTP_API_PER_MILLION = 1.00  # apigw-pricing, first 300 million a month
WS_MESSAGE_PER_MILLION = 1.00  # apigw-pricing, first 1 billion messages
ACCOUNT_THROTTLE_RPS = 10_000  # apigw-quotas: account-level throttle per Region (burst 5,000)
WS_NEW_CONNECTIONS_PER_S = 500  # ws-quotas
PROXY_VCPU_HOUR = 0.015  # proxy-pricing, billed for at least 2 vCPUs
HOURS = 730
# rds-pricing, single-AZ, Graviton burstable: (name, vCPUs, $/hour, baseline CPU share per
# vCPU that its credits sustain, t4g-baseline)
INSTANCES = [
    ("db.t4g.micro", 2, 0.016, 0.10),
    ("db.t4g.small", 2, 0.032, 0.20),
    ("db.t4g.medium", 2, 0.065, 0.20),
    ("db.t4g.large", 2, 0.129, 0.30),
    ("db.t4g.xlarge", 4, 0.258, 0.40),
    ("db.t4g.2xlarge", 8, 0.517, 0.40),
]
DEV_FIXED_MONTHLY = 94 - 11.68 - 21.90 - 1.00 - 0.30  # readme total less what is recomputed here

# --- Assumptions, each said in the page -----------------------------------------------------
DEV_REQUESTS_PER_MONTH = 1_000_000  # readme
PEAK_TO_AVERAGE = 10  # traffic comes in busy hours: the peak second is 10x the month's average
WRITE_SHARE = 0.2  # 1 write in 5 requests
PROXY_RTT_MS = 1.0  # a round trip Lambda -> RDS Proxy -> PostgreSQL (the issue: 0.3 to 1 ms)
HANDLER_MS = 3.0  # a warm function's own work per request, outside the database
AUTHORIZER_MS = 2.0  # a warm authorizer with its cache hit (30 s, per environment)
CONNECTIONS_PER_OWNER = 2  # open WebSocket clients of the owner of a changed goal


def load(name):
    path = os.path.join(OUT, name)
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: run the benchmark that writes it first")
    with open(path) as f:
        return json.load(f)


def money(x):
    return f"${x:,.0f}" if x >= 100 else f"${x:,.2f}"


def main():
    trips = {r["route"]: r for r in load("round_trips.json")["routes"]}
    rps = load("gateway_rps.json")
    cold = []
    cold_path = os.path.join(OUT, "cold_start.jsonl")
    if os.path.exists(cold_path):
        cold = [json.loads(line) for line in open(cold_path)]

    read_trips = trips["GET /goals"]["round_trips"]
    write_trips = trips["POST /goals"]["round_trips"]
    trips_per_request = (1 - WRITE_SHARE) * read_trips + WRITE_SHARE * write_trips
    # pgbench ran each request's statements at 16 clients on this machine's 2 cores: the
    # database's CPU per request is what PostgreSQL's processes used per transaction, as
    # gateway_rps.sh measured it; an older output has only the bound 2 cores / transactions/s.
    machine_cores = 2

    def database_cpu_ms(load):
        measured = rps.get(f"{load}_cpu_us", {}).get("postgres_under_pgbench")
        if measured:
            return measured / 1000, "measured"
        return machine_cores * 1000 / rps[load]["pgbench_tps"], "at most"

    (cpu_ms_read, read_kind), (cpu_ms_write, write_kind) = database_cpu_ms("list"), database_cpu_ms("create")
    cpu_ms_per_request = (1 - WRITE_SHARE) * cpu_ms_read + WRITE_SHARE * cpu_ms_write
    db_ms_per_request = trips_per_request * PROXY_RTT_MS
    function_ms = HANDLER_MS + db_ms_per_request

    lines = []
    say = lines.append
    say("# Scale and cost model")
    say("")
    say("Generated by `python3 bench/scale_model.py` from the benchmarks' output in `bench/out/`; do not")
    say("edit by hand: rerun `bench/round_trips.sh`, `bench/gateway_rps.sh` (and `bench/cold_start.sh`),")
    say("then the script. Every figure below is a measurement of this project (M), an AWS quota or price")
    say("with its source (Q, listed at the end), or an assumption (A), and says which.")
    say("")
    say("## Inputs")
    say("")
    say("| input | value | kind |")
    say("|---|---|---|")
    say(f"| database round trips, `GET /goals` | {read_trips} | M `bench/round_trips.sh` |")
    say(f"| database round trips, `POST /goals` (insert, then the owner's connections) | {write_trips} | M `bench/round_trips.sh` |")
    say(f"| authorizer key lookup, uncached | {trips['authorizer key lookup (401)']['round_trips']} round trip | M `bench/round_trips.sh` |")
    say(f"| PostgreSQL, `GET /goals` statements at 16 clients, 2 cores | {rps['list']['pgbench_tps']:,.0f}/s, {cpu_ms_read:.3f} ms of CPU each ({read_kind}) | M `bench/gateway_rps.sh` (pgbench) |")
    say(f"| PostgreSQL, `POST /goals` statements at 16 clients, 2 cores | {rps['create']['pgbench_tps']:,.0f}/s, {cpu_ms_write:.3f} ms of CPU each ({write_kind}) | M `bench/gateway_rps.sh` (pgbench) |")
    say(f"| local gateway, same loads | {rps['list']['gateway_rps']:,.0f} and {rps['create']['gateway_rps']:,.0f} requests/s | M `bench/gateway_rps.sh` (wrk) |")
    for r in cold:
        database = "" if r["function"] == "hello-lambda" else f", database from `{r.get('config', 'DATABASE_URL')}`"
        say(f"| init of `{r['function']}` (emulated Runtime API{database}) | {r['init_ms']:.1f} ms; first request {r['first_invocation_ms']:.1f} ms | M `bench/cold_start.sh` |")
    say(f"| dev traffic | {DEV_REQUESTS_PER_MONTH:,} requests a month | Q readme |")
    say(f"| peak second / average second | {PEAK_TO_AVERAGE}x | A |")
    say(f"| writes among requests | {WRITE_SHARE:.0%} | A |")
    say(f"| round trip Lambda → RDS Proxy → PostgreSQL | {PROXY_RTT_MS} ms | A (AWS publishes none; the proxy adds a hop) |")
    say(f"| a function's own work per request, warm | {HANDLER_MS} ms, so {function_ms:.1f} ms billed per request | A |")
    say(f"| the authorizer per request, warm, cache hit | {AUTHORIZER_MS} ms | A |")
    say(f"| open WebSocket clients per owner of a changed goal | {CONNECTIONS_PER_OWNER} | A |")
    say("")

    say("## Requests per second against Lambda, RDS Proxy and the database")
    say("")
    say("Each Lambda environment serves one request at a time on one connection (`DB_MAX_CONNECTIONS`")
    say("= 1), so Lambda concurrency = peak requests/s × seconds per request (Little's law), and RDS")
    say("Proxy holds one client connection per environment (Q proxy-connections). A statement is its own")
    say("transaction, so the proxy needs a database connection only while a statement runs: database")
    say("connections ≈ peak statements/s × round-trip time.")
    say("")
    say("| traffic | requests/month | peak req/s | Lambda concurrency (functions + authorizer) | proxy client connections | database connections busy | database CPU | smallest instance within its CPU baseline (Q t4g-baseline) |")
    say("|---|---|---|---|---|---|---|---|")
    tiers = []
    for factor in (1, 10, 100, 1000):
        monthly = DEV_REQUESTS_PER_MONTH * factor
        peak = monthly / (30 * 86400) * PEAK_TO_AVERAGE
        concurrency = peak * (function_ms + AUTHORIZER_MS) / 1000
        clients = peak * function_ms / 1000
        busy = peak * db_ms_per_request / 1000
        cpu_cores = peak * cpu_ms_per_request / 1000
        fitting = next((i for i in INSTANCES if cpu_cores <= i[1] * i[3]), None)
        tiers.append(dict(factor=factor, monthly=monthly, peak=peak, concurrency=concurrency,
                          clients=clients, busy=busy, cpu=cpu_cores, instance=fitting))
        name = fitting[0] if fitting else "none of the table: replicas or Aurora"
        say(f"| {factor}x | {monthly:,} | {peak:,.1f} | {concurrency:,.1f} | {math.ceil(clients)} | {busy:.2f} | {cpu_cores:.2f} vCPU | {name} |")
    say("")

    say("## WebSocket fan-out against the Management API")
    say("")
    say("Each goal change is one `POST /@connections/{id}` per open connection of its owner, billed as a")
    say(f"WebSocket message (Q apigw-pricing, ${WS_MESSAGE_PER_MILLION:.2f} per million) and counted against the")
    say(f"account-level throttle of {ACCOUNT_THROTTLE_RPS:,} requests/s per Region that every API Gateway call")
    say(f"shares (Q apigw-quotas). New WebSocket connections are limited to {WS_NEW_CONNECTIONS_PER_S}/s per account")
    say("(Q ws-quotas); a connection lives at most 2 hours and idles out after 10 minutes (Q ws-quotas).")
    say("")
    say("| traffic | peak writes/s | pushes/s | share of the 10,000/s throttle (with the HTTP requests) |")
    say("|---|---|---|---|")
    for t in tiers:
        writes = t["peak"] * WRITE_SHARE
        pushes = writes * CONNECTIONS_PER_OWNER
        share = (pushes + t["peak"]) / ACCOUNT_THROTTLE_RPS
        t["pushes_month"] = t["monthly"] * WRITE_SHARE * CONNECTIONS_PER_OWNER
        say(f"| {t['factor']}x | {writes:,.1f} | {pushes:,.1f} | {share:.1%} |")
    say("")
    say("`bench/ws_fanout.sh` measures one change to 200 clients of one owner locally; one owner with")
    say("thousands of clients is the case that batches first (see below).")
    say("")

    say("## Cost per month and per million requests")
    say("")
    say("Lambda: two invocations per request (the function and the authorizer, whose own cache does not")
    say("save the invocation: API Gateway's result cache is off so both key headers work), arm64, 256 MB")
    say("(Q lambda-pricing). HTTP API per request (Q apigw-pricing). RDS instance and RDS Proxy from the")
    say("instance the CPU column picks (Q rds-pricing, Q proxy-pricing: $0.015 per vCPU-hour, at least")
    say(f"2 vCPUs). Everything else of the dev deployment (NAT, endpoint, storage, logs…) is kept at its")
    say(f"README figure, {money(DEV_FIXED_MONTHLY)} a month (Q readme), though logs grow with traffic.")
    say("")
    say("| traffic | Lambda | HTTP API | WebSocket pushes | RDS instance | RDS Proxy | rest of dev | total/month | per million requests |")
    say("|---|---|---|---|---|---|---|---|---|")
    for t in tiers:
        invocations = 2 * t["monthly"]
        gb_seconds = t["monthly"] * (function_ms + AUTHORIZER_MS) / 1000 * LAMBDA_MEMORY_GB
        lam = invocations / 1e6 * LAMBDA_PER_MILLION + gb_seconds * LAMBDA_ARM_GB_SECOND
        http = t["monthly"] / 1e6 * HTTP_API_PER_MILLION
        pushes = t["pushes_month"] / 1e6 * WS_MESSAGE_PER_MILLION
        instance = t["instance"] or INSTANCES[-1]
        rds = instance[2] * HOURS
        proxy = max(2, instance[1]) * PROXY_VCPU_HOUR * HOURS
        total = lam + http + pushes + rds + proxy + DEV_FIXED_MONTHLY
        t["fixed_share"] = (rds + proxy + DEV_FIXED_MONTHLY) / total
        say(f"| {t['factor']}x | {money(lam)} | {money(http)} | {money(pushes)} | {money(rds)} ({instance[0]}) | {money(proxy)} | {money(DEV_FIXED_MONTHLY)} | {money(total)} | {money(total / (t['monthly'] / 1e6))} |")
    say("")

    hundred = tiers[2]
    say("HTTP API requests are priced at the first tier throughout ($0.90 per million past 300 million:")
    say("the 1000x figure is a little high).")
    say("")
    say("## What happens at 100x, and where it breaks first")
    say("")
    say(f"At 100x ({hundred['monthly']:,} requests a month, {hundred['peak']:,.0f} requests/s at peak) nothing")
    say(f"breaks: {hundred['concurrency']:.0f} concurrent environments of the {ACCOUNT_CONCURRENCY:,} an account has (Q lambda-quotas),")
    say(f"{math.ceil(hundred['clients'])} proxy client connections, {hundred['busy']:.2f} database connections busy on average, and")
    say(f"{hundred['cpu']:.2f} vCPU of database CPU: within a {hundred['instance'][0] if hundred['instance'] else 'larger instance'} within its credit baseline. The bill is")
    say(f"{hundred['fixed_share']:.0%} fixed (database, proxy, network around them); the rest grows with requests.")
    say("")
    say("In order, as traffic grows:")
    say("")
    say("1. **Database CPU on a burstable instance.** The first limit reached: a `t4g` earns credits for")
    say("   only a part of its vCPUs. Move up the instance table, then to a general-purpose instance, and")
    say("   send reads to replicas through an RDS Proxy **reader endpoint** (reads are 80% here and each is")
    say("   one statement, so they move without code changes beyond a second store URL), or to **Aurora")
    say("   Serverless v2**, which scales its capacity with the load and bills per ACU-hour.")
    say("2. **Cold starts at bursts.** Lambda adds at most 1,000 environments every 10 s per function")
    say("   (Q lambda-scaling), and each new one pays its init and its first connect (see the cold-start")
    say("   inputs). For a known daily peak, **provisioned concurrency** on `list-goals` and the authorizer.")
    thousand = tiers[3]
    throttle_share = (thousand["peak"] * (1 + WRITE_SHARE * CONNECTIONS_PER_OWNER)) / ACCOUNT_THROTTLE_RPS
    say(f"3. **API Gateway's account throttle** (10,000 requests/s, Q apigw-quotas), shared by the HTTP")
    say(f"   requests and every push: {throttle_share:.0%} of it at 1000x's peak, so it is the next wall after")
    say("   the database; an owner with many open clients multiplies pushes. Then **batch pushes** (one")
    say("   message for several changes of a burst), fan out through a queue, and ask for a higher quota.")
    say(f"4. **Lambda account concurrency** (1,000 by default, Q lambda-quotas) is far off: {thousand['concurrency']:.0f} at")
    say("   1000x's peak, because a request holds its environment only a few milliseconds. It comes")
    say("   closer only if requests get slower (a slow database makes every environment wait longer).")
    say("5. **WebSocket connects** (500 new connections/s, Q ws-quotas) only at a very large audience")
    say("   reconnecting at once, e.g. after a deploy; clients should reconnect with jitter.")
    say("")
    say("## Sources")
    say("")
    for key, text in SOURCES.items():
        say(f"- {key}: {text}")
    say("")
    with open(PAGE, "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {PAGE}")


if __name__ == "__main__":
    main()
