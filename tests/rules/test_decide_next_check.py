"""next_check: the earliest moment the decision could change if no event arrives."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from rules.model import Channel, Rule, RuleFile, Schedule, ScoreDef, ScoreTerm
from rules.ruleset import EPSILON, HORIZON, RuleSet
from rules.session import Session

T0 = 1_700_000_000.0          # 2023-11-14 22:13:20 UTC, a Tuesday
CHANNELS = {"chat": Channel("chat", "Chat", needs="advisors"), "community": Channel("community", "Ask")}
EVERYONE = {"advisors": 1}


def near(moment: float):
    """Threshold crossings are reported a millisecond after the exact moment (so strict tests flip too)."""
    return pytest.approx(moment + EPSILON, abs=1e-5)


def ruleset(*rules: Rule, scores: dict | None = None) -> RuleSet:
    return RuleSet(RuleFile(version=1, channels=CHANNELS, scores=scores or {},
                            rules=tuple(Rule(**{**r.__dict__, "order": i}) for i, r in enumerate(rules))))


def on_page(page_type: str = "product", at: float = T0, **extra) -> Session:
    session = Session("s", "demo", at)
    session.apply({"type": "page_view", "url": f"https://shop.test/{page_type}", "page_type": page_type, **extra}, at)
    return session


def test_dwell_threshold_gives_the_moment_the_rule_starts_to_hold():
    rs = ruleset(Rule("linger", {"page.type": "product", "page.dwell_seconds": {"$gte": 15}}, "community"))
    session = on_page()
    decision = rs.decide(session, T0 + 4, EVERYONE)
    assert decision.rule_id is None
    assert decision.next_check == near(T0 + 15)
    assert rs.decide(session, decision.next_check, EVERYONE).rule_id == "linger"


def test_strict_comparison_flips_just_after_the_threshold():
    rs = ruleset(Rule("linger", {"page.dwell_seconds": {"$gt": 15}}, "community"))
    session = on_page()
    decision = rs.decide(session, T0 + 4, EVERYONE)
    assert decision.next_check == near(T0 + 15)
    assert rs.decide(session, decision.next_check, EVERYONE).rule_id == "linger"
    assert rs.decide(session, T0 + 15, EVERYONE).rule_id is None
    assert rs.decide(session, T0 + 15 - EPSILON, EVERYONE).next_check == near(T0 + 15)


def test_paused_dwell_cannot_make_a_rule_hold_but_session_clock_still_can():
    rs = ruleset(Rule("linger", {"page.dwell_seconds": {"$gte": 15}}, "community", priority=2),
                 Rule("long-visit", {"session.seconds": {"$gte": 120}}, "chat"))
    session = on_page()
    session.apply({"type": "visibility", "visible": False}, T0 + 5)
    decision = rs.decide(session, T0 + 10, EVERYONE)
    assert decision.next_check == near(T0 + 120)
    session.apply({"type": "visibility", "visible": True}, T0 + 20)
    assert rs.decide(session, T0 + 20, EVERYONE).next_check == near(T0 + 30)   # 5 s banked + 10 s more


def test_idle_rule_that_will_hold():
    rs = ruleset(Rule("stuck", {"page.idle_seconds": {"$gte": 30}, "cart.items": {"$gte": 1}}, "chat"))
    session = on_page()
    session.apply({"type": "cart", "value": 40, "items": 1}, T0 + 10)
    session.apply({"type": "activity"}, T0 + 12)
    assert rs.decide(session, T0 + 13, EVERYONE).next_check == near(T0 + 42)


def test_a_showing_rule_that_will_stop_holding():
    rs = ruleset(Rule("active-visitor", {"page.type": "product", "page.idle_seconds": {"$lt": 60}}, "community"))
    session = on_page()
    session.apply({"type": "activity"}, T0 + 10)
    decision = rs.decide(session, T0 + 20, EVERYONE)
    assert decision.rule_id == "active-visitor"
    assert decision.next_check == near(T0 + 70)
    assert rs.decide(session, decision.next_check, EVERYONE).rule_id is None


def test_a_higher_rule_that_will_take_over_from_the_showing_one():
    rs = ruleset(Rule("long-look", {"page.dwell_seconds": {"$gte": 45}}, "chat", priority=10),
                 Rule("any-product", {"page.type": "product"}, "community"))
    session = on_page()
    decision = rs.decide(session, T0 + 5, EVERYONE)
    assert decision.rule_id == "any-product" and decision.next_check == near(T0 + 45)


def test_rule_whose_event_facts_fail_gives_no_next_check():
    rs = ruleset(Rule("cart-dwell", {"page.type": "cart", "page.dwell_seconds": {"$gte": 15}}, "chat"))
    assert rs.decide(on_page("product"), T0 + 1, EVERYONE).next_check is None


def test_thresholds_already_passed_give_no_next_check():
    rs = ruleset(Rule("linger", {"page.dwell_seconds": {"$gte": 15}}, "community"))
    assert rs.decide(on_page(), T0 + 30, EVERYONE).next_check is None


def test_unavailable_channel_gives_no_next_check():
    rs = ruleset(Rule("linger", {"page.dwell_seconds": {"$gte": 15}}, "chat"))
    assert rs.decide(on_page(), T0 + 1, {"advisors": 0}).next_check is None


def test_lower_rules_than_a_static_winner_do_not_count():
    rs = ruleset(Rule("product", {"page.type": "product"}, "chat", priority=5),
                 Rule("linger", {"page.dwell_seconds": {"$gte": 15}}, "community"))
    assert rs.decide(on_page(), T0 + 1, EVERYONE).next_check is None


def test_checkout_step_clock():
    rs = ruleset(Rule("slow-payment", {"checkout.step": "payment", "checkout.step_seconds": {"$gte": 90}}, "chat"))
    session = on_page("checkout")
    session.apply({"type": "checkout_step", "step": "payment"}, T0 + 30)
    assert rs.decide(session, T0 + 40, EVERYONE).next_check == near(T0 + 120)


def test_merchant_score_with_a_clock_term():
    scores = {"hesitation": ScoreDef("hesitation", terms=(
        ScoreTerm({"page.idle_seconds": {"$gte": 20}}, 50),
        ScoreTerm({"session.back_navigations": {"$gte": 2}}, 25),
    ))}
    rs = ruleset(Rule("reassure", {"score.hesitation": {"$gte": 50}}, "chat"), scores=scores)
    session = on_page()
    decision = rs.decide(session, T0 + 5, EVERYONE)
    assert decision.scores == {"hesitation": 0.0}
    assert decision.next_check == near(T0 + 20)
    later = rs.decide(session, decision.next_check, EVERYONE)
    assert later.rule_id == "reassure" and later.scores == {"hesitation": 50.0}


def test_schedule_opening_is_a_next_check():
    paris = ZoneInfo("Europe/Paris")
    monday_8 = datetime(2026, 11, 23, 8, 0, tzinfo=paris).timestamp()
    rs = ruleset(Rule("office-hours", {"page.type": "product"}, "chat",
                      schedule=Schedule("Europe/Paris", days=(0, 1, 2, 3, 4), hours=((540, 1080),))))
    session = on_page(at=monday_8)
    decision = rs.decide(session, monday_8 + 60, EVERYONE)
    assert decision.rule_id is None
    assert any("outside its schedule (Mon-Fri 09:00-18:00 Europe/Paris)" in r for r in decision.reasons)
    assert decision.next_check == datetime(2026, 11, 23, 9, 0, tzinfo=paris).timestamp()
    inside = rs.decide(session, decision.next_check, EVERYONE)
    assert inside.rule_id == "office-hours"
    assert inside.next_check == datetime(2026, 11, 23, 18, 0, tzinfo=paris).timestamp()


def test_time_fact_rules_wake_on_the_hour():
    rs = ruleset(Rule("evening", {"time.hour": {"$gte": 23}}, "chat"))
    session = on_page()                                   # T0 is 22:13:20 UTC
    decision = rs.decide(session, T0 + 1, EVERYONE)
    assert decision.next_check == 1_700_002_800.0         # 23:00:00 UTC


def test_clock_change_beyond_the_horizon_asks_for_a_recheck_at_the_horizon():
    rs = ruleset(Rule("very-long", {"session.seconds": {"$gte": 3 * 86400}}, "chat"))
    assert rs.decide(on_page(), T0 + 1, EVERYONE).next_check == pytest.approx(T0 + 1 + HORIZON, abs=1e-5)


def test_next_check_with_record_false_matches_record_true():
    rs = ruleset(Rule("cooling", {"page.type": "product"}, "chat", cooldown=100, priority=2),
                 Rule("linger", {"page.dwell_seconds": {"$gte": 50}}, "community"))
    session = on_page()
    rs.decide(session, T0 + 1, EVERYONE)
    session.apply({"type": "page_view", "url": "https://shop.test/home", "page_type": "home"}, T0 + 10)
    preview = rs.decide(session, T0 + 10, EVERYONE, record=False)
    recorded = rs.decide(session, T0 + 10, EVERYONE)
    assert preview.next_check == recorded.next_check == near(T0 + 60)
