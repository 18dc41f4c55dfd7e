"""A browsing visitor: the community button comes after the dwell threshold (2 s here), not before, and
clicking it records a ``button_click`` in the visitor's session on the service."""

from __future__ import annotations

import time

from playwright.sync_api import Page

from e2e.pages import ProductPage
from e2e.servers import CHANNELS, Stack

DWELL = 2.0
RULES = CHANNELS + f"""\
rules:
  - id: advice-on-product-pages
    when: {{page.type: product, page.dwell_seconds: {{$gte: {DWELL}}}}}
    show: community
    priority: 50
"""


def test_community_button_appears_after_the_dwell_threshold_and_not_before(stack: Stack, page: Page):
    product = ProductPage(page, stack.url).open("1")

    decision = product.first_decision()
    assert decision["channel"] is None, decision
    product.community.expect_absent()
    product.chat.expect_absent()

    product.community.expect_visible(timeout=10_000)
    assert product.community.seconds_after_page_view() >= DWELL - 0.01   # browser clock; 10 ms for ms rounding
    assert product.community.label() == "Ask our community"
    assert page.evaluate("() => window.clickto.decision.rule") == "advice-on-product-pages"
    product.chat.expect_absent()
    assert page.script_errors == []


def test_clicking_the_button_records_an_event_in_the_session(stack: Stack, page: Page):
    product = ProductPage(page, stack.url).open("9")
    product.community.expect_visible()

    with page.expect_request(lambda r: r.url.endswith("/v1/events") and "button_click" in (r.post_data or "")) as sent:
        product.community.click()
    batch = sent.value.post_data_json
    click = next(event for event in batch["events"] if event["type"] == "button_click")
    assert click["channel"] == "community" and click["rule"] == "advice-on-product-pages"
    assert sent.value.response().ok

    session = stack.session(batch["session"])
    facts = session.facts(time.time())
    assert facts["session"]["button_clicks"] == 1
    assert facts["page"]["product"] == "9"
