"""A real Chromium browses a plain site (no tag) through a real mitmproxy with the addon.

The site and a minimal stand-in for the clickto service run in real uvicorn servers on loopback. The
stand-in tag reports to the service (a cross-origin POST, which CSP ``connect-src`` governs) and loads
a second script dynamically (as the real tag loads its panel), so the CSP rewriting is checked by the
browser itself, not by our own reading of the spec.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from clickto.testing import serve_app
from proxy.runner import run_proxy

pytestmark = pytest.mark.browser

TAG_JS = """
(function () {
  var script = document.currentScript;
  var base = new URL('.', script.src).href;
  window.clickto = {site: script.dataset.site, nonce: script.nonce || null,
                    count: document.querySelectorAll('script[src$="clickto.js"]').length};
  fetch(base + 'v1/events', {method: 'POST', headers: {'Content-Type': 'text/plain'},
        body: JSON.stringify({site: script.dataset.site, url: location.href})})
    .then(function (r) { return r.json(); })
    .then(function (d) { document.documentElement.setAttribute('data-clickto-ack', d.received); });
  var panel = document.createElement('script');
  panel.src = base + 'clickto-panel.js';
  document.head.appendChild(panel);
})();
"""
FILLER = "<p>" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 20 + "</p>"


def page(head: str = "", body: str = "") -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}<title>Shop</title></head><body>{body}{FILLER}</body></html>"


def make_site() -> Starlette:
    async def plain(request: Request) -> Response:
        return HTMLResponse(page(body="<h1>Plain</h1><script>window.siteScript = 1</script>"))

    async def strict(request: Request) -> Response:
        csp = "default-src 'self'; script-src 'nonce-s1te' 'strict-dynamic'; object-src 'none'"
        return HTMLResponse(page(body="<script nonce='s1te'>window.siteScript = 1</script>"), headers={"Content-Security-Policy": csp})

    async def meta(request: Request) -> Response:
        csp = "<meta http-equiv='Content-Security-Policy' content=\"default-src 'self'; script-src 'self' 'unsafe-inline'\">"
        return HTMLResponse(page(head=csp, body="<script>window.siteScript = 1</script>"))

    async def fragment(request: Request) -> Response:
        return HTMLResponse("<li>fragment</li>")

    async def fetcher(request: Request) -> Response:
        js = "fetch('/fragment').then(r => r.text()).then(t => { window.fragment = t; })"
        return HTMLResponse(page(body=f"<script>{js}</script>"))

    routes = [Route("/", plain), Route("/strict", strict), Route("/meta", meta), Route("/fragment", fragment), Route("/fetcher", fetcher)]
    return Starlette(routes=routes, middleware=[Middleware(GZipMiddleware, minimum_size=100)])


class Service:
    def __init__(self) -> None:
        self.events: list[dict] = []

    def app(self) -> Starlette:
        async def tag(request: Request) -> Response:
            return Response(TAG_JS, media_type="text/javascript")

        async def panel(request: Request) -> Response:
            return Response("window.clicktoPanel = true;", media_type="text/javascript")

        async def events(request: Request) -> Response:
            self.events.append(await request.json())
            return JSONResponse({"received": len(self.events)}, headers={"Access-Control-Allow-Origin": "*"})

        return Starlette(routes=[Route("/clickto.js", tag), Route("/clickto-panel.js", panel), Route("/v1/events", events, methods=["POST"])])


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, Service, object]]:
    service = Service()
    with serve_app(make_site()) as site, serve_app(service.app()) as svc, run_proxy(svc.url, "demo") as proxy:
        yield site.url, service, proxy


@pytest.fixture
def proxied_page(browser, servers):
    _, _, proxy = servers
    context = browser.new_context(proxy={"server": proxy.url})
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("path", ["/", "/strict", "/meta"])
def test_tag_is_injected_once_runs_and_reaches_the_service(proxied_page, servers, path):
    site_url, service, proxy = servers
    before = len(service.events)
    errors: list[str] = []
    proxied_page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    proxied_page.goto(site_url + path)
    expect(proxied_page.locator("html")).to_have_attribute("data-clickto-ack", str(before + 1))
    assert proxied_page.evaluate("window.clickto.site") == "demo"
    assert proxied_page.evaluate("window.clickto.count") == 1
    assert proxied_page.evaluate("window.siteScript") == 1  # the site's own scripts still run
    proxied_page.wait_for_function("window.clicktoPanel === true")  # the dynamically loaded panel script too
    assert service.events[-1]["url"] == site_url + path
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert proxy.addon.injected >= 1


def test_strict_dynamic_page_reuses_the_site_nonce(proxied_page, servers):
    site_url, _, _ = servers
    proxied_page.goto(site_url + "/strict")
    proxied_page.wait_for_function("window.clickto !== undefined")
    assert proxied_page.evaluate("window.clickto.nonce") == "s1te"


def test_fetched_fragment_is_not_tagged(proxied_page, servers):
    site_url, _, _ = servers
    proxied_page.goto(site_url + "/fetcher")
    proxied_page.wait_for_function("window.fragment !== undefined")
    assert proxied_page.evaluate("window.fragment") == "<li>fragment</li>"


def test_without_the_proxy_the_site_has_no_tag(browser, servers):
    """Control: the injection really comes from the proxy (Chromium would bypass it for loopback
    unless told not to; Playwright adds <-loopback> to the bypass list)."""
    site_url, _, _ = servers
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(site_url + "/")
        assert tab.evaluate("typeof window.clickto") == "undefined"
        assert tab.locator("script[src$='clickto.js']").count() == 0
    finally:
        context.close()
