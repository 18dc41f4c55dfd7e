"""The demo rules that read the learned purchase-intent score (shipped ``live`` model) decide as docs/demo.md
says: chat for a likely buyer hesitating at shipping, community for an unlikely buyer lingering on products."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.demo.visits import EVERYONE, demo_ruleset, page_view, simulate

NOVEMBER = datetime(2026, 11, 24, 10, tzinfo=UTC).timestamp()   # the data's busiest buying month
MAY = datetime(2027, 5, 11, 10, tzinfo=UTC).timestamp()


@pytest.fixture(scope="module")
def ruleset() -> Any:
    return demo_ruleset()


def shipping_visit(start: float) -> Any:
    return simulate(start, (0, page_view("/checkout/shipping", "checkout", checkout_step="shipping", cart_value=38.9,
                                         cart_items=1)))


def test_a_likely_buyer_hesitating_at_shipping_gets_chat_even_with_a_small_cart(ruleset):
    visit = shipping_visit(NOVEMBER)
    early = ruleset.decide(visit, NOVEMBER + 10, EVERYONE, record=False)
    assert early.channel is None and early.scores["intent"] >= 0.2
    decision = ruleset.decide(visit, NOVEMBER + 21, EVERYONE, record=False)
    assert (decision.channel, decision.rule_id) == ("chat", "likely-buyer-hesitating-at-shipping")
    assert any("score.intent" in reason for reason in decision.reasons)
    assert ruleset.decide(visit, NOVEMBER + 21, {"experts": 1, "advisors": 0}, record=False).channel is None


def test_the_same_visit_in_a_quiet_month_is_not_a_likely_buyer(ruleset):
    decision = ruleset.decide(shipping_visit(MAY), MAY + 60, EVERYONE, record=False)
    assert decision.channel is None and decision.scores["intent"] < 0.2


def browsing(start: float) -> Any:
    return simulate(start, *[(index * 12, page_view(f"/products/{index}", "product", product=str(index)))
                            for index in range(1, 4)])


def test_an_unlikely_buyer_browsing_products_gets_the_community_sooner(ruleset):
    visit = browsing(MAY)                                              # third product page from 36 s
    assert ruleset.decide(visit, MAY + 36 + 9, EVERYONE, record=False).channel is None
    decision = ruleset.decide(visit, MAY + 36 + 10.5, EVERYONE, record=False)
    assert (decision.channel, decision.rule_id) == ("community", "browsing-without-buying-intent")
    assert decision.scores["intent"] < 0.05


def test_a_browser_in_the_buying_season_waits_for_the_general_product_rule(ruleset):
    visit = browsing(NOVEMBER)
    assert ruleset.decide(visit, NOVEMBER + 36 + 10.5, EVERYONE, record=False).channel is None
    decision = ruleset.decide(visit, NOVEMBER + 36 + 15.5, EVERYONE, record=False)
    assert decision.rule_id == "advice-on-product-pages" and decision.scores["intent"] >= 0.05


def test_a_fast_buyer_who_then_hesitates_is_scored_as_the_hesitation_goes_on(ruleset):
    """Straight to shipping: just under the 0.2 threshold when the page opens; idle at shipping, the durations
    the model reads grow, and the decision at the 20 s idle wake-up computes the score again (it is not kept
    from the page view), so the chat is offered."""
    visit = simulate(NOVEMBER, (0, page_view("/products/3", "product", product="3")),
                     (1, page_view("/checkout/shipping", "checkout", checkout_step="shipping", cart_value=29.9,
                                   cart_items=1)))
    opened = ruleset.decide(visit, NOVEMBER + 1.01, EVERYONE)
    assert opened.channel is None and opened.scores["intent"] < 0.2
    woken = ruleset.decide(visit, NOVEMBER + 22, EVERYONE)          # no event in between: a timer decision
    assert (woken.channel, woken.rule_id) == ("chat", "likely-buyer-hesitating-at-shipping")
    assert woken.scores["intent"] >= 0.2
