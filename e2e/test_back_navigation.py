"""Back-navigation counts: a rule on ``session.back_navigations`` fires when the visitor goes back."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from e2e.pages import ProductPage
from e2e.servers import Stack

RULES = """\
version: 1
channels:
  community: {label: "Compare with the community", needs: experts}
rules:
  - id: comparing-products
    when: {page.type: product, session.back_navigations: {$gte: 1}}
    show: community
"""


def test_going_back_counts_and_triggers_the_rule(stack: Stack, page: Page):
    first = ProductPage(page, stack.url).open("13")
    assert first.first_decision()["channel"] is None
    first.community.expect_absent()

    page.get_by_role("link", name="Summit Waterproof Hiking Boots").first.click()
    second = ProductPage(page, stack.url)
    expect(page).to_have_url(f"{stack.url}/products/14")
    assert second.first_decision()["channel"] is None
    second.community.expect_absent()

    page.go_back()
    expect(page).to_have_url(f"{stack.url}/products/13")
    first.community.expect_visible()
    assert first.community.label() == "Compare with the community"
    facts = stack.session(first.tag_session()).facts(time.time())
    assert facts["session"]["back_navigations"] == 1
