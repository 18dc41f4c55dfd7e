"""The shadowed-rule check compares only candidate pairs (rules.loader ``unreachable``: pinned facts index the
earlier rules); it must report exactly what proving every pair would report."""

from __future__ import annotations

import re
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from rules.conditions import condition_fields, implies
from rules.loader import check, required_fields

HEAD = {"version": 1, "channels": {"chat": {"label": "Chat", "needs": "advisors"},
                                   "community": {"label": "Ask", "needs": "advisors"}}}

values = st.sampled_from(["a", "b", "c", 1, 2])
fact_value = st.one_of(
    values,
    st.fixed_dictionaries({"$in": st.lists(values, min_size=1, max_size=3, unique=True)}),
    st.fixed_dictionaries({"$eq": values}),
    st.fixed_dictionaries({"$gte": st.integers(0, 3)}),
    st.fixed_dictionaries({"$exists": st.just(True)}),
)
conjunction = st.dictionaries(st.sampled_from(["custom.f", "custom.g", "custom.h"]), fact_value, min_size=1, max_size=3)
condition = st.one_of(
    conjunction,
    st.builds(lambda base, branches: {**base, "$or": branches}, conjunction, st.lists(conjunction, min_size=1, max_size=2)),
    st.builds(lambda base, inner: {**base, "$and": [inner]}, conjunction, conjunction),
)


def shadow_problems(conditions: list[dict[str, Any]], priorities: list[int]) -> tuple[str, list[str]]:
    rules = [{"id": f"r{i}", "when": when, "show": "chat", "priority": priority}
             for i, (when, priority) in enumerate(zip(conditions, priorities))]
    text = yaml.safe_dump({**HEAD, "rules": rules}, sort_keys=False)
    return text, [str(error) for error in check(text) if "can never fire" in str(error)]


def pairwise(conditions: list[dict[str, Any]], priorities: list[int]) -> list[str]:
    """The same verdicts, every earlier rule proved against every later one (no index)."""
    ranked = sorted(range(len(conditions)), key=lambda index: (-priorities[index], index))
    found = []
    for position, index in enumerate(ranked):
        for earlier in ranked[:position]:
            if required_fields(conditions[earlier]) <= condition_fields(conditions[index]) \
                    and implies(conditions[index], conditions[earlier]):
                found.append(f"r{index} < r{earlier}")
                break
    return sorted(found)


SHADOW = re.compile(r"rule '([^']+)' can never fire: rule '([^']+)'")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(condition, min_size=2, max_size=7), st.lists(st.integers(0, 2), min_size=7, max_size=7))
def test_the_index_reports_what_proving_every_pair_reports(conditions, priorities):
    text, problems = shadow_problems(conditions, priorities)
    reported = sorted("{} < {}".format(*SHADOW.search(problem).groups()) for problem in problems)
    assert reported == pairwise(conditions, priorities[:len(conditions)])


def test_thousands_of_per_product_rules_are_not_compared_pair_by_pair(monkeypatch):
    """2,000 rules pinning distinct products: each is proved against its few candidates, not every earlier rule."""
    import rules.conditions as conditions

    rules = [{"id": f"p{i}", "when": {"page.product": f"p{i}", "cart.value": {"$gte": i % 50}}, "show": "chat"}
             for i in range(2000)]
    rules.append({"id": "late", "when": {"page.product": "p7", "cart.value": {"$gte": 100}}, "show": "chat"})
    text = yaml.safe_dump({**HEAD, "rules": rules}, sort_keys=False)
    proofs = []
    original = conditions.implies

    def counting(stronger, weaker):
        proofs.append(1)
        return original(stronger, weaker)

    monkeypatch.setattr(conditions, "implies", counting)
    problems = [str(error) for error in check(text)]
    assert len(problems) == 1 and "rule 'late' can never fire: rule 'p7'" in problems[0]
    assert len(proofs) < 10, len(proofs)
