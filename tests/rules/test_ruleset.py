"""RuleSet.decide: priorities, ties, show none, availability fall-through, holdout, explain data, pyee events."""

from __future__ import annotations

import json

import pytest

from rules.errors import RuleError
from rules.model import Channel, Rule, RuleFile, Schedule
from rules.ruleset import Decision, RuleSet, holdout_bucket
from rules.session import Session

T0 = 1_700_000_000.0
CHANNELS = {
    "community": Channel("community", "Ask the community", needs="experts"),
    "chat": Channel("chat", "Chat with an advisor", needs="advisors"),
    "faq": Channel("faq", "Read the FAQ"),
}
EVERYONE = {"experts": 1, "advisors": 1}


def ruleset(*rules: Rule, **extra) -> RuleSet:
    ordered = tuple(Rule(**{**r.__dict__, "order": index}) for index, r in enumerate(rules))
    return RuleSet(RuleFile(version=1, channels=CHANNELS, rules=ordered, **extra))


def product_session(session_id: str = "s1", cart: float = 0.0) -> Session:
    session = Session(session_id, "demo", T0)
    session.apply({"type": "page_view", "url": "https://shop.test/products/7", "page_type": "product",
                   "category": "cameras"}, T0)
    if cart:
        session.apply({"type": "cart", "value": cart, "items": 1}, T0)
    return session


def test_highest_priority_matching_rule_wins():
    rs = ruleset(
        Rule("low", {"page.type": "product"}, "community", priority=1),
        Rule("high", {"page.category": "cameras"}, "chat", priority=10),
        Rule("higher-but-false", {"page.type": "cart"}, "faq", priority=99),
    )
    decision = rs.decide(product_session(), T0 + 1, EVERYONE)
    assert (decision.channel, decision.rule_id, decision.label) == ("chat", "high", "Chat with an advisor")


def test_priority_ties_go_to_the_earlier_rule_in_the_file():
    rs = ruleset(Rule("first", {"page.type": "product"}, "chat", priority=5),
                 Rule("second", {"page.type": "product"}, "community", priority=5))
    assert rs.decide(product_session(), T0 + 1, EVERYONE).rule_id == "first"
    assert [rule.id for rule in rs.ordered_rules] == ["first", "second"]
    swapped = ruleset(Rule("second", {"page.type": "product"}, "community", priority=5),
                      Rule("first", {"page.type": "product"}, "chat", priority=5))
    assert swapped.decide(product_session(), T0 + 1, EVERYONE).rule_id == "second"


def test_show_none_suppresses_explicitly_and_stops_lower_rules():
    rs = ruleset(Rule("quiet-on-cameras", {"page.category": "cameras"}, "none", priority=10),
                 Rule("offer", {"page.type": "product"}, "chat"))
    decision = rs.decide(product_session(), T0 + 1, EVERYONE)
    assert decision.channel is None and decision.label is None
    assert decision.rule_id == "quiet-on-cameras"
    assert decision.near_misses == []
    assert "near_misses" not in decision.to_dict()


def test_no_one_available_falls_through_to_the_next_matching_rule():
    rs = ruleset(Rule("expert-advice", {"page.type": "product"}, "community", priority=10),
                 Rule("advisor-chat", {"page.type": "product"}, "chat", priority=5))
    decision = rs.decide(product_session(), T0 + 1, {"experts": 0, "advisors": 2})
    assert (decision.channel, decision.rule_id) == ("chat", "advisor-chat")
    assert "rule 'expert-advice' matched but nobody is available for community" in decision.reasons


def test_missing_pool_counts_as_nobody_and_pool_free_channels_are_always_available():
    rs = ruleset(Rule("chat", {"page.type": "product"}, "chat", priority=10),
                 Rule("faq", {"page.type": "product"}, "faq"))
    decision = rs.decide(product_session(), T0 + 1, {})
    assert (decision.channel, decision.rule_id) == ("faq", "faq")


def test_nothing_available_gives_nothing_and_near_misses_name_the_blocked_rule_first():
    rs = ruleset(Rule("chat-big-carts", {"cart.value": {"$gte": 500}}, "chat", priority=3),
                 Rule("expert", {"page.type": "product"}, "community", priority=2),
                 Rule("cart-page", {"page.type": "cart"}, "chat", priority=1),
                 Rule("checkout", {"page.type": "checkout", "cart.value": {"$gte": 1}}, "chat"))
    decision = rs.decide(product_session(cart=120), T0 + 1, {"experts": 0, "advisors": 1})
    assert decision.channel is None and decision.rule_id is None
    misses = decision.near_misses
    assert misses[0] == {"rule": "expert", "failed": ["rule 'expert' matched but nobody is available for community"]}
    assert [miss["rule"] for miss in misses] == ["expert", "chat-big-carts", "cart-page"]
    assert all(miss["failed"] for miss in misses)
    assert decision.to_dict()["near_misses"] == misses


def test_decision_to_dict_is_json_ready_and_has_the_documented_keys():
    rs = ruleset(Rule("offer", {"page.type": "product", "cart.value": {"$gte": 80}}, "chat"))
    decision = rs.decide(product_session(cart=120), T0 + 1, EVERYONE)
    data = json.loads(json.dumps(decision.to_dict()))
    assert set(data) == {"channel", "rule", "label", "reasons", "scores", "next_check", "held_out"}
    assert data["channel"] == "chat" and data["rule"] == "offer" and data["held_out"] is False
    assert len(data["reasons"]) == 2 and all(isinstance(reason, str) for reason in data["reasons"])
    assert any("cart.value" in reason for reason in data["reasons"])


def test_decision_is_frozen():
    decision = Decision(channel=None, rule_id=None)
    with pytest.raises(AttributeError):
        decision.channel = "chat"  # type: ignore[misc]


def test_holdout_is_stable_per_session_and_rule():
    rs = ruleset(Rule("offer", {"page.type": "product"}, "chat", holdout=50))
    for session_id in ("a", "b", "c", "d", "e", "f"):
        first = rs.decide(product_session(session_id), T0 + 1, EVERYONE, record=False)
        again = rs.decide(product_session(session_id), T0 + 500, EVERYONE, record=False)
        assert first.held_out == again.held_out
        assert first.rule_id == "offer"
        assert first.channel == (None if first.held_out else "chat")
    assert holdout_bucket("a", "offer") == holdout_bucket("a", "offer")
    assert holdout_bucket("a", "offer") != holdout_bucket("a", "other") or holdout_bucket("b", "offer") != \
        holdout_bucket("b", "other")


def test_holdout_share_matches_the_percentage():
    rs = ruleset(Rule("offer", {"page.type": "product"}, "chat", holdout=20))
    session = product_session()
    held = 0
    for index in range(4000):
        session.session_id = f"visitor-{index}"
        held += rs.decide(session, T0 + 1, EVERYONE, record=False).held_out
    assert 0.17 < held / 4000 < 0.23


def test_holdout_zero_and_hundred():
    never = ruleset(Rule("offer", {"page.type": "product"}, "chat", holdout=0))
    always = ruleset(Rule("offer", {"page.type": "product"}, "chat", holdout=100))
    for index in range(50):
        assert not never.decide(product_session(f"v{index}"), T0 + 1, EVERYONE).held_out
        decision = always.decide(product_session(f"v{index}"), T0 + 1, EVERYONE)
        assert decision.held_out and decision.channel is None and decision.rule_id == "offer"


def test_held_out_only_when_the_button_would_really_have_been_shown():
    rs = ruleset(Rule("offer", {"page.type": "product"}, "community", holdout=100, priority=2),
                 Rule("fallback", {"page.type": "product"}, "chat"))
    decision = rs.decide(product_session(), T0 + 1, {"experts": 0, "advisors": 1})
    assert (decision.channel, decision.rule_id, decision.held_out) == ("chat", "fallback", False)


def test_pyee_events_for_shown_held_out_and_suppressed():
    seen: list[tuple] = []
    rs = ruleset(Rule("quiet", {"page.category": "quiet"}, "none", priority=3),
                 Rule("held", {"cart.value": {"$gte": 1000}}, "chat", holdout=100, priority=2),
                 Rule("offer", {"page.type": "product"}, "chat"))
    for name in ("decision", "rule_matched", "held_out", "suppressed"):
        rs.events.on(name, lambda first, session, name=name: seen.append((name, getattr(first, "id", None)
                                                                           or first.rule_id, session.session_id)))
    rs.decide(product_session("p"), T0 + 1, EVERYONE)
    assert seen == [("rule_matched", "offer", "p"), ("decision", "offer", "p")]
    seen.clear()
    rs.decide(product_session("h", cart=2000), T0 + 1, EVERYONE)
    assert seen == [("rule_matched", "held", "h"), ("held_out", "held", "h"), ("decision", "held", "h")]
    seen.clear()
    quiet = Session("q", "demo", T0)
    quiet.apply({"type": "page_view", "url": "https://shop.test/c/quiet", "page_type": "category",
                 "category": "quiet"}, T0)
    rs.decide(quiet, T0 + 1, EVERYONE)
    assert seen == [("rule_matched", "quiet", "q"), ("suppressed", "quiet", "q"), ("decision", "quiet", "q")]
    seen.clear()
    rs.decide(product_session("x"), T0 + 1, EVERYONE, record=False)
    assert seen == []


def test_decision_event_fires_for_nothing_too():
    decisions: list[Decision] = []
    rs = ruleset(Rule("offer", {"page.type": "cart"}, "chat"))
    rs.events.on("decision", lambda decision, session: decisions.append(decision))
    rs.decide(product_session(), T0 + 1, EVERYONE)
    assert len(decisions) == 1 and decisions[0].rule_id is None


def test_record_false_leaves_the_session_untouched():
    rs = ruleset(Rule("offer", {"page.type": "product"}, "chat", cooldown=60))
    session = product_session()
    before = json.dumps(session.to_dict(), sort_keys=True)
    rs.decide(session, T0 + 1, EVERYONE, record=False)
    assert json.dumps(session.to_dict(), sort_keys=True) == before
    rs.decide(session, T0 + 1, EVERYONE)
    assert session.display["showing"] == {"rule": "offer", "since": T0 + 1}
    json.dumps(session.display)  # JSON-safe


@pytest.mark.parametrize("rule, message", [
    (Rule("bad", {"page.type": "product"}, "phone"), "rule 'bad' shows unknown channel 'phone'"),
    (Rule("bad", {"page.type": "product"}, "chat", holdout=150), "holdout must be a percentage 0-100"),
    (Rule("bad", {"page.type": "product"}, "chat", cooldown=-5), "cooldown must be >= 0 seconds"),
    (Rule("bad", {"page.type": "product"}, "chat", schedule=Schedule("Nowhere/City")), "unknown timezone"),
])
def test_invalid_rules_are_rule_errors(rule, message):
    with pytest.raises(RuleError, match=message):
        ruleset(rule)


def test_ruleset_exposes_file_rules_channels_and_lookup():
    rule_file = RuleFile(version=1, channels=CHANNELS, rules=(Rule("a", {"page.type": "product"}, "chat"),))
    rs = RuleSet(rule_file)
    assert rs.file is rule_file
    assert [rule.id for rule in rs.rules] == ["a"]
    assert rs.channels["chat"].label == "Chat with an advisor"
    assert rs.rule("a").show == "chat"


def test_a_loaded_yaml_file_decides_end_to_end():
    import rules

    rs = rules.load("""
version: 1
channels:
  community: {label: Ask our community, needs: experts}
  chat: {label: Chat with an advisor, needs: advisors}
rules:
  - id: camera-advice
    when: {page.type: product, page.category: cameras, page.dwell_seconds: {$gte: 20}}
    show: community
    priority: 10
    cooldown: 10m
  - id: any-product
    when: {page.type: product}
    show: chat
""")
    assert isinstance(rs, RuleSet)
    session = product_session()
    first = rs.decide(session, T0 + 5, EVERYONE)
    assert (first.channel, first.rule_id) == ("chat", "any-product")
    assert first.next_check == pytest.approx(T0 + 20, abs=0.01)
    second = rs.decide(session, first.next_check, EVERYONE)
    assert (second.channel, second.rule_id, second.label) == ("community", "camera-advice", "Ask our community")
    assert any(reason.startswith("page.dwell_seconds 20") and reason.endswith(">= 20") for reason in second.reasons)
    assert rs.rule("camera-advice").cooldown == 600
