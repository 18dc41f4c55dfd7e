"""The demo's "who is online" page in a real Chromium: its switches call the presence API and the open
shop tab follows (button goes when the last expert goes offline, comes back when one is online, although
the rule has a cooldown: the visitor never turned the button down)."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from clickto.testing import free_port, serve_app

pytestmark = pytest.mark.browser

RULES = """\
version: 1
channels:
  community: {label: "Ask our community", needs: experts}
  chat: {label: "Chat with an advisor", needs: advisors}
rules:
  - id: advice-on-product-pages
    when: {page.type: product, page.dwell_seconds: {$gte: 1}}
    show: community
    cooldown: 10m   # as in the demo's rules: withdrawing the button for nobody online must not start it
"""


def counts(url: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{url}/clickto/v1/presence?site=demo", timeout=5) as response:
        return json.loads(response.read())


def test_online_switches_drive_presence_and_the_open_shop_follows(browser, tmp_path):
    from demo_shop.demo import build_demo

    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(RULES)
    port = free_port()
    app = build_demo(rules_path, [f"http://127.0.0.1:{port}"], admin_token="demo-admin")
    context = browser.new_context()
    try:
        with serve_app(app, port=port, timeout_graceful_shutdown=1) as server:
            shop = context.new_page()
            shop.goto(f"{server.url}/products/7")
            community = shop.locator('button[data-clickto-button="community"]')
            expect(community).to_be_visible()

            admin = context.new_page()
            admin.goto(f"{server.url}/admin/online")
            expect(admin.get_by_role("heading", name="Who is online")).to_be_visible()
            ana = admin.get_by_role("switch", name="Ana Petrović")
            expect(ana).to_be_checked()

            ana.uncheck()
            expect(admin.get_by_role("status")).to_have_text("ana is now offline.")
            assert counts(server.url) == {"experts": 0, "advisors": 1}
            expect(community).to_have_count(0)

            admin.get_by_role("switch", name="Jonas Berg").check()
            expect(admin.get_by_role("status")).to_have_text("jonas is now online.")
            expect(admin.locator('[data-count="experts"]')).to_have_text("1")
            expect(community).to_be_visible()
            assert counts(server.url)["experts"] == 1
    finally:
        context.close()
