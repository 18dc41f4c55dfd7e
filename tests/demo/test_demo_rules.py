"""The demo's example rules mean what docs/demo.md says, checked with the engine on simulated sessions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.demo.visits import EVERYONE, demo_ruleset, page_view, simulate

T0 = 1_800_000_000.0


@pytest.fixture(scope="module")
def ruleset() -> Any:
    return demo_ruleset()


def decide(ruleset: Any, visit: Any, at: float, availability: dict[str, int] = EVERYONE) -> Any:
    return ruleset.decide(visit, T0 + at, availability, record=False)


def test_lingering_on_a_product_page_offers_the_community_after_15_seconds(ruleset):
    visit = simulate(T0, (0, page_view("/products/1", "product", product="1", category="fishing", price=189.0)))
    assert decide(ruleset, visit, 14).channel is None
    decision = decide(ruleset, visit, 15.5)
    assert (decision.channel, decision.rule_id) == ("community", "advice-on-product-pages")
    assert decide(ruleset, visit, 20, {"experts": 0, "advisors": 1}).channel is None


def test_hesitating_at_shipping_with_a_large_cart_offers_chat(ruleset):
    visit = simulate(T0, (0, page_view("/checkout/shipping", "checkout", checkout_step="shipping", cart_value=899.0,
                                  cart_items=1)))
    assert decide(ruleset, visit, 10).channel is None
    decision = decide(ruleset, visit, 21)
    assert (decision.channel, decision.rule_id) == ("chat", "reassure-at-shipping")
    assert decide(ruleset, visit, 21, {"experts": 1, "advisors": 0}).channel is None


def test_a_small_cart_at_shipping_gets_nothing(ruleset):
    visit = simulate(T0, (0, page_view("/checkout/shipping", "checkout", checkout_step="shipping", cart_value=38.9,
                                  cart_items=1)))
    assert decide(ruleset, visit, 60).channel is None


def test_going_back_and_forth_between_products_offers_the_community_sooner(ruleset):
    visit = simulate(T0,
        (0, page_view("/products/7", "product", product="7")),
        (3, page_view("/products/8", "product", product="8")),
        (6, {"type": "back", "url": "http://127.0.0.1:8000/products/7"}),
        (6, page_view("/products/7", "product", product="7")),
        (9, page_view("/products/8", "product", product="8")),
        (12, {"type": "back", "url": "http://127.0.0.1:8000/products/7"}),
        (12, page_view("/products/7", "product", product="7")),
    )
    decision = decide(ruleset, visit, 18)
    assert (decision.channel, decision.rule_id) == ("community", "comparing-products")
