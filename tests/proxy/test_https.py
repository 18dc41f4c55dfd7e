"""HTTPS through the proxy, as docs/proxy.md tells users to set it up: mitmproxy re-signs the site with
its own CA (created in its confdir); a client either trusts that CA or, in Playwright, ignores
certificate errors. The origin is a real HTTPS uvicorn on loopback with a self-signed certificate, so
the proxy runs with ``ssl_insecure`` (what a test shop needs; real sites have valid certificates)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from mitmproxy import certs
from playwright.sync_api import expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from clickto.testing import serve_app
from proxy.runner import ProxyThread, run_proxy

PAGE = "<!DOCTYPE html><html><head><meta charset=utf-8><title>Secure shop</title></head><body><h1>Hi</h1></body></html>"
TAG = '<script src="http://127.0.0.1:8000/clickto.js" data-site="demo" async></script>'


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by a throw-away CA (mitmproxy's own certificate code)."""
    store = certs.CertStore.from_store(directory / "origin-ca", "origin", 2048)
    entry = store.get_cert("127.0.0.1", [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert, key = directory / "origin.pem", directory / "origin-key.pem"
    cert.write_bytes(entry.cert.to_pem())
    key.write_bytes(
        entry.privatekey.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )
    return cert, key


@pytest.fixture(scope="module")
def https_stack(tmp_path_factory) -> Iterator[tuple[str, ProxyThread, Path]]:
    directory = tmp_path_factory.mktemp("tls")
    cert, key = self_signed(directory)

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE)

    app = Starlette(routes=[Route("/", page)])
    confdir = directory / "mitmproxy"
    with (
        serve_app(app, ssl_certfile=str(cert), ssl_keyfile=str(key)) as origin,
        run_proxy("http://127.0.0.1:8000", "demo", confdir=str(confdir), ssl_insecure=True) as proxy,
    ):
        yield f"https://127.0.0.1:{origin.port}/", proxy, confdir / "mitmproxy-ca-cert.pem"


def test_client_trusting_the_mitmproxy_ca_gets_the_tagged_page(https_stack):
    url, proxy, ca_cert = https_stack
    assert ca_cert.exists()  # created by mitmproxy on start, where docs/proxy.md says
    with httpx.Client(proxy=proxy.url, verify=str(ca_cert)) as client:
        response = client.get(url, headers={"accept": "text/html"})
    assert response.text == PAGE.replace("<meta charset=utf-8>", "<meta charset=utf-8>" + TAG)


def test_client_not_trusting_the_ca_is_refused(https_stack):
    url, proxy, _ = https_stack
    with httpx.Client(proxy=proxy.url) as client, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        client.get(url)


@pytest.mark.browser
def test_playwright_with_ignore_https_errors(browser, https_stack):
    url, proxy, _ = https_stack
    context = browser.new_context(proxy={"server": proxy.url}, ignore_https_errors=True)
    try:
        tab = context.new_page()
        tab.goto(url)
        expect(tab.locator("h1")).to_have_text("Hi")
        expect(tab.locator('head > script[src="http://127.0.0.1:8000/clickto.js"]')).to_have_count(1)
    finally:
        context.close()
