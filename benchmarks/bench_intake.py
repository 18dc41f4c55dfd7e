"""Event-intake throughput: batches/s with a decision returned, against a bare Starlette endpoint.

Both servers run the same way (``uvicorn.run`` with the same arguments, one worker, in their own process)
and get byte-for-byte the same requests over real HTTP on loopback from a small asyncio load generator
(keep-alive connections, a fixed number of concurrent clients, a bounded number of requests). The requests
are what the tag sends from a shop page: ``text/plain`` JSON with a browser's headers, ``Origin`` included,
so the service does its CORS check as in production. The bare endpoint only reads and parses the JSON and
returns a constant; the service checks origin and batch, folds it into its session, decides with
``examples/rules.yaml``, stores the session and answers with the decision. Every answer is checked (status
200 and a ``decision`` in the body).

The load is the steady state of a busy service: ``--sessions`` sessions (default 2000, more than the
store's 1024 live sessions, as at capacity: an active page sends a batch every 2 s or so) each get their
first batch during the warm-up, then the measured batches come round-robin, so each finds its session
already compacted in the store, as it would. Target: service >= 80% of bare.

Both servers run side by side and get the measured batches in chunks (``--chunk``), alternately, which one
goes first changing every chunk, so both meet the same background load: on a shared machine the load of
the neighbours changes by the second, and comparing runs made a minute apart measures them, not us. Per
chunk: batches per wall-clock second, and server CPU time per batch (user + system time of the server
process, from the kernel's per-process CPU clock). The verdict is the median over the chunks of the paired
ratio bare CPU / service CPU per batch (what a dedicated core would do, relative); the quartiles show the
spread. The load generator's busy share is printed too: near 100% it, not the server, sets the pace.

    python benchmarks/bench_intake.py [--requests 16000] [--chunk 1000] [--sessions 2000] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import json
import os
import random
import socket
import statistics
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


HEADERS = (b"Host: 127.0.0.1\r\nConnection: keep-alive\r\nContent-Type: text/plain;charset=UTF-8\r\n"
           b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 "
           b"Safari/537.36\r\nAccept: */*\r\nOrigin: http://shop.test\r\nSec-Fetch-Site: cross-site\r\n"
           b"Sec-Fetch-Mode: cors\r\nSec-Fetch-Dest: empty\r\nReferer: http://shop.test/\r\n"
           b"Accept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-GB,en;q=0.9\r\n")
"""What Chromium sends with the tag's ``fetch`` from a shop page (minus client hints)."""


def batches(count: int, sessions: int, first: int = 0) -> list[bytes]:
    """Realistic batches, from the ``first``-th on: each session browses products, moves its cart, reaches
    the checkout; batch ``i`` belongs to session ``i % sessions`` (round-robin)."""
    rng = random.Random(3 + first)
    bodies = []
    for index in range(first, first + count):
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
                writer.write(b"POST /v1/events HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s"
                             % (HEADERS, len(body), body))
                head = await reader.readuntil(b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(f"unexpected answer: {head[:200]!r}")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                answer = await reader.readexactly(length)
                if b'"decision":' not in answer:
                    raise RuntimeError(f"no decision in the answer: {answer[:200]!r}")
                done += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return done, time.perf_counter() - started


class ServerClock:
    """CPU time (user + system) of another process, in seconds: the kernel's per-process CPU clock
    (``clock_getcpuclockid``, nanoseconds) when available, else ``/proc/PID/stat`` (clock ticks)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._clock: int | None = None
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            clock = ctypes.c_int()
            if libc.clock_getcpuclockid(pid, ctypes.byref(clock)) == 0:
                self._libc, self._clock = libc, clock.value
        except (OSError, AttributeError):
            pass

    def seconds(self) -> float:
        if self._clock is not None:
            spec = _Timespec()
            if self._libc.clock_gettime(self._clock, ctypes.byref(spec)) == 0:
                return spec.tv_sec + spec.tv_nsec / 1e9
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def measure(servers: dict[str, tuple[subprocess.Popen, int]], bodies: list[bytes], chunk: int, clients: int,
            time_limit: float) -> dict[str, list[tuple[float, float]]]:
    """Send ``bodies`` to every server in chunks, alternating which server goes first, so both meet the same
    background load; per server and chunk: (batches per wall-clock second, server CPU µs per batch)."""
    clocks = {kind: ServerClock(process.pid) for kind, (process, _) in servers.items()}
    results: dict[str, list[tuple[float, float]]] = {kind: [] for kind in servers}
    kinds = list(servers)
    for number, first in enumerate(range(0, len(bodies), chunk)):
        part = bodies[first:first + chunk]
        for kind in (kinds if number % 2 == 0 else kinds[::-1]):
            before = clocks[kind].seconds()
            done, seconds = asyncio.run(load(servers[kind][1], part, clients, time_limit))
            if done < len(part):
                raise RuntimeError(f"{kind}: only {done} of {len(part)} batches within --time-limit {time_limit:.0f} s")
            results[kind].append((done / seconds, (clocks[kind].seconds() - before) / done * 1e6))
    return results


def server_stack() -> str:
    """What ``uvicorn.run``'s "auto" settings pick here (the same for both servers)."""
    import importlib.util

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"uvicorn, 1 worker, loop={loop}, http={http}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=16000, help="measured batches per server")
    parser.add_argument("--chunk", type=int, default=1000, help="batches per alternation between the servers")
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive connections")
    parser.add_argument("--sessions", type=int, default=2000,
                        help="distinct sessions the batches belong to (round-robin; each starts in the warm-up)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per chunk at most")
    parser.add_argument("--serve", choices=["bare", "service"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.port)
        return 0
    servers = {kind: start(kind) for kind in ("bare", "service")}
    try:
        warm_up = batches(args.sessions, args.sessions)                 # every session starts, on both
        for _, port in servers.values():
            asyncio.run(load(port, warm_up, args.clients, args.time_limit))
        bodies = batches(args.requests, args.sessions, first=args.sessions)
        own_before, wall_before = time.process_time(), time.perf_counter()
        results = measure(servers, bodies, args.chunk, args.clients, args.time_limit)
        driver = (time.process_time() - own_before) / (time.perf_counter() - wall_before)
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(10)
    pairs = len(results["bare"])
    print(f"{server_stack()}; {args.requests} measured batches per server in {pairs} alternating chunks, "
          f"{args.sessions} sessions, {args.clients} clients (cpus: {os.cpu_count()}, load average: "
          f"{os.getloadavg()[0]:.1f}); load generator busy {driver:.0%} of the time")
    for label, index, unit in (("wall clock", 0, "batches/s"), ("server CPU", 1, "µs/batch")):
        bare = statistics.median(chunk[index] for chunk in results["bare"])
        service = statistics.median(chunk[index] for chunk in results["service"])
        print(f"{label:10s}  bare Starlette {bare:7.1f} {unit}, clickto service {service:7.1f} {unit} "
              f"(medians over chunks)")
    ratios = sorted(bare[1] / service[1] for bare, service in zip(results["bare"], results["service"]))
    ratio = statistics.median(ratios)
    bare_cpu = statistics.median(chunk[1] for chunk in results["bare"])
    service_cpu = statistics.median(chunk[1] for chunk in results["service"])
    print(f"the service's own work: {service_cpu - bare_cpu:.1f} µs of server CPU per batch")
    print(f"ratio service/bare, batches per server CPU-second, median of {pairs} paired chunks: {ratio:.1%} "
          f"(quartiles {ratios[len(ratios) // 4]:.1%} - {ratios[(3 * len(ratios)) // 4]:.1%}; target >= 80%)")
    return 0 if ratio >= 0.8 else 1

if __name__ == "__main__":
    sys.exit(main())
