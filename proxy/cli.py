"""``clickto proxy``: run mitmproxy with the tag-injecting addon in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import signal
import sys
from collections.abc import Sequence
from urllib.parse import urlsplit

from clickto.ports import port_problem, port_range_problem

from proxy.addon import DEFAULT_MAX_BYTES
from proxy.hosts import HostPatternError, parse_host_pattern
from proxy.injection import ConfigError, TagConfig


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clickto proxy",
        description="Run an HTTP(S) proxy (mitmproxy) that injects the clickto tag into every HTML page it "
        "passes, so rules can be tried on a live site without deploying anything. See docs/proxy.md.",
    )
    parser.add_argument("--server", required=True, help="base URL of the clickto service, e.g. http://127.0.0.1:8000")
    parser.add_argument("--site", required=True, help="site key the tag reports as (data-site)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    parser.add_argument("--listen-host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="HOST_PATTERN",
        help="only inject into hosts matching this fnmatch pattern (repeatable, one pattern each): HOST or "
        "HOST:PORT, e.g. '*.example.com', 127.0.0.1:8001, 'localhost:80*'; IPv6 in brackets, e.g. '[::1]:8001' "
        "(a bare ::1 matches any port)",
    )
    parser.add_argument(
        "--max-bytes",
        type=int,
        default=DEFAULT_MAX_BYTES,
        help=f"leave documents above this size untouched (default {DEFAULT_MAX_BYTES})",
    )
    parser.add_argument(
        "--reencode",
        action="store_true",
        help="compress tagged documents again with their original Content-Encoding (default: send them decoded)",
    )
    parser.add_argument(
        "--ssl-insecure",
        action="store_true",
        help="do not verify the certificates of HTTPS sites (a staging shop with a self-signed certificate)",
    )
    parser.add_argument("--show-flows", action="store_true", help="print every request/response like mitmdump")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log every document: tagged, or why it was left untouched"
    )
    return parser


def validate(args: argparse.Namespace) -> str | None:
    """An error message for bad arguments, or None."""
    try:
        config = TagConfig.create(args.server, args.site)
    except ConfigError as exc:
        return str(exc)
    args.server = config.server
    problem = port_range_problem(args.port)
    if problem:
        return problem
    if args.max_bytes <= 0:
        return f"--max-bytes {args.max_bytes} must be positive"
    for pattern in args.only:
        try:
            parse_host_pattern(pattern)  # the same check as the addon's clickto_only
        except HostPatternError as exc:
            return f"--only {exc}"
    return None


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def lan_warning(args: argparse.Namespace) -> str | None:
    """A proxy other devices use (a phone on the LAN) must give them a tag URL they can reach."""
    server_host = urlsplit(args.server).hostname or ""
    if is_loopback(args.listen_host) or not is_loopback(server_host):
        return None
    return (f"clickto proxy: warning: other devices may use this proxy (--listen-host {args.listen_host}), but the "
            f"tag loads from {args.server}, which on their side is their own loopback: run the service where they "
            "can reach it (clickto serve --host 0.0.0.0) and pass --server http://THIS-MACHINE'S-LAN-ADDRESS:PORT "
            "(https for https shops; docs/proxy.md)")


def instructions(args: argparse.Namespace) -> str:
    wildcard = args.listen_host in {"0.0.0.0", "::", "[::]"}   # every address: this machine's own is loopback
    local = "127.0.0.1" if wildcard else args.listen_host
    proxy = f"http://{local}:{args.port}"
    hosts = ", ".join(args.only) if args.only else "every host"
    others = [f"Other devices: proxy THIS-MACHINE'S-LAN-ADDRESS port {args.port} (and trust the CA below)"] \
        if not is_loopback(args.listen_host) else []
    return "\n".join(
        [
            f"clickto proxy on http://{args.listen_host}:{args.port}: injecting {args.server}/clickto.js (site {args.site}) "
            f"into {hosts}",
            "Point a browser at it, e.g.:",
            f"  chromium --proxy-server={proxy} --proxy-bypass-list='<-loopback>' --user-data-dir=$(mktemp -d)",
            f"  firefox: Settings > Network Settings > Manual proxy {local} port {args.port}",
            *others,
            "HTTPS sites: trust ~/.mitmproxy/mitmproxy-ca-cert.pem, or open http://mitm.it through the proxy.",
            "Press Ctrl-C to stop.",
        ]
    )


class Announce:
    """Prints how to use the proxy once mitmproxy really listens (not before a bind error)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    def running(self) -> None:
        print(instructions(self.args), flush=True)


async def serve(args: argparse.Namespace) -> int:
    from proxy.runner import build_master

    # mitmproxy's terminal log shows what reaches the root logger's handlers; the root logger itself
    # stays at WARNING (mitmproxy's own per-connection INFO lines would drown ours), so open ours only.
    logging.getLogger("proxy").setLevel(logging.DEBUG if args.verbose else logging.INFO)

    master, _ = build_master(
        args.server,
        args.site,
        args.only,
        host=args.listen_host,
        port=args.port,
        show_flows=args.show_flows,
        clickto_max_bytes=args.max_bytes,
        clickto_reencode=args.reencode,
        ssl_insecure=args.ssl_insecure,
        termlog_verbosity="debug" if args.verbose else "info",
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, master.shutdown)
        except (NotImplementedError, RuntimeError):  # not the main thread / platform without it
            pass
    master.addons.add(Announce(args))
    await master.run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    error = validate(args)
    if error:
        print(f"clickto proxy: error: {error}", file=sys.stderr)
        return 2
    busy = port_problem(args.listen_host, args.port)   # before mitmproxy, whose hint names its own options
    if busy:
        print(f"clickto proxy: error: {busy}", file=sys.stderr)
        return 1
    warning = lan_warning(args)
    if warning:
        print(warning, file=sys.stderr)
    try:
        return asyncio.run(serve(args))
    except SystemExit as exc:  # mitmproxy exits on start-up errors (e.g. port in use) after logging them
        code = exc.code if isinstance(exc.code, int) else 1
        if code:
            print(f"clickto proxy: mitmproxy could not start on {args.listen_host}:{args.port} (see above)", file=sys.stderr)
        return code
    except KeyboardInterrupt:
        return 0
