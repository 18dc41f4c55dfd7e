"""Scores: merchant scores from weighted conditions; learned scores computed lazily and cached per version."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from rules.errors import RuleError
from rules.model import Channel, Rule, RuleFile, ScoreDef, ScoreTerm
from rules.ruleset import RuleSet
from rules.scores import LearnedScore
from rules.session import Session

T0 = 1_700_000_000.0
CHANNELS = {"chat": Channel("chat", "Chat"), "community": Channel("community", "Ask")}


class CountingModel:
    """A learned score that counts how often it runs (the real one is in rules.intent)."""

    features = ("cart.value", "session.pages")

    def __init__(self, name: str = "intent", value: Any = 0.8) -> None:
        self.name = name
        self.value = value
        self.calls = 0

    def score(self, facts: Mapping[str, Any]) -> float:
        self.calls += 1
        if isinstance(self.value, Exception):
            raise self.value
        return self.value(facts) if callable(self.value) else self.value


def build(rules: tuple[Rule, ...], scores: dict[str, ScoreDef], models: dict | None = None) -> RuleSet:
    rules = tuple(Rule(**{**r.__dict__, "order": i}) for i, r in enumerate(rules))
    return RuleSet(RuleFile(version=1, channels=CHANNELS, scores=scores, rules=rules), score_models=models)


def session_with(cart: float = 0.0, back: int = 0) -> Session:
    session = Session("s", "demo", T0)
    session.apply({"type": "page_view", "url": "https://shop.test/checkout", "page_type": "checkout",
                   "checkout_step": "shipping"}, T0)
    if cart:
        session.apply({"type": "cart", "value": cart, "items": 1}, T0)
    for index in range(back):
        session.apply({"type": "back", "url": "https://shop.test/cart"}, T0 + index)
    return session


HESITATION = ScoreDef("hesitation", terms=(
    ScoreTerm({"checkout.step": "shipping", "page.idle_seconds": {"$gte": 20}}, 50),
    ScoreTerm({"session.back_navigations": {"$gte": 2}}, 25),
    ScoreTerm({"cart.value": {"$lt": 10}}, -10),
))


def test_merchant_score_sums_the_terms_that_hold():
    rs = build((Rule("never", {"page.type": "home"}, "chat"),), {"hesitation": HESITATION})
    assert rs.decide(session_with(cart=50), T0 + 1, {}).scores == {"hesitation": 0.0}
    assert rs.decide(session_with(cart=50), T0 + 25, {}).scores == {"hesitation": 50.0}
    assert rs.decide(session_with(cart=50, back=2), T0 + 25, {}).scores == {"hesitation": 75.0}
    assert rs.decide(session_with(cart=5, back=2), T0 + 1, {}).scores == {"hesitation": 15.0}


def test_rules_read_scores_as_facts():
    rs = build((Rule("reassure", {"score.hesitation": {"$gte": 50}, "cart.value": {"$gte": 80}}, "chat"),),
               {"hesitation": HESITATION})
    assert rs.decide(session_with(cart=120), T0 + 5, {}).rule_id is None
    decision = rs.decide(session_with(cart=120), T0 + 21, {})
    assert decision.rule_id == "reassure"
    assert decision.scores["hesitation"] == 50.0


def test_scores_may_read_other_scores_in_dependency_order():
    scores = {
        "urgent": ScoreDef("urgent", terms=(ScoreTerm({"score.hesitation": {"$gte": 50}}, 1),)),
        "hesitation": HESITATION,
    }
    rs = build((Rule("r", {"score.urgent": 1}, "chat"),), scores)
    assert rs.decide(session_with(cart=50, back=2), T0 + 30, {}).rule_id == "r"


def test_score_cycle_is_a_rule_error():
    scores = {
        "a": ScoreDef("a", terms=(ScoreTerm({"score.b": {"$gte": 1}}, 1),)),
        "b": ScoreDef("b", terms=(ScoreTerm({"score.a": {"$gte": 1}}, 1),)),
    }
    with pytest.raises(RuleError, match="cycle"):
        build((), scores)


def test_learned_score_without_a_model_is_a_rule_error():
    with pytest.raises(RuleError, match="score 'intent' is a learned score .* no model was loaded"):
        build((), {"intent": ScoreDef("intent", model=Path("intent.json"))})


def test_counting_model_satisfies_the_protocol():
    assert isinstance(CountingModel(), LearnedScore)


def test_learned_score_is_computed_only_when_a_rule_being_evaluated_needs_it():
    model = CountingModel()
    rs = build((
        Rule("cart-first", {"cart.value": {"$gte": 100}}, "community", priority=10),
        Rule("intent", {"score.intent": {"$gte": 0.5}}, "chat"),
    ), {"intent": ScoreDef("intent", model=Path("intent.skops"))}, {"intent": model})
    decision = rs.decide(session_with(cart=150), T0 + 1, {})
    assert decision.rule_id == "cart-first"
    assert model.calls == 0
    assert "intent" not in decision.scores
    decision = rs.decide(session_with(cart=20), T0 + 1, {})
    assert decision.rule_id == "intent" and decision.scores["intent"] == 0.8
    assert model.calls == 1


def test_learned_score_waits_until_the_rest_of_the_condition_holds():
    model = CountingModel()
    rs = build((Rule("big-cart-intent", {"cart.value": {"$gte": 100}, "score.intent": {"$gte": 0.5}}, "chat"),),
               {"intent": ScoreDef("intent", model=Path("m"))}, {"intent": model})
    assert rs.decide(session_with(cart=20), T0 + 1, {}).rule_id is None
    assert model.calls == 0
    assert rs.decide(session_with(cart=200), T0 + 1, {}).rule_id == "big-cart-intent"
    assert model.calls == 1


def test_learned_score_is_cached_per_session_version():
    model = CountingModel(value=lambda facts: facts["cart"]["value"] / 100)
    rs = build((Rule("intent", {"score.intent": {"$gte": 0.5}}, "chat"),),
               {"intent": ScoreDef("intent", model=Path("m"))}, {"intent": model})
    session = session_with(cart=20)
    for offset in (1, 2, 3, 5.9):                       # clocks run on a little, no event: cached
        assert rs.decide(session, T0 + offset, {}).rule_id is None
    assert model.calls == 1
    session.apply({"type": "cart", "value": 70, "items": 2}, T0 + 6)
    decision = rs.decide(session, T0 + 6.5, {})
    assert decision.rule_id == "intent" and decision.scores["intent"] == pytest.approx(0.7)
    assert model.calls == 2
    other = Session("other", "demo", T0)               # another session is its own cache entry
    rs.decide(other, T0 + 1, {})
    assert model.calls == 3


def test_learned_score_follows_the_clocks_of_an_idle_visitor():
    """A model reads durations, so without any event the score moves: a decision made LEARNED_REFRESH_SECONDS or
    more after the last computation (a timer wake-up, a presence change) computes it again."""
    model = CountingModel(value=lambda facts: min(1.0, facts["session"]["seconds"] / 100))
    rs = build((Rule("intent", {"score.intent": {"$gte": 0.5}, "page.idle_seconds": {"$gte": 20}}, "chat"),),
               {"intent": ScoreDef("intent", model=Path("m"))}, {"intent": model})
    session = session_with(cart=20)
    early = rs.decide(session, T0 + 21, {})
    assert early.rule_id is None and early.scores["intent"] == pytest.approx(0.21)
    assert rs.decide(session, T0 + 23, {}).scores["intent"] == pytest.approx(0.21)      # 2 s later: cached
    later = rs.decide(session, T0 + 60, {})
    assert later.rule_id == "intent" and later.scores["intent"] == pytest.approx(0.6)
    assert model.calls == 2


def test_merchant_score_reading_a_learned_score_computes_it():
    model = CountingModel(value=0.9)
    scores = {"intent": ScoreDef("intent", model=Path("m")),
              "hot": ScoreDef("hot", terms=(ScoreTerm({"score.intent": {"$gte": 0.7}}, 10),))}
    rs = build((Rule("never", {"page.type": "home"}, "chat"),), scores, {"intent": model})
    decision = rs.decide(session_with(), T0 + 1, {})
    assert decision.scores == {"intent": 0.9, "hot": 10.0}
    assert model.calls == 1


@pytest.mark.parametrize("value, shown", [(ValueError("bad features"), "ValueError: bad features"),
                                          (float("nan"), "the model returned nan"),
                                          ("high", "the model returned 'high'")])
def test_a_failing_learned_score_is_missing_and_explained_not_fatal(value, shown):
    rs = build((Rule("intent", {"score.intent": {"$gte": 0.5}}, "chat", priority=2),
                Rule("fallback", {"page.type": "checkout"}, "community")),
               {"intent": ScoreDef("intent", model=Path("m"))}, {"intent": CountingModel(value=value)})
    decision = rs.decide(session_with(), T0 + 1, {})
    assert decision.rule_id == "fallback"
    assert "intent" not in decision.scores
    assert any(f"score 'intent' could not be computed: {shown}" in reason for reason in decision.reasons)


def test_near_misses_can_name_learned_score_conditions():
    model = CountingModel(value=0.1)
    rs = build((Rule("cart", {"cart.value": {"$gte": 100}}, "chat", priority=5),
                Rule("intent", {"score.intent": {"$gte": 0.5}}, "chat")),
               {"intent": ScoreDef("intent", model=Path("m"))}, {"intent": model})
    decision = rs.decide(session_with(cart=10), T0 + 1, {})
    misses = {miss["rule"]: miss["failed"] for miss in decision.near_misses}
    assert any("score.intent" in failed for failed in misses["intent"])
