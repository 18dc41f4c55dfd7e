"""The real tag against the real service (``sdk.create_app``), from a shop page on another origin.

The harness tests pin the tag's behaviour; this one checks that the two halves agree on the protocol: CORS for a
text/plain batch, the decision in the response, the SSE push when a time-based rule starts to hold, and the
conversation the panel posts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from clickto.testing import free_port, serve_app

sys.path.insert(0, str(Path(__file__).parent))
from tag_harness import WAIT, page, page_html  # noqa: E402,F401

sdk = pytest.importorskip("sdk")
from sdk.testing import RULES  # noqa: E402  (product pages: community after 1 s of engaged dwell)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_tag_and_service_agree_end_to_end(tmp_path, page):
    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(RULES)
    shop_port = free_port()
    shop_origin = f"http://127.0.0.1:{shop_port}"
    config = sdk.ServiceConfig(rules_path=rules_path, sites=[sdk.SiteConfig("demo", [shop_origin], "admin")],
                               presence={"demo": {"experts": ["ana"], "advisors": []}})
    service_app = sdk.create_app(config)
    with serve_app(service_app, timeout_graceful_shutdown=1) as service:
        html = page_html("<h1>Boots</h1>", body_attrs='data-clickto-page-type="product"', tag=False,
                         head=f'<script src="{service.url}/clickto.js" data-site="demo" async></script>')
        shop = Starlette(routes=[Route("/product", lambda request: HTMLResponse(html)),
                                 Route("/favicon.ico", lambda request: Response(status_code=204))])
        with serve_app(shop, port=shop_port, timeout_graceful_shutdown=1) as shop_server:
            page.goto(shop_server.url + "/product")
            # nothing holds at first; after 1 s of engaged dwell the service pushes the decision on the stream
            button = page.get_by_role("button", name="Ask the community")
            expect(button).to_be_visible(timeout=WAIT * 1000)
            assert page.evaluate("clickto.decision.rule") == "product-dwell"
            button.click()
            dialog = page.get_by_role("dialog", name="Ask the community")
            dialog.get_by_role("textbox").fill("Do they run small?")
            dialog.get_by_role("button", name="Send").click()
            expect(dialog.get_by_role("status")).to_contain_text("Thanks!")
            conversations = service_app.state.conversations.list("demo")
            assert [c.message for c in conversations] == ["Do they run small?"]
            assert conversations[0].channel == "community" and conversations[0].rule == "product-dwell"
