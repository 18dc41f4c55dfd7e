"""The real tag against the real service (``sdk.create_app``), from a shop page on another origin.

The harness tests pin the tag's behaviour; these check that the two halves agree on the protocol: CORS for a
text/plain batch without a preflight, the decision in the response, the SSE push when a time-based rule starts
to hold, engaged dwell counted only while the page is focused, and the conversation the panel posts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

import sdk
from clickto.testing import free_port, run_coroutine, serve_app
from sdk.testing import RULES  # product pages: community after 1 s of engaged dwell
from tests.sdk.tag_harness import WAIT, page_html

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

DWELL_RULES = """\
version: 1
channels:
  community: {label: "Ask the community", needs: experts}
  guide: {label: "Read the buying guide"}
rules:
  - id: engaged
    when: {page.type: product, page.dwell_seconds: {$gte: 1}}
    show: community
    priority: 50
  - id: witness                      # shows that 1.5 s of the session have passed, engaged or not
    when: {session.seconds: {$gte: 1.5}}
    show: guide
    priority: 10
"""


@contextmanager
def shop_and_service(page: Any, rules_path: Path) -> Iterator[tuple[str, Any, list[tuple[str, str]]]]:
    """A product page on one origin embedding the tag of a real service on another; yields the page URL, the
    service app and every (method, path) the service received. Leaves ``page`` on about:blank before the
    servers stop, so no stream of the page reconnects to a closed port."""
    shop_port = free_port()
    config = sdk.ServiceConfig(rules_path=rules_path,
                               sites=[sdk.SiteConfig("demo", [f"http://127.0.0.1:{shop_port}"], "admin")],
                               presence={"demo": {"experts": ["ana"], "advisors": []}})
    service_app = sdk.create_app(config)
    received: list[tuple[str, str]] = []

    async def recording(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] == "http":
            received.append((scope["method"], scope["path"]))
        await service_app(scope, receive, send)

    with serve_app(recording, timeout_graceful_shutdown=1) as service:
        html = page_html("<h1>Boots</h1>", body_attrs='data-clickto-page-type="product"', tag=False,
                         head=f'<script src="{service.url}/clickto.js" data-site="demo" async></script>')
        shop = Starlette(routes=[Route("/product", lambda request: HTMLResponse(html)),
                                 Route("/favicon.ico", lambda request: Response(status_code=204))])
        with serve_app(shop, port=shop_port, timeout_graceful_shutdown=1) as shop_server:
            try:
                yield shop_server.url + "/product", service_app, received
            finally:
                page.goto("about:blank")


def test_tag_and_service_agree_end_to_end(tmp_path, page):
    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(RULES)
    with shop_and_service(page, rules_path) as (url, service_app, received):
        page.goto(url)
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
        methods = {method for method, _ in received}
        assert ("POST", "/v1/events") in received and ("POST", "/v1/conversations") in received
        assert "OPTIONS" not in methods, f"a CORS preflight reached the service: {received}"


def test_engaged_dwell_counts_only_while_the_page_is_focused(tmp_path, page):
    """The page opens without focus: the session's clock runs (the witness rule shows after 1.5 s) but engaged
    dwell does not, so the 1 s dwell rule holds back; once focused, the dwell button comes 1 s later, not sooner
    (both instants by the browser's clock)."""
    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(DWELL_RULES)
    page.add_init_script("""
        window.__focused = false;
        document.hasFocus = () => window.__focused;     // headless pages are always focused: play a blurred one
        new MutationObserver(() => {
            if (!window.__shownAt && document.querySelector('div[data-clickto-button="community"]'))
                window.__shownAt = Date.now();
        }).observe(document, {childList: true, subtree: true});
    """)
    with shop_and_service(page, rules_path) as (url, _, _received):
        page.goto(url)
        expect(page.get_by_role("button", name="Read the buying guide")).to_be_visible()
        expect(page.locator("[data-clickto-button=community]")).to_have_count(0)
        focused_at = page.evaluate("window.__focused = true; window.dispatchEvent(new Event('focus')); Date.now()")
        expect(page.get_by_role("button", name="Ask the community")).to_be_visible()
        expect(page.get_by_role("button", name="Read the buying guide")).to_have_count(0)
        shown_at = page.evaluate("window.__shownAt")
        assert shown_at - focused_at >= 1000 - 10, "10 ms for millisecond rounding between the clocks"


CART_RULES = """\
version: 1
channels:
  chat: {label: "Chat with an advisor"}
rules:
  - id: big-cart
    when: {cart.value: {$gte: 100}}
    show: chat
"""


def test_a_refused_event_is_dropped_and_the_rest_of_its_batch_still_arrives(tmp_path, page):
    """The service refuses a batch with 422 naming ``events[i]``: the tag drops that one event and sends the
    others again, so one bad call on a page never costs the visitor's other events."""
    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(CART_RULES)
    page.expect_network_errors = True   # Chromium logs the 422 in the console, as it does for any 4xx
    answers: list[int] = []
    page.on("response", lambda response: answers.append(response.status)
            if response.url.endswith("/v1/events") else None)
    with shop_and_service(page, rules_path) as (url, _, _received):
        page.goto(url)
        page.wait_for_function("window.clickto && clickto.decision !== undefined")
        page.evaluate("clickto.track('cart', {value: 'lots'}); clickto.cart({value: 150, items: 1}); clickto.flush()")
        expect(page.get_by_role("button", name="Chat with an advisor")).to_be_visible(timeout=WAIT * 1000)
        assert page.evaluate("clickto.decision.rule") == "big-cart"
    assert 422 in answers and answers[-1] == 200


def test_a_page_whose_session_the_service_lost_reports_its_page_again(tmp_path, page):
    """A restart of the in-memory service (a deploy) or an expiry there loses the session: the next batch gets
    ``page_unknown`` and the tag sends the page view again, so page rules (here: 1 s of engaged dwell on a
    product page) work on the open page without a navigation."""
    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(RULES)
    with shop_and_service(page, rules_path) as (url, service_app, _received):
        page.goto(url)
        button = page.get_by_role("button", name="Ask the community")
        expect(button).to_be_visible(timeout=WAIT * 1000)
        session = page.evaluate("JSON.parse(localStorage['clickto:demo:s']).id")
        store = service_app.state.store
        run_coroutine(store.delete(("demo", session)))
        page.evaluate("clickto.set({after_the_restart: true})")
        page.wait_for_function("clickto.decision === null || clickto.decision.rule !== 'product-dwell'",
                               timeout=WAIT * 1000)  # the empty session decided nothing at first
        expect(button).to_be_visible(timeout=WAIT * 1000)
        restored = run_coroutine(store.get(("demo", session), time.time()))
        assert restored.pages == 1 and restored.page_type == "product"
