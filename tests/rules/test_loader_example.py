"""examples/rules.yaml means what its comments say: a few visits played through the real engine."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import rules
from rules.loader import check, load, parse

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rules.yaml"
TUESDAY_10H_PARIS = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Paris")).timestamp()
SUNDAY_10H_PARIS = datetime(2026, 11, 29, 10, 0, tzinfo=ZoneInfo("Europe/Paris")).timestamp()
EVERYONE = {"experts": 2, "advisors": 1}


@pytest.fixture(scope="module")
def ruleset() -> rules.RuleSet:
    return load(EXAMPLE)


def visit(start: float, *events: dict) -> rules.Session:
    session = rules.Session(session_id="visitor-1", site="demo", now=start)
    for event in events:
        session.apply({"t": int(start * 1000), **event}, start)
    return session


def test_example_is_valid_and_uses_every_feature() -> None:
    assert check(EXAMPLE) == []
    rule_file = parse(EXAMPLE)
    assert set(rule_file.channels) == {"community", "chat"}
    assert {rule.show for rule in rule_file.rules} == {"community", "chat", "none"}
    assert any(rule.schedule and rule.schedule.timezone == "Europe/Paris" for rule in rule_file.rules)
    assert any(rule.holdout for rule in rule_file.rules) and any(rule.cooldown for rule in rule_file.rules)
    assert rule_file.segments and any(score.model is None for score in rule_file.scores.values())
    assert rule_file.scores["intent"].model is not None  # the learned score, from the shipped model


def test_lingering_on_a_camera_page_offers_the_community(ruleset: rules.RuleSet) -> None:
    session = visit(TUESDAY_10H_PARIS, {"type": "page_view", "url": "https://shop.test/p/1", "path": "/p/1",
                                         "page_type": "product", "category": "cameras", "price": 80})
    assert ruleset.decide(session, TUESDAY_10H_PARIS + 5, EVERYONE, record=False).rule_id is None
    decision = ruleset.decide(session, TUESDAY_10H_PARIS + 25, EVERYONE, record=False)
    assert decision.rule_id == "lingering-on-gear"
    assert decision.channel == ("community" if not decision.held_out else None)


def test_staff_never_see_a_button(ruleset: rules.RuleSet) -> None:
    session = visit(TUESDAY_10H_PARIS, {"type": "custom", "data": {"customer_id": "cust-0017"}},
                    {"type": "page_view", "url": "https://shop.test/p/1", "path": "/p/1", "page_type": "product",
                     "category": "cameras", "price": 80})
    decision = ruleset.decide(session, TUESDAY_10H_PARIS + 60, EVERYONE, record=False)
    assert (decision.rule_id, decision.channel) == ("staff-see-no-buttons", None)


def test_hesitating_at_shipping_with_a_big_cart_gets_chat_in_business_hours_only(ruleset: rules.RuleSet) -> None:
    events = ({"type": "cart", "value": 120, "items": 2},
              {"type": "page_view", "url": "https://shop.test/checkout/shipping", "path": "/checkout/shipping",
               "page_type": "checkout", "checkout_step": "shipping"},
              {"type": "checkout_step", "step": "shipping"})
    weekday = ruleset.decide(visit(TUESDAY_10H_PARIS, *events), TUESDAY_10H_PARIS + 25, EVERYONE, record=False)
    assert (weekday.rule_id, weekday.channel) == ("reassure-at-shipping", "chat")
    assert weekday.scores["hesitation"] >= 50
    sunday = ruleset.decide(visit(SUNDAY_10H_PARIS, *events), SUNDAY_10H_PARIS + 25, EVERYONE, record=False)
    assert sunday.rule_id != "reassure-at-shipping"


def stalled_at_shipping(product_pages: int) -> rules.Session:
    views = [{"type": "page_view", "url": f"https://shop.test/p/{n}", "path": f"/p/{n}", "page_type": "product",
              "category": "cameras", "price": 80} for n in range(product_pages)]
    return visit(TUESDAY_10H_PARIS, *views, {"type": "cart", "value": 40, "items": 1},
                 {"type": "page_view", "url": "https://shop.test/checkout/shipping", "path": "/checkout/shipping",
                  "page_type": "checkout", "checkout_step": "shipping"})


def test_a_likely_buyer_stalling_in_the_checkout_gets_chat_whatever_the_cart(ruleset: rules.RuleSet) -> None:
    decision = ruleset.decide(stalled_at_shipping(0), TUESDAY_10H_PARIS + 61, EVERYONE, record=False)
    assert decision.scores["intent"] >= 0.25
    assert (decision.channel, decision.rule_id) == ("chat", "likely-buyer-stalls-in-checkout")
    before_a_minute = ruleset.decide(stalled_at_shipping(0), TUESDAY_10H_PARIS + 30, EVERYONE, record=False)
    assert before_a_minute.rule_id is None


def test_a_less_likely_buyer_stalling_with_a_small_cart_gets_nothing(ruleset: rules.RuleSet) -> None:
    decision = ruleset.decide(stalled_at_shipping(3), TUESDAY_10H_PARIS + 61, EVERYONE, record=False)
    assert decision.scores["intent"] < 0.25
    assert decision.rule_id is None
