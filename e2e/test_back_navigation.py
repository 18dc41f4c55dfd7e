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


def test_back_after_adding_to_the_cart_shows_and_reports_the_real_cart(stack: Stack, page: Page):
    """Back to the product after "Add to cart" must not show (nor tell the rules) the cart as it was before."""
    product = ProductPage(page, stack.url).open("13")
    product.first_decision()
    product.add_to_cart()
    page.go_back()
    expect(page).to_have_url(f"{stack.url}/products/13")
    expect(page.get_by_test_id("cart-count")).to_have_text("1")
    expect(page.locator("body")).not_to_have_attribute("data-clickto-cart-value", "0.00")
    product.first_decision()   # the page was loaded again (not kept): its first batch has been answered
    facts = stack.session(product.tag_session()).facts(time.time())
    assert facts["session"]["back_navigations"] == 1 and facts["cart"]["items"] == 1 and facts["cart"]["value"] > 0
