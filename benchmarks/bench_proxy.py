"""Pages per second through mitmproxy with the clickto addon, against the same mitmproxy without it.

Run: ``/tmp/venv/bin/python benchmarks/bench_proxy.py [--requests 300] [--concurrency 4] [--rounds 3]``.
Target: with the addon at least 95% of the baseline's pages per second.

Both proxies are real ``mitmdump`` processes started the same way (one with ``-s proxy/addon.py``), in
front of the same origin on loopback serving a realistic ~50 KB product page, gzip-encoded on the wire
(so the addon's work is the real one: gunzip, find the head, splice, gzip, fix Content-Length). Clients
are a few concurrent httpx connections sending browser navigation headers. Rounds alternate between the
two proxies so that machine noise hits both alike; each round's ratio is taken between the two runs of
that round, and the median ratio is the result (robust against load from other processes drifting).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clickto.testing import free_port, serve_app  # noqa: E402

MITMDUMP = Path(sys.executable).parent / "mitmdump"
HEADERS = {
    "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "accept-encoding": "gzip",
    "sec-fetch-dest": "document",
    "sec-fetch-mode": "navigate",
    "user-agent": "Mozilla/5.0 (bench_proxy)",
}


def product_page(size: int = 50_000) -> bytes:
    """A product page the size of a real one: head with metas, styles, scripts; a body of markup."""
    head = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'><title>Trail Camera 4K | Shop</title>"
        "<link rel='stylesheet' href='/static/shop.css'><link rel='preload' href='/static/font.woff2' as='font'>"
        "<style>" + "".join(f".c{i}{{margin:{i}px;padding:{i % 7}px;color:#{i:06x}}}" for i in range(150)) + "</style>"
        "<script>window.dataLayer=window.dataLayer||[];dataLayer.push({'page':'product','sku':'TC-4K'});</script>"
        "<script src='/static/app.js' defer></script></head><body>"
    )
    card = (
        "<article class='card'><a href='/products/{i}'><img src='/img/{i}.jpg' alt='{name}' width='240' "
        "height='180' loading='lazy'></a><h3>{name}</h3><p class='price'>{p},99&nbsp;&euro;</p>"
        "<p>{text}</p><button class='add' data-id='{i}'>Add to cart</button></article>"
    )
    words = ("trail camera lens tripod waterproof light carbon reel rod tent boots jacket lamp battery zoom "
             "sensor night vision mount strap case travel compact field review stars delivery warranty").split()
    rng = random.Random(6)  # varied text, so gzip compresses it like a real page (about 5:1), not 12:1
    body, i = [], 0
    while len(head) + sum(map(len, body)) < size:
        name = " ".join(rng.choice(words).capitalize() for _ in range(3))
        text = " ".join(rng.choice(words) for _ in range(rng.randint(15, 40))).capitalize() + "."
        body.append(card.format(i=i, p=rng.randint(9, 900), name=name, text=text))
        i += 1
    return (head + "".join(body) + "</body></html>").encode()


def origin_app(page: bytes) -> Starlette:
    compressed = gzip.compress(page, 6)

    async def product(request: Request) -> Response:
        return Response(compressed, media_type="text/html; charset=utf-8", headers={"content-encoding": "gzip"})

    return Starlette(routes=[Route("/products/{id}", product)])


class Mitmdump:
    def __init__(self, with_addon: bool) -> None:
        self.port = free_port()
        command = [str(MITMDUMP), "-q", "--listen-host", "127.0.0.1", "--listen-port", str(self.port)]
        if with_addon:
            command += ["-s", str(ROOT / "proxy" / "addon.py"), "--set", "clickto_server=http://127.0.0.1:8000",
                        "--set", "clickto_site=bench"]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait(self, origin: str, timeout: float = 30.0) -> bytes:
        """Poll until the proxy answers; returns a decoded page fetched through it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mitmdump exited: {self.process.stderr.read().decode()}")
            try:
                with httpx.Client(proxy=self.url, timeout=5) as client:
                    return client.get(origin + "/products/0", headers=HEADERS).content
            except httpx.HTTPError:
                time.sleep(0.1)
        raise TimeoutError(f"mitmdump on {self.port} did not answer within {timeout}s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


async def measure(proxy_url: str, origin: str, requests: int, concurrency: int, timeout: float) -> float:
    """Pages per second for ``requests`` page loads over ``concurrency`` keep-alive connections."""
    counter = iter(range(requests))

    async def worker() -> int:
        done = 0
        async with httpx.AsyncClient(proxy=proxy_url, timeout=timeout) as client:
            for i in counter:
                async with client.stream("GET", f"{origin}/products/{i}", headers=HEADERS) as response:
                    async for _ in response.aiter_raw():
                        pass
                    if response.status_code != 200:
                        raise RuntimeError(f"status {response.status_code} through {proxy_url}")
                done += 1
        return done

    started = time.perf_counter()
    done = sum(await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), timeout))
    return done / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="page loads per round and proxy")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds allowed per round")
    args = parser.parse_args(argv)

    page = product_page()
    print(f"page: {len(page)} bytes, {len(gzip.compress(page, 6))} gzip; {args.rounds} rounds x {args.requests} "
          f"requests x {args.concurrency} connections; cpus: {os.cpu_count()}")
    with serve_app(origin_app(page)) as origin:
        baseline, tagged = Mitmdump(with_addon=False), Mitmdump(with_addon=True)
        try:
            assert b"clickto.js" not in baseline.wait(origin.url)
            assert tagged.wait(origin.url).count(b'data-site="bench" async></script>') == 1, "addon did not inject"
            results: dict[str, list[float]] = {"without addon": [], "with addon": []}
            for round_no in range(args.rounds):
                order = [("without addon", baseline), ("with addon", tagged)]
                for name, proxy in order if round_no % 2 == 0 else reversed(order):
                    rate = asyncio.run(measure(proxy.url, origin.url, args.requests, args.concurrency, args.timeout))
                    results[name].append(rate)
                    print(f"  round {round_no + 1}: {name:<13} {rate:7.1f} pages/s")
        finally:
            baseline.stop()
            tagged.stop()
    base = statistics.median(results["without addon"])
    with_addon = statistics.median(results["with addon"])
    ratios = [w / b for w, b in zip(results["with addon"], results["without addon"])]
    ratio = statistics.median(ratios)
    print("per-round ratios: " + ", ".join(f"{r:.1%}" for r in ratios))
    print(f"mitmproxy without addon: {base:.1f} pages/s (median)")
    print(f"mitmproxy with addon:    {with_addon:.1f} pages/s (median)")
    print(f"ratio (median of rounds): {ratio:.1%} (target >= 95%) -> {'OK' if ratio >= 0.95 else 'BELOW TARGET'}")
    return 0 if ratio >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
