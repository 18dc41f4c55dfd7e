"""Cooldown holds across pages: once the community button was shown and went away, the rule stays quiet on
the next product page for its cooldown, while other rules still work."""

from __future__ import annotations

from playwright.sync_api import Page

from e2e.pages import ProductPage
from e2e.servers import CHANNELS, Stack

RULES = CHANNELS + """\
rules:
  - id: advice-on-product-pages
    when: {page.type: product, page.dwell_seconds: {$gte: 1}}
    show: community
    priority: 50
    cooldown: 10m
  - id: still-here                                 # a witness: shows that the dwell clock has passed 2 s
    when: {page.type: product, page.dwell_seconds: {$gte: 2}}
    show: chat
    priority: 10
"""


def test_cooldown_holds_across_pages(stack: Stack, page: Page):
    first = ProductPage(page, stack.url).open("1")
    first.community.expect_visible()

    page.get_by_role("link", name="Riverrun 3000 Spinning Reel").first.click()
    second = ProductPage(page, stack.url)
    assert second.name() == "Riverrun 3000 Spinning Reel"

    second.chat.expect_visible(timeout=12_000)   # 2 s of dwell: the community rule (1 s) held too...
    second.community.expect_absent()             # ...but is cooling down
    assert page.evaluate("() => window.clickto.decision.rule") == "still-here"
