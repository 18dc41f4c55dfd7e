"""The addon inside a real mitmproxy, checked on the wire: what passes through arrives byte for byte as
the origin sent it, and tagged documents arrive with headers that describe their new body (chunked
stays chunked, a decoded body loses its Content-Encoding, Content-Length is right)."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator

import brotli
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from clickto.testing import serve_app
from proxy.runner import ProxyThread, run_proxy

SERVER = "http://127.0.0.1:8000"
TAG = b'<script src="http://127.0.0.1:8000/clickto.js" data-site="demo" async></script>'
PAGE = b"<!DOCTYPE html><html><head><meta charset=utf-8><title>Shop</title></head><body>" + b"<p>caf\xc3\xa9</p>" * 500 + b"</body></html>"
TAGGED = PAGE.replace(b"<meta charset=utf-8>", b"<meta charset=utf-8>" + TAG)
NAVIGATION = {"accept": "text/html,*/*;q=0.8", "sec-fetch-dest": "document", "sec-fetch-mode": "navigate"}
FETCH = {"accept": "*/*", "sec-fetch-dest": "empty", "sec-fetch-mode": "cors"}
HTML = "text/html; charset=utf-8"


def origin_app() -> Starlette:
    def fixed(body: bytes, media_type: str | None = HTML, status: int = 200, **headers: str):
        async def endpoint(request: Request) -> Response:
            return Response(body, status_code=status, media_type=media_type, headers=headers)

        return endpoint

    async def chunked(request: Request) -> StreamingResponse:
        async def parts():
            for start in range(0, len(PAGE), 1000):
                yield PAGE[start : start + 1000]

        return StreamingResponse(parts(), media_type=HTML)

    async def not_modified(request: Request) -> Response:
        return Response(status_code=304, headers={"etag": '"v1"'})

    routes = [
        Route("/page", fixed(PAGE, etag='"v1"')),
        Route("/gzip", fixed(gzip.compress(PAGE), **{"content-encoding": "gzip", "vary": "Accept-Encoding"})),
        Route("/br", fixed(brotli.compress(PAGE), **{"content-encoding": "br"})),
        Route("/chunked", chunked),
        Route("/json", fixed(b'{"a": "<head>"}', "application/json")),
        Route("/image", fixed(bytes(range(256)) * 40, "image/png")),
        Route("/gzip-script", fixed(gzip.compress(b"var a = '<head>';" * 100), "text/javascript", **{"content-encoding": "gzip"})),
        Route("/tagged", fixed(TAGGED)),
        Route("/empty", fixed(b"", None, 204)),
        Route("/not-modified", not_modified),
        Route("/gone", fixed(PAGE, status=410)),
    ]
    return Starlette(routes=routes)


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[str, ProxyThread]]:
    with serve_app(origin_app()) as origin, run_proxy(SERVER, "demo") as proxy:
        yield origin.url, proxy


def set_options(proxy: ProxyThread, **options) -> None:
    """Change options on the proxy's own event loop, as ``--set`` would (one mitmproxy per process:
    mitmproxy's ``ctx`` is global, so a second master would take it over)."""
    assert proxy.master is not None
    done = threading.Event()

    def apply() -> None:
        proxy.master.options.update(**options)
        done.set()

    proxy.master.event_loop.call_soon_threadsafe(apply)
    assert done.wait(5)


@pytest.fixture
def servers(running) -> Iterator[tuple[str, str]]:
    origin, proxy = running
    yield origin, proxy.url


@pytest.fixture
def elsewhere(running) -> Iterator[tuple[str, str]]:
    """The proxy restricted to other hosts than the origin."""
    origin, proxy = running
    set_options(proxy, clickto_only=["shop.example", "127.0.0.1:1"])
    try:
        yield origin, proxy.url
    finally:
        set_options(proxy, clickto_only=[])


def fetch(url: str, headers: dict[str, str], proxy: str | None = None) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers (without Date) and the body exactly as received (not decoded)."""
    with httpx.Client(proxy=proxy, timeout=10) as client, client.stream("GET", url, headers=headers) as response:
        raw = b"".join(response.iter_raw())
        fields = [(k.decode().lower(), v.decode()) for k, v in response.headers.raw if k.lower() != b"date"]
        return response.status_code, fields, raw


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/json", NAVIGATION),
        ("/image", NAVIGATION),
        ("/gzip-script", NAVIGATION),
        ("/gzip", FETCH),  # an HTML fragment fetched by a script
        ("/page", {"accept": "text/html", "x-requested-with": "XMLHttpRequest"}),
        ("/tagged", NAVIGATION),
        ("/empty", NAVIGATION),
        ("/not-modified", {**NAVIGATION, "if-none-match": '"v1"'}),
    ],
)
def test_what_is_not_a_document_to_tag_arrives_byte_for_byte(servers, path, headers):
    origin, proxy = servers
    assert fetch(origin + path, headers, proxy) == fetch(origin + path, headers)


@pytest.mark.parametrize("path", ["/page", "/gzip", "/br", "/chunked"])
def test_hosts_outside_only_arrive_byte_for_byte(elsewhere, path):
    origin, proxy = elsewhere
    assert fetch(origin + path, NAVIGATION, proxy) == fetch(origin + path, NAVIGATION)


@pytest.mark.parametrize("path", ["/page", "/gzip", "/br", "/gone"])
def test_documents_arrive_tagged_with_a_consistent_content_length(servers, path):
    origin, proxy = servers
    status, headers, body = fetch(origin + path, NAVIGATION, proxy)
    assert body == TAGGED
    names = [name for name, _ in headers]
    assert "content-encoding" not in names
    assert dict(headers)["content-length"] == str(len(TAGGED))
    assert status == (410 if path == "/gone" else 200)


def test_chunked_document_stays_chunked(servers):
    origin, proxy = servers
    direct = httpx.get(origin + "/chunked", headers=NAVIGATION)
    assert direct.headers.get("transfer-encoding") == "chunked" and direct.content == PAGE
    with httpx.Client(proxy=proxy) as client:
        response = client.get(origin + "/chunked", headers=NAVIGATION)
    assert response.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.headers
    assert response.content == TAGGED


def test_tagged_document_gets_a_weak_changed_etag(servers):
    origin, proxy = servers
    with httpx.Client(proxy=proxy) as client:
        response = client.get(origin + "/page", headers=NAVIGATION)
    assert response.headers["etag"] == 'W/"clickto-v1"'
