"""The whole story of issue 6: the demo shop served WITHOUT the tag, the real SDK service, mitmproxy with
the addon, and a real Chromium browsing through the proxy. The dwell rule fires and the community button
appears exactly as it does when the shop embeds the tag itself (same scenario run both ways).

Decisions reach the page over Server-Sent Events through the proxy too (the addon streams them)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from clickto.testing import ServerThread, free_port
from proxy.runner import ProxyThread

sdk = pytest.importorskip("sdk")
demo_shop = pytest.importorskip("demo_shop")

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SITE = "demo"
DWELL = 2.0
RULES = f"""\
version: 1
channels:
  community: {{label: "Ask our community", needs: experts}}
  chat: {{label: "Chat with an advisor", needs: advisors}}
rules:
  - id: advice-on-product-pages
    when: {{page.type: product, page.dwell_seconds: {{$gte: {DWELL:g}}}}}
    show: community
    priority: 50
"""
# The shop's own CSP (a meta tag, as a merchant might ship): the proxy must open it just enough.
SHOP_CSP = (
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; "
    "script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:\">"
)
# No style-src: default-src governs styles and refuses the tag's inline <style> blocks unless the proxy
# admits them by their hashes.
STRICT_STYLE_CSP = (
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; "
    "script-src 'self' 'unsafe-inline'; img-src 'self' data:\">"
)
HEADS = {"embedded": "", "proxied": "", "proxied-with-csp": SHOP_CSP, "proxied-with-strict-style-csp": STRICT_STYLE_CSP}


@dataclass
class Stack:
    shop_url: str
    service_url: str
    proxy: ProxyThread | None


def start_stack(tmp_path: Path, embedded: bool, extra_head: str = "") -> tuple[Stack, list]:
    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(RULES)
    shop_port = free_port()
    service_app = sdk.create_app(
        sdk.ServiceConfig(
            rules_path=rules_path,
            sites=[sdk.SiteConfig(key=SITE, origins=[f"http://127.0.0.1:{shop_port}"], admin_token=secrets.token_urlsafe(8))],
            presence={SITE: {"experts": ["ana"], "advisors": []}},
        )
    )
    service = ServerThread(service_app, timeout_graceful_shutdown=1).start()
    tag_src = f"{service.url}/clickto.js" if embedded else None
    shop = ServerThread(demo_shop.create_app(tag_src, SITE, extra_head), port=shop_port).start()
    running: list = [shop, service]
    proxy = None
    if not embedded:
        proxy = ProxyThread(service.url, SITE, only=[f"127.0.0.1:{shop_port}"]).start()
        running.insert(0, proxy)
    return Stack(shop.url, service.url, proxy), running


@pytest.fixture(params=list(HEADS))
def stack(request, tmp_path) -> Iterator[Stack]:
    mode = request.param
    built, running = start_stack(tmp_path, embedded=mode == "embedded", extra_head=HEADS[mode])
    try:
        yield built
    finally:
        for server in running:
            server.stop()


def test_community_button_appears_after_the_dwell_threshold(browser, stack: Stack):
    if stack.proxy is not None:  # the shop itself really ships no tag
        raw = httpx.get(stack.shop_url + "/products/1", headers={"accept": "text/html"}).text
        assert "clickto.js" not in raw
    context = browser.new_context(proxy={"server": stack.proxy.url} if stack.proxy else None)
    try:
        page = context.new_page()
        csp_errors: list[str] = []
        page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
        page_errors: list[str] = []
        page.on("pageerror", lambda e: page_errors.append(str(e)))
        started = time.monotonic()
        page.goto(stack.shop_url + "/products/1")

        button = page.locator('button[data-clickto-button="community"]')
        expect(button).to_be_visible(timeout=15_000)
        assert time.monotonic() - started >= DWELL
        assert button.inner_text().strip() == "Ask our community"
        assert page.evaluate("() => window.clickto.decision.rule") == "advice-on-product-pages"
        assert page.locator('script[src$="clickto.js"]').count() == 1
        expect(page.locator('button[data-clickto-button="chat"]')).to_have_count(0)
        # styled by the tag's own <style> block (a CSP refusing it leaves a transparent, unstyled button)
        expect(button).to_have_css("background-color", "rgb(29, 78, 216)")
        button.click()
        dialog = page.locator('div.dialog[data-clickto-panel="community"]')
        expect(dialog).to_be_visible()
        expect(dialog).to_have_css("background-color", "rgb(255, 255, 255)")  # the panel's <style> block
        assert csp_errors == [] and page_errors == []
        if stack.proxy is not None:
            assert stack.proxy.addon.injected >= 1
            assert page.locator("script[src$='clickto.js']").get_attribute("src") == f"{stack.service_url}/clickto.js"
    finally:
        context.close()
