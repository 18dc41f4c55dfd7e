"""``clickto demo``: run the demo shop, the SDK service and the example rules in one process.

Checks the rule file first (the same problems ``clickto check`` reports, exit 1), makes sure the port
is free, prints the URL and serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from clickto.ports import display_host, port_problem, port_range_problem
from demo_shop.demo import DEFAULT_RULES, ONLINE_PATH, SERVICE_PREFIX

if TYPE_CHECKING:
    import uvicorn


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="clickto demo",
        description="Run the Northwind Outfitters demo shop with the clickto tag, the SDK service and example "
                    "rules, in one process. Stop with Ctrl-C.")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1; 0.0.0.0 to show it on your network)")
    parser.add_argument("--rules", type=Path, default=DEFAULT_RULES,
                        help="rule file (default: the demo's example rules, demo_shop/rules.yaml)")
    parser.add_argument("--no-tag", action="store_true",
                        help="serve the shop's pages without the tag, to try `clickto proxy`, which injects it")
    args = parser.parse_args(argv)
    problem = port_range_problem(args.port)
    if problem:
        parser.error(problem)
    return args


def rule_problems(path: Path) -> list[str]:
    """What ``clickto check`` would report for ``path``, as printable lines (empty when valid)."""
    if not path.is_file():
        return [f"{path}: rule file not found" if not path.exists() else f"{path}: not a file"]
    import rules

    return [str(problem) for problem in rules.check(path)]


def browser_url(host: str, port: int) -> str:
    return f"http://{display_host(host)}:{port}"


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    problems = rule_problems(args.rules)
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        print(f"clickto demo: {len(problems)} problem(s) in {args.rules}; fix them and start again", file=sys.stderr)
        return 1
    problem = port_problem(args.host, args.port)
    if problem:
        print(f"clickto demo: {problem}", file=sys.stderr)
        return 1

    import uvicorn

    from demo_shop.demo import build_demo

    url = browser_url(args.host, args.port)
    origins = [url, f"http://localhost:{args.port}", f"http://127.0.0.1:{args.port}"]
    app = build_demo(args.rules, origins, admin_token=secrets.token_urlsafe(24), tag=not args.no_tag)
    server = uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, log_level="warning",
                                           timeout_graceful_shutdown=2, lifespan="on"))
    try:
        asyncio.run(serve(server, lambda: announce(url, args.rules, args.port, args.no_tag)))
    except KeyboardInterrupt:
        pass
    print("clickto demo: stopped.", flush=True)
    return 0 if server.started else 1


async def serve(server: uvicorn.Server, on_started: Callable[[], None]) -> None:
    """Run ``server`` and call ``on_started`` once it listens (so the printed URL already works)."""
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.02)
    if server.started:
        on_started()
    await task


def announce(url: str, rules_path: Path, port: int, no_tag: bool = False) -> None:
    print(f"clickto demo: Northwind Outfitters is open at {url}/" + (" (without the tag)" if no_tag else ""),
          flush=True)
    print(f"  rules:          {rules_path}  (edit it: changes apply live)", flush=True)
    print(f"  who is online:  {url}{ONLINE_PATH}  (Ana, expert, and Ben, advisor, start online)", flush=True)
    print(f"  service:        {url}{SERVICE_PREFIX}/healthz", flush=True)
    if no_tag:
        proxy_port = "" if port != 8080 else " --port 8081"   # the proxy's default port is the shop's
        print(f"  tag it with:    clickto proxy --server {url}{SERVICE_PREFIX} --site demo --only '*:{port}'"
              f"{proxy_port}", flush=True)
    print("  Ctrl-C to stop.", flush=True)
