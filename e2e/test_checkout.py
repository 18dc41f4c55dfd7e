"""Buyers in the checkout: one who hesitates at the shipping step with a large cart gets the chat button;
one who goes straight through gets nothing, anywhere on the way."""

from __future__ import annotations

import time

from playwright.sync_api import BrowserContext, Page, expect

from e2e.pages import CheckoutShippingPage, ProductPage
from e2e.servers import CHANNELS, Stack

IDLE = 4.0     # with margin: a fast buyer on a loaded machine still spends ~2 s per page
DWELL = 6.0
RULES = CHANNELS + f"""\
rules:
  - id: reassure-at-shipping
    when: {{checkout.step: shipping, cart.value: {{$gt: 100}}, page.idle_seconds: {{$gte: {IDLE}}}}}
    show: chat
    priority: 100
  - id: advice-on-product-pages
    when: {{page.type: product, page.dwell_seconds: {{$gte: {DWELL}}}}}
    show: community
"""

WITNESS = """
(() => {  // remembers, across the pages of this tab, every clickto button that was ever attached
  const key = '__clickto_seen';
  new MutationObserver(() => {
    document.querySelectorAll('[data-clickto-button]').forEach((element) => {
      const seen = JSON.parse(sessionStorage.getItem(key) || '[]');
      const entry = location.pathname + ' ' + element.getAttribute('data-clickto-button');
      if (!seen.includes(entry)) sessionStorage.setItem(key, JSON.stringify(seen.concat(entry)));
    });
  }).observe(document, {childList: true, subtree: true});
})();
"""


def to_shipping(stack: Stack, page: Page, product_id: str) -> CheckoutShippingPage:
    cart = ProductPage(page, stack.url).open(product_id).add_to_cart()
    return cart.checkout().fill().submit().expect_loaded()


def test_hesitating_buyer_with_a_large_cart_gets_chat_at_shipping(stack: Stack, page: Page):
    shipping = to_shipping(stack, page, "7")                      # €899.00 camera
    decision = shipping.first_decision()
    assert decision["channel"] is None, decision
    shipping.chat.expect_absent()

    shipping.chat.expect_visible(timeout=12_000)
    assert shipping.chat.seconds_after_page_view() >= IDLE - 0.01   # browser clock; 10 ms for ms rounding
    assert shipping.chat.label() == "Chat with an advisor"
    assert page.evaluate("() => window.clickto.decision.rule") == "reassure-at-shipping"
    shipping.community.expect_absent()


def test_fast_buyer_goes_straight_through_and_sees_no_button(stack: Stack, context: BrowserContext, page: Page):
    context.add_init_script(WITNESS)
    shipping = to_shipping(stack, page, "8")                      # €1,699.00: the cart condition holds
    payment = shipping.choose("Express delivery").submit()
    confirmation = payment.fill().pay()
    assert confirmation.order_number().startswith("NW-")
    decision = confirmation.first_decision()
    assert decision["channel"] is None, decision

    seen = page.evaluate("() => JSON.parse(sessionStorage.getItem('__clickto_seen') || '[]')")
    assert seen == []
    facts = stack.session(confirmation.tag_session()).facts(time.time())
    assert facts["checkout"]["steps_seen"] == ["address", "shipping", "payment", "confirmation"]
    assert facts["cart"]["value"] == 0
    expect(page.get_by_test_id("order-total")).to_have_text("€1,708.90")
