"""Host patterns of ``--only`` / ``clickto_only``: one parser, shared by the CLI and the addon's
``configure``, so a pattern is accepted or refused the same way whichever way the proxy is started.

Grammar: ``HOST`` or ``HOST:PORT``, each an fnmatch pattern (``*.example.com``, ``127.0.0.1:80*``);
IPv6 literals in brackets (``[::1]``, ``[::1]:8001``) or bare without a port (``::1``).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass

_PORT_GLOB = re.compile(r"[0-9*?\[\]!-]+")
_FORBIDDEN = "/@#\\"
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
    """Parse one pattern, or raise ``HostPatternError`` (a URL, a path, an empty host or port ...)."""
    pattern = text.strip().lower()
    problem = f"{text!r} is not a host pattern ({EXAMPLES})"
    if not pattern or any(c.isspace() or c in _FORBIDDEN for c in pattern):
        raise HostPatternError(problem)
    port: str | None
    if pattern.startswith("[") and "]" in pattern and ":" in pattern[: pattern.index("]")]:
        close = pattern.index("]")
        host, rest = pattern[1:close], pattern[close + 1 :]
        if rest and not rest.startswith(":"):
            raise HostPatternError(problem)
        port = rest[1:] if rest else None
    elif pattern.count(":") > 1:  # a bare IPv6 address: no port (write [addr]:port for one)
        host, port = pattern, None
    elif ":" in pattern:
        host, port = pattern.split(":")
    else:
        host, port = pattern, None
    host = host.rstrip(".")
    if not host or (port is not None and not _PORT_GLOB.fullmatch(port)):
        raise HostPatternError(problem)
    return HostPattern(host, port)


def parse_host_patterns(texts: Sequence[str]) -> tuple[HostPattern, ...]:
    return tuple(parse_host_pattern(text) for text in texts)


def matches_any(host: str, port: int, patterns: Sequence[HostPattern]) -> bool:
    """An empty list matches every host."""
    return not patterns or any(p.matches(host, port) for p in patterns)


def host_matches(host: str, port: int, patterns: Sequence[str]) -> bool:
    """``matches_any`` for pattern strings (which must be valid)."""
    return matches_any(host, port, parse_host_patterns(patterns))
