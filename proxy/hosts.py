"""Host patterns of ``--only`` / ``clickto_only``: one parser, shared by the CLI and the addon's
``configure``, so a pattern is accepted or refused the same way whichever way the proxy is started.

Grammar: ``HOST`` or ``HOST:PORT``, each an fnmatch pattern (``*.example.com``, ``127.0.0.1:80*``);
IPv6 literals in brackets (``[::1]``, ``[::1]:8001``) or bare without a port (``::1``). Patterns that
could never match (``a.com,b.com``, ``[*]:80``, ``host:65536``) are refused with the reason.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# What a pattern can match, piece by piece: fnmatch wildcards and [...] classes of characters that can
# occur there. Anything else (',', ';', a second ':', '[*]', a port of 70000) could never match a host
# or port mitmproxy reports, so it is refused instead of silently tagging nothing.
_NAME_GLOB = re.compile(r"(?:[\w.*?-]|\[!?[\w.-]+\])+")
_IPV6_GLOB = re.compile(r"(?:[0-9a-f:.*?]|\[!?[0-9a-f:.-]+\])+")
_PORT_GLOB = re.compile(r"(?:[0-9*?]|\[!?[0-9](?:-[0-9])?(?:[0-9](?:-[0-9])?)*\])+")
_URL_CHARS = "/@#\\"
EXAMPLES = "e.g. shop.example.com, *.example.com, 127.0.0.1:8001 or [::1]:8001"


class HostPatternError(ValueError):
    """A pattern that could never match a host; the message says why."""


@dataclass(frozen=True)
class HostPattern:
    host: str  # lower-case fnmatch pattern, IPv6 without brackets, no trailing dot
    port: str | None  # fnmatch pattern for the port, or None for any port

    def matches(self, host: str, port: int) -> bool:
        """``host`` as mitmproxy's ``pretty_host`` gives it (IPv6 without brackets)."""
        if not fnmatch.fnmatchcase(normalize_host(host), self.host):
            return False
        return self.port is None or fnmatch.fnmatchcase(str(port), self.port)


def normalize_host(host: str) -> str:
    host = host.lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


def parse_host_pattern(text: str) -> HostPattern:
    """Parse one pattern, or raise ``HostPatternError`` saying why it could never match (a URL, a
    list in one pattern, an empty or impossible host or port ...). The one check behind ``--only``
    and ``clickto_only``."""
    pattern = text.strip().lower()

    def refuse(why: str) -> HostPatternError:
        return HostPatternError(f"{text!r} is not a host pattern: {why} ({EXAMPLES})")

    if not pattern:
        raise refuse("it is empty")
    if any(c in _URL_CHARS for c in pattern):
        raise refuse("a URL or path; give the host (and port) only")
    for c in pattern:
        if c.isspace() or c in ",;":
            raise refuse(f"{c!r} cannot be part of a host; give one pattern per --only (or list item)")
    if pattern.count("[") != pattern.count("]"):
        raise refuse("unbalanced '[' ']'")
    port: str | None
    if pattern.startswith("[") and "]" in pattern and ":" in pattern[: pattern.index("]")]:
        close = pattern.index("]")
        host, rest = pattern[1:close], pattern[close + 1 :]
        if rest and not rest.startswith(":"):
            raise refuse(f"{rest!r} after the IPv6 address; write [address]:port")
        port = rest[1:] if rest else None
        _check_ipv6(host, refuse)
    elif pattern.count(":") > 1:  # a bare IPv6 address: no port (write [addr]:port for one)
        host, port = pattern, None
        _check_ipv6(host, refuse)
    else:
        host, port = pattern.split(":") if ":" in pattern else (pattern, None)
        host = host.rstrip(".")
        if not host:
            raise refuse("the host is empty")
        if not _NAME_GLOB.fullmatch(host):
            raise refuse(
                f"{host!r} is no host name, IPv4 address or pattern of them "
                "(letters, digits, '.', '-', '*', '?', [a-z] classes)"
            )
    if port is not None:
        _check_port(port, refuse)
    return HostPattern(host, port)


def _check_ipv6(host: str, refuse: Callable[[str], HostPatternError]) -> None:
    if not _IPV6_GLOB.fullmatch(host):
        raise refuse(f"{host!r} is no IPv6 address or pattern (write [address]:port for a port)")
    if not any(c in host for c in "*?["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            why = f"{host!r} is no IPv6 address (write [address]:port for a port; one port per pattern)"
            raise refuse(why) from None


def _check_port(port: str, refuse: Callable[[str], HostPatternError]) -> None:
    if not port:
        raise refuse("the port is empty")
    if not _PORT_GLOB.fullmatch(port):
        raise refuse(f"port {port!r} is no port number or pattern (digits, '*', '?', [0-9] classes)")
    if port.isdigit() and not 0 < int(port) < 65536:
        raise refuse(f"port {port} is outside 1-65535")
    if port.startswith("0"):  # ports are matched as written in decimal: 080 would match nothing
        raise refuse(f"port {port!r} starts with 0")


def parse_host_patterns(texts: Sequence[str]) -> tuple[HostPattern, ...]:
    return tuple(parse_host_pattern(text) for text in texts)


def matches_any(host: str, port: int, patterns: Sequence[HostPattern]) -> bool:
    """An empty list matches every host."""
    return not patterns or any(p.matches(host, port) for p in patterns)


def host_matches(host: str, port: int, patterns: Sequence[str]) -> bool:
    """``matches_any`` for pattern strings (which must be valid)."""
    return matches_any(host, port, parse_host_patterns(patterns))
