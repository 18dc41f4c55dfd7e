"""Listening addresses checked before a server says it is ready: one message for every command that serves."""

from __future__ import annotations

import socket

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
"""The port a URL of each scheme means when it names none (an origin leaves it out)."""


def display_host(host: str) -> str:
    """``host`` as it goes into a URL a browser on this machine can open: a wildcard address is reached on
    loopback, an IPv6 literal needs brackets."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def port_range_problem(port: int) -> str | None:
    """Why ``port`` is not a port a server can be asked to listen on, or None."""
    return None if 0 < port < 65536 else f"--port must be between 1 and 65535, got {port}"


def port_problem(host: str, port: int) -> str | None:
    """Why nothing can listen on ``host:port`` right now (taken, or an address this machine does not have),
    or None. Checked by binding and closing a socket, so the answer is the kernel's own."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except socket.gaierror as error:   # a host name that does not resolve: no port would help
            return f"cannot listen on {host}:{port}: {error.strerror or error}; check the host (--host/--listen-host)"
        except OSError as error:
            return f"cannot listen on {host}:{port}: {error.strerror or error}; choose another port with --port"
    return None
