"""Properties of decide(): it agrees with a plain interpreter, and next_check is exactly when the outcome changes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.conditions import compile_condition
from rules.model import Channel, Rule, RuleFile, ScoreDef, ScoreTerm
from rules.ruleset import RuleSet
from rules.session import Session

T0 = 1_700_000_000.0
CHANNELS = {"community": Channel("community", "Ask", needs="experts"), "chat": Channel("chat", "Chat", needs="advisors"),
            "faq": Channel("faq", "FAQ")}
SCORES = {"hesitation": ScoreDef("hesitation", terms=(
    ScoreTerm({"page.idle_seconds": {"$gte": 20}}, 50),
    ScoreTerm({"cart.items": {"$gte": 2}}, 25),
))}
PARTS = [
    {"page.type": "product"}, {"page.type": {"$in": ["cart", "checkout"]}}, {"page.type": {"$ne": "home"}},
    {"page.category": "cameras"}, {"page.category": {"$exists": False}}, {"device.type": "mobile"},
    {"cart.value": {"$gte": 50}}, {"cart.value": {"$lt": 20}}, {"cart.items": {"$gte": 2}},
    {"checkout.step": "shipping"}, {"session.pages": {"$gte": 3}},
    {"page.dwell_seconds": {"$gte": 10}}, {"page.dwell_seconds": {"$gt": 25}}, {"page.idle_seconds": {"$lt": 30}},
    {"page.idle_seconds": {"$gte": 15}}, {"session.seconds": {"$gte": 60}}, {"checkout.step_seconds": {"$gte": 20}},
    {"score.hesitation": {"$gte": 50}},
    {"$or": [{"page.dwell_seconds": {"$gte": 40}}, {"cart.value": {"$gte": 100}}]},
]
PAGES = [("home", None), ("product", "cameras"), ("product", "lenses"), ("category", "cameras"), ("cart", None),
         ("checkout", None)]

rule_strategy = st.builds(
    lambda parts, show, priority, cooldown: (parts, show, priority, cooldown),
    st.lists(st.sampled_from(range(len(PARTS))), min_size=1, max_size=3, unique=True),
    st.sampled_from(["community", "chat", "faq", "none"]),
    st.integers(0, 3),
    st.sampled_from([None, None, 30.0, 120.0]),
)
event_strategy = st.one_of(
    st.builds(lambda page: ("page", page), st.sampled_from(PAGES)),
    st.builds(lambda value, items: ("cart", value, items), st.sampled_from([0, 15, 60, 150]), st.integers(0, 3)),
    st.just(("activity",)), st.just(("hide",)), st.just(("show",)), st.just(("shipping",)),
)


def condition(parts: list[int]) -> dict:
    """Implicit AND of the parts when their keys differ (as merchants write it), else an explicit $and."""
    merged: dict = {}
    for part in parts:
        if set(PARTS[part]) & set(merged):
            return {"$and": [PARTS[index] for index in parts]}
        merged.update(PARTS[part])
    return merged


def build(rule_specs) -> RuleSet:
    rules = tuple(Rule(f"r{index}", condition(parts), show, priority=priority, order=index, cooldown=cooldown)
                  for index, (parts, show, priority, cooldown) in enumerate(rule_specs))
    return RuleSet(RuleFile(version=1, channels=CHANNELS, scores=SCORES, rules=rules))


def play(events, gaps, rs: RuleSet | None = None, availability=None) -> tuple[Session, float]:
    """Fold the events; with ``rs``, decide after each one as the service does (so cooldowns come into play)."""
    session = Session("prop", "demo", T0)
    now = T0
    session.apply({"type": "page_view", "url": "https://shop.test/", "page_type": "home"}, now)
    for event, gap in zip(events, gaps):
        now += gap
        kind = event[0]
        if kind == "page":
            page_type, category = event[1]
            fields = {"category": category} if category else {}
            session.apply({"type": "page_view", "url": f"https://shop.test/{page_type}", "page_type": page_type,
                           **fields}, now)
        elif kind == "cart":
            session.apply({"type": "cart", "value": event[1], "items": event[2]}, now)
        elif kind == "activity":
            session.apply({"type": "activity"}, now)
        elif kind in ("hide", "show"):
            session.apply({"type": "visibility", "visible": kind == "show"}, now)
        elif kind == "shipping":
            session.apply({"type": "checkout_step", "step": "shipping"}, now)
        if rs is not None:
            rs.decide(session, now, availability)
    return session, now


def reference(rs: RuleSet, session: Session, now: float, availability) -> tuple[str | None, str | None]:
    """The plain reading of the rules (no guards, no split, no cooldown state): first full match that can show."""
    facts = session.facts(now)
    facts["score"] = scores = {}
    for name, score in rs.file.scores.items():
        scores[name] = sum(term.add for term in score.terms if compile_condition(term.when)(facts))
    for rule in rs.ordered_rules:
        if not compile_condition(rule.when)(facts):
            continue
        if rule.show == "none":
            return None, rule.id
        pool = rs.channels[rule.show].needs
        if pool and availability.get(pool, 0) <= 0:
            continue
        return rule.show, rule.id
    return None, None


availability_strategy = st.fixed_dictionaries({"experts": st.integers(0, 1), "advisors": st.integers(0, 1)})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rule_strategy, min_size=1, max_size=8), st.lists(event_strategy, max_size=6),
       st.lists(st.sampled_from([0.5, 3.0, 12.0, 40.0]), min_size=6, max_size=6), availability_strategy,
       st.sampled_from([0.0, 7.5, 33.0]))
def test_decide_agrees_with_a_plain_interpreter(rule_specs, events, gaps, availability, later):
    rs = build(rule_specs)
    session, now = play(events, gaps)
    decision = rs.decide(session, now + later, availability, record=False)
    assert (decision.channel, decision.rule_id) == reference(rs, session, now + later, availability)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rule_strategy, min_size=1, max_size=8), st.lists(event_strategy, max_size=6),
       st.lists(st.sampled_from([0.5, 3.0, 12.0, 40.0]), min_size=6, max_size=6), availability_strategy,
       st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5))
def test_next_check_is_the_first_moment_the_outcome_changes(rule_specs, events, gaps, availability, samples):
    rs = build(rule_specs)
    session, now = play(events, gaps, rs, availability)
    first = rs.decide(session, now, availability)             # recorded: what shows now is remembered
    outcome = (first.channel, first.rule_id)
    horizon = first.next_check if first.next_check is not None else now + 600
    for share in samples:                                     # nothing changes before next_check ...
        moment = now + (horizon - now) * share * 0.999
        assert (rs.decide(session, moment, availability, record=False).outcome) == outcome, moment - now
    if first.next_check is not None:                          # ... and something does at next_check
        assert first.next_check > now
        assert rs.decide(session, first.next_check, availability, record=False).outcome != outcome
