"""Cooldowns: a rule that was shown is not shown again within its cooldown after it stopped showing."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rules.model import ONCE_PER_SESSION, Channel, Rule, RuleFile, Schedule
from rules.ruleset import RuleSet
from rules.session import Session

T0 = 1_700_000_000.0
CHANNELS = {"chat": Channel("chat", "Chat", needs="advisors"), "community": Channel("community", "Ask")}
EVERYONE = {"advisors": 1}


def ruleset(*rules: Rule) -> RuleSet:
    return RuleSet(RuleFile(version=1, channels=CHANNELS,
                            rules=tuple(Rule(**{**r.__dict__, "order": i}) for i, r in enumerate(rules))))


def view(session: Session, at: float, page_type: str) -> None:
    session.apply({"type": "page_view", "url": f"https://shop.test/{page_type}", "page_type": page_type}, at)


def test_showing_button_stays_while_its_rule_holds_even_past_the_cooldown():
    rs = ruleset(Rule("offer", {"page.type": "product"}, "chat", cooldown=60))
    session = Session("s", "demo", T0)
    view(session, T0, "product")
    for offset in (1, 30, 61, 120, 600):
        assert rs.decide(session, T0 + offset, EVERYONE).rule_id == "offer"
    assert session.display["showing"]["since"] == T0 + 1


def test_cooldown_starts_when_the_button_stops_showing():
    rs = ruleset(Rule("offer", {"page.type": "product"}, "chat", cooldown=60))
    session = Session("s", "demo", T0)
    view(session, T0, "product")
    assert rs.decide(session, T0 + 1, EVERYONE).rule_id == "offer"
    view(session, T0 + 100, "cart")
    assert rs.decide(session, T0 + 100, EVERYONE).rule_id is None          # stopped showing at +100
    assert session.display["stopped"] == {"offer": T0 + 100}
    view(session, T0 + 130, "product")
    blocked = rs.decide(session, T0 + 130, EVERYONE)
    assert blocked.rule_id is None
    assert any("in cooldown for 30 s more" in reason for reason in blocked.reasons)
    assert blocked.next_check == T0 + 160                                  # when the cooldown ends
    assert blocked.near_misses[0]["rule"] == "offer"
    assert rs.decide(session, T0 + 160, EVERYONE).rule_id == "offer"


def test_a_rule_in_cooldown_falls_through_to_the_next_rule():
    rs = ruleset(Rule("offer", {"page.type": "product"}, "chat", cooldown=60, priority=2),
                 Rule("community", {"page.type": "product"}, "community"))
    session = Session("s", "demo", T0)
    view(session, T0, "product")
    rs.decide(session, T0 + 1, EVERYONE)
    view(session, T0 + 10, "home")
    rs.decide(session, T0 + 10, EVERYONE)
    view(session, T0 + 20, "product")
    decision = rs.decide(session, T0 + 20, EVERYONE)
    assert (decision.channel, decision.rule_id) == ("community", "community")
    assert decision.next_check == T0 + 70                                   # offer may come back then
    assert rs.decide(session, T0 + 70, EVERYONE).rule_id == "offer"
    assert session.display["stopped"]["community"] == T0 + 70


def test_once_per_session_never_comes_back_after_it_stopped_showing():
    rs = ruleset(Rule("welcome", {"page.type": "home"}, "community", cooldown=ONCE_PER_SESSION))
    session = Session("s", "demo", T0)
    view(session, T0, "home")
    assert rs.decide(session, T0 + 1, EVERYONE).rule_id == "welcome"
    assert rs.decide(session, T0 + 50, EVERYONE).rule_id == "welcome"     # sticky while showing
    view(session, T0 + 60, "product")
    rs.decide(session, T0 + 60, EVERYONE)
    view(session, T0 + 3600 * 5, "home")
    decision = rs.decide(session, T0 + 3600 * 5, EVERYONE)
    assert decision.rule_id is None
    assert "rule 'welcome' matched but was already shown in this session" in decision.reasons
    assert decision.next_check is None


def test_no_cooldown_means_the_rule_can_come_back_at_once():
    rs = ruleset(Rule("offer", {"page.type": "product"}, "chat"))
    session = Session("s", "demo", T0)
    view(session, T0, "product")
    rs.decide(session, T0 + 1, EVERYONE)
    view(session, T0 + 2, "home")
    rs.decide(session, T0 + 2, EVERYONE)
    view(session, T0 + 3, "product")
    assert rs.decide(session, T0 + 3, EVERYONE).rule_id == "offer"


def test_button_withdrawn_because_nobody_can_answer_starts_no_cooldown():
    rs = ruleset(Rule("offer", {"page.type": "product"}, "chat", cooldown=600),
                 Rule("fallback", {"page.type": "product"}, "community"))
    session = Session("s", "demo", T0)
    view(session, T0, "product")
    assert rs.decide(session, T0 + 1, EVERYONE).rule_id == "offer"
    nobody = rs.decide(session, T0 + 20, {"advisors": 0})
    assert nobody.rule_id == "fallback"                                     # withdrawn: the visitor did not refuse it
    assert "offer" not in session.display.get("stopped", {})
    assert nobody.next_check is None                                        # availability wakes it, not a clock
    back = rs.decide(session, T0 + 30, EVERYONE)
    assert back.rule_id == "offer" and back.channel == "chat"


def test_button_withdrawn_when_its_schedule_ends_starts_no_cooldown():
    paris = ZoneInfo("Europe/Paris")
    evening = datetime(2026, 11, 23, 17, 59, tzinfo=paris).timestamp()
    rs = ruleset(Rule("office-hours", {"page.type": "product"}, "chat", cooldown=ONCE_PER_SESSION,
                      schedule=Schedule("Europe/Paris", days=(0, 1, 2, 3, 4), hours=((540, 1080),))))
    session = Session("s", "demo", evening)
    view(session, evening, "product")
    assert rs.decide(session, evening + 1, EVERYONE).rule_id == "office-hours"
    closed = rs.decide(session, evening + 120, EVERYONE)
    assert closed.rule_id is None and "office-hours" not in session.display.get("stopped", {})
    next_morning = datetime(2026, 11, 24, 9, 0, tzinfo=paris).timestamp()
    assert closed.next_check == next_morning
    assert rs.decide(session, next_morning, EVERYONE).rule_id == "office-hours"


def test_button_that_stops_holding_while_nobody_is_available_still_cools_down():
    rs = ruleset(Rule("offer", {"page.type": "product"}, "chat", cooldown=600))
    session = Session("s", "demo", T0)
    view(session, T0, "product")
    assert rs.decide(session, T0 + 1, EVERYONE).rule_id == "offer"
    view(session, T0 + 10, "cart")
    assert rs.decide(session, T0 + 10, {"advisors": 0}).rule_id is None
    assert session.display["stopped"] == {"offer": T0 + 10}


def test_preempted_rule_starts_its_cooldown_when_a_higher_rule_takes_over():
    rs = ruleset(Rule("cart-help", {"cart.value": {"$gte": 100}}, "chat", priority=5),
                 Rule("offer", {"page.type": "product"}, "community", cooldown=300))
    session = Session("s", "demo", T0)
    view(session, T0, "product")
    assert rs.decide(session, T0 + 1, EVERYONE).rule_id == "offer"
    session.apply({"type": "cart", "value": 150, "items": 1}, T0 + 10)
    assert rs.decide(session, T0 + 10, EVERYONE).rule_id == "cart-help"
    session.apply({"type": "cart", "value": 0, "items": 0}, T0 + 20)
    decision = rs.decide(session, T0 + 20, EVERYONE)
    assert decision.rule_id is None and decision.next_check == T0 + 310


def test_cooldown_state_survives_a_store_round_trip():
    rs = ruleset(Rule("offer", {"page.type": "product"}, "chat", cooldown=60))
    session = Session("s", "demo", T0)
    view(session, T0, "product")
    rs.decide(session, T0 + 1, EVERYONE)
    view(session, T0 + 5, "home")
    rs.decide(session, T0 + 5, EVERYONE)
    restored = Session.from_dict(session.to_dict())
    view(restored, T0 + 10, "product")
    assert rs.decide(restored, T0 + 10, EVERYONE).rule_id is None
    assert rs.decide(restored, T0 + 65, EVERYONE).rule_id == "offer"
