"""Crafted mitmproxy flows and a configured addon for the addon tests."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest
from mitmproxy import http
from mitmproxy.test import taddons, tflow, tutils

from proxy.addon import ClicktoInjector

SERVER = "http://127.0.0.1:8000"
BROWSER_NAVIGATION = {
    "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "sec-fetch-dest": "document",
    "sec-fetch-mode": "navigate",
}


def make_flow(
    raw: bytes,
    content_type: str | None = "text/html; charset=utf-8",
    status: int = 200,
    response_headers: list[tuple[str, str]] | None = None,
    request_headers: dict[str, str] | None = None,
    method: str = "GET",
    host: str = "shop.example",
    port: int = 80,
) -> http.HTTPFlow:
    """A finished flow whose response body is ``raw`` exactly as on the wire (already content-encoded)."""
    headers = request_headers if request_headers is not None else BROWSER_NAVIGATION
    request = tutils.treq(
        host=host, port=port, method=method.encode(), headers=http.Headers(**{}), content=b"", authority=b""
    )
    for name, value in headers.items():
        request.headers[name] = value
    request.headers["host"] = host if port == 80 else f"{host}:{port}"
    response = http.Response.make(status, b"", {})
    response.headers.clear()
    if content_type is not None:
        response.headers["content-type"] = content_type
    for name, value in response_headers or []:
        response.headers.add(name, value)
    if "transfer-encoding" not in response.headers:
        response.headers["content-length"] = str(len(raw))
    response.raw_content = raw
    return tflow.tflow(req=request, resp=response)


@pytest.fixture
def addon() -> Iterator[ClicktoInjector]:
    injector = ClicktoInjector()
    with taddons.context(injector) as tctx:
        tctx.configure(injector, clickto_server=SERVER, clickto_site="demo")
        injector.tctx = tctx  # type: ignore[attr-defined]
        yield injector


@contextlib.contextmanager
def trickling_server() -> Iterator[str]:
    """A server that accepts and then sends one byte every half second, never a whole answer: no read ever
    times out (urllib's timeout is per read). Yields its base URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def trickle() -> None:
        connections = []
        while not stop.wait(0.5):
            try:
                connections.append(listener.accept()[0])
            except TimeoutError:
                pass
            for connection in connections:
                try:
                    connection.sendall(b"H")
                except OSError:
                    pass
        for connection in connections:
            connection.close()

    worker = threading.Thread(target=trickle, daemon=True)
    worker.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        worker.join(5)
        listener.close()
