"""Event-intake throughput: batches/s with a decision returned, against a bare Starlette endpoint.

Both servers run the same way (uvicorn, one worker, same settings, in their own process) and get the same
pre-built event batches over real HTTP on loopback from a small asyncio load generator (keep-alive
connections, a fixed number of concurrent clients, a bounded number of requests). The bare endpoint only
reads and parses the JSON and returns a constant; the service validates the batch, folds it into its
session, decides with ``examples/rules.yaml`` and stores the session. Target: service >= 80% of bare.

Two figures per server: batches per wall-clock second, and batches per second of the server process's own
CPU time. On a busy machine the wall clock mostly measures the neighbours; the CPU figure is what a
dedicated core would do, so the verdict uses it (the best of the alternating rounds for each server).

    python benchmarks/bench_intake.py [--requests 4000] [--clients 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RULES = ROOT / "examples" / "rules.yaml"
CATEGORIES = ["cameras", "lenses", "fishing", "rods", "tents", "boots"]


# ---------------------------------------------------------------------- the two servers


def bare_app():
    import ujson
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def events(request: Request) -> Response:
        ujson.loads(await request.body())
        return Response(b'{"session":"s","decision":{"channel":null}}', media_type="application/json")

    return Starlette(routes=[Route("/v1/events", events, methods=["POST"])])


def service_app():
    from sdk import ServiceConfig, SiteConfig, create_app

    config = ServiceConfig(rules_path=RULES, sites=[SiteConfig("demo", ["http://shop.test"], "bench")],
                           presence={"demo": {"experts": ["ana"], "advisors": ["ben"]}}, reload_interval=0)
    return create_app(config)


def serve(kind: str, port: int) -> None:
    import uvicorn

    app = bare_app() if kind == "bare" else service_app()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, workers=1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(kind: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--port", str(port)], cwd=ROOT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{kind} server did not start")


# ---------------------------------------------------------------------- the load


def batches(count: int, sessions: int) -> list[bytes]:
    """Realistic batches: each session browses products, moves its cart, reaches the checkout."""
    rng = random.Random(3)
    bodies = []
    for index in range(count):
        session = f"bench-{index % sessions}"
        step = index // sessions
        now_ms = time.time() * 1000
        category = rng.choice(CATEGORIES)
        events: list[dict] = [{"type": "page_view", "t": now_ms - 900, "url": f"http://shop.test/{category}/{step}",
                               "path": f"/{category}/{step}", "page_type": "product", "category": category,
                               "product": str(step), "price": 199.0, "device": "desktop", "visit_count": 2}]
        events.append({"type": "activity", "t": now_ms - 500})
        if step % 3 == 2:
            events.append({"type": "cart", "t": now_ms - 300, "value": 40.0 * step, "items": step})
        if step % 4 == 3:
            events.append({"type": "checkout_step", "t": now_ms - 100, "step": "shipping"})
        events.append({"type": "visibility", "t": now_ms - 50, "visible": True})
        bodies.append(json.dumps({"site": "demo", "session": session, "visitor": "v", "sent_at": now_ms,
                                  "events": events}).encode())
    return bodies


async def load(port: int, bodies: list[bytes], clients: int, time_limit: float) -> tuple[int, float]:
    """Send every body once over ``clients`` keep-alive connections; (requests done, seconds)."""
    queue = list(reversed(bodies))
    done = 0
    deadline = time.monotonic() + time_limit

    async def client() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while queue and time.monotonic() < deadline:
                body = queue.pop()
                writer.write(b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                head = await reader.readuntil(b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(f"unexpected answer: {head[:200]!r}")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                done += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return done, time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(kind: str, requests: int, clients: int, sessions: int, time_limit: float) -> tuple[float, float]:
    """(batches per wall-clock second, batches per second of the server's own CPU time)."""
    process, port = start(kind)
    try:
        asyncio.run(load(port, batches(200, sessions), clients, time_limit))        # warm-up
        bodies = batches(requests, sessions)
        cpu_before = cpu_seconds(process.pid)
        done, seconds = asyncio.run(load(port, bodies, clients, time_limit))
        cpu = cpu_seconds(process.pid) - cpu_before
        return done / seconds, done / max(cpu, 1e-9)
    finally:
        process.terminate()
        process.wait(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=4000, help="batches per measurement")
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive connections")
    parser.add_argument("--sessions", type=int, default=500, help="distinct sessions the batches belong to")
    parser.add_argument("--rounds", type=int, default=3, help="alternating measurements; the best of each counts")
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds per measurement at most")
    parser.add_argument("--serve", choices=["bare", "service"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.port)
        return 0
    wall: dict[str, list[float]] = {"bare": [], "service": []}
    cpu: dict[str, list[float]] = {"bare": [], "service": []}
    for _ in range(args.rounds):
        for kind in ("bare", "service"):
            per_wall, per_cpu = run(kind, args.requests, args.clients, args.sessions, args.time_limit)
            wall[kind].append(per_wall)
            cpu[kind].append(per_cpu)
    print(f"requests per measurement: {args.requests}, clients: {args.clients}, sessions: {args.sessions}, "
          f"rounds: {args.rounds} (cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f})")
    for label, table, unit in (("wall clock", wall, "batches/s"), ("server CPU", cpu, "batches/CPU-s")):
        bare, service = max(table["bare"]), max(table["service"])
        print(f"{label}: bare Starlette {bare:7.0f} {unit} (runs {', '.join(f'{v:.0f}' for v in table['bare'])}); "
              f"clickto service {service:7.0f} {unit} (runs {', '.join(f'{v:.0f}' for v in table['service'])}); "
              f"ratio {service / bare:.1%}")
    ratio = max(cpu["service"]) / max(cpu["bare"])
    print(f"ratio service/bare (server CPU, robust on a shared machine): {ratio:.1%} (target >= 80%)")
    return 0 if ratio >= 0.8 else 1


if __name__ == "__main__":
    sys.exit(main())
