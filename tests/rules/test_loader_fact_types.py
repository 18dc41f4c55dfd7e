"""Operands a catalogued fact can never match are rejected at the operand, and each rejection is sound.

Sound means: GrowthBook's own evaluator (``growthbook.core.evalCondition``), given facts of the fact's real
type and allowed values (the session guarantees both), never lets the rejected part change the outcome:
a rejected ``$eq``/``$in``/``$gt``/... never holds, a rejected ``$ne``/``$nin`` always holds.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from growthbook.core import evalCondition

from rules.conditions import compile_condition
from rules.facts import FACTS
from rules.loader import check

HEAD = 'version: 1\nchannels:\n  chat: {label: "Chat"}\nscores:\n  s: [{when: {cart.items: {$gte: 1}}, add: 5}]\n'
"""Lines 1-5; ``rules:`` is line 6, a rule's ``when`` is line 8."""


def problems(text: str) -> list[str]:
    return [str(error) for error in check(text)]


def with_condition(condition: dict[str, Any]) -> str:
    """A one-rule file (``when`` on line 8); YAML's own dump keeps ``1e-05`` a number (JSON's would be text in YAML 1.1)."""
    when = yaml.safe_dump(condition, default_flow_style=True, width=1_000_000).strip()
    return HEAD + f"rules:\n  - id: a\n    when: {when}\n    show: chat\n"


def samples(path: str) -> list[Any]:
    """Values the session can give ``path`` (its catalogued type and values), and missing (None)."""
    if path.startswith("score."):
        kind, values = "number", ()
    else:
        kind, values = FACTS[path].type, FACTS[path].values
    if values:
        return [*values, None]
    bounds = None if path.startswith("score.") else FACTS[path].bounds
    if bounds:
        return [*range(bounds[0], bounds[1] + 1), None]
    return {
        "number": [0, 0.0, 1, 2.5, 80, 80.0, 100.5, -3, 1e9, None],
        "integer": [0, 1, 2, 3, 80, 100, None],
        "boolean": [True, False, None],
        "string": ["", "80", "true", "product", "Mobile", "x", "1.5", None],
    }[kind]


def facts_with(path: str, value: Any) -> dict[str, Any]:
    """Nested facts with ``path`` set to ``value`` (absent when ``value`` is None)."""
    facts: dict[str, Any] = {}
    if value is None:
        return facts
    node = facts
    *parents, leaf = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
    return facts


NEVER_HOLDS = [
    # (condition, message expected at the operand)
    ({"cart.value": {"$gte": "80"}}, "$gte '80' never holds: cart.value is a number, not a string (write 80 without quotes)"),
    ({"cart.value": {"$lt": "x"}}, "$lt 'x' never holds: cart.value is a number, not a string"),
    ({"page.path": {"$gt": 3}}, "$gt 3 never holds: page.path is a string, not a number (quote it: '3')"),
    ({"score.s": {"$lte": "9"}}, "$lte '9' never holds: score.s is a number, not a string (write 9 without quotes)"),
    ({"session.returning": {"$gt": 0}}, "session.returning is true or false: $gt never holds on it (only numbers and strings are ordered)"),
    ({"page.type": "produt"}, "'produt' is never a page.type (one of home, category, product, search, cart, checkout, "
                              "info, account, other); did you mean 'product'?"),
    ({"checkout.step": "Shipping"}, "'Shipping' is never a checkout.step (one of address, shipping, payment, "
                                    "confirmation); did you mean 'shipping'?"),
    ({"checkout.step": {"$eq": "Shipping"}}, "'Shipping' is never a checkout.step (one of address, shipping, "
                                             "payment, confirmation); did you mean 'shipping'?"),
    ({"session.returning": "true"}, "session.returning is true or false: 'true' (a string) never equals it "
                                    "(write true without quotes)"),
    ({"session.returning": {"$eq": 1}}, "session.returning is true or false: 1 (a number) never equals it"),
    ({"device.type": {"$in": ["Mobile"]}}, "'Mobile' is never a device.type (one of desktop, mobile, tablet); "
                                           "did you mean 'mobile'?"),
    ({"device.type": {"$ini": ["phone"]}}, "'phone' is never a device.type (one of desktop, mobile, tablet)"),
    ({"cart.items": {"$in": ["2"]}}, "cart.items is a number: '2' (a string) never equals it (write 2 without quotes)"),
    ({"session.pages": 2.5}, "session.pages is a whole number: 2.5 never equals it"),
    ({"page.product": 12}, "page.product is a string: 12 (a number) never equals it (quote it: '12')"),
    ({"page.type": ["product", "cart"]}, "page.type is a string: ['product', 'cart'] (a list) never equals it "
                                         "(to match any of several values use $in: [...])"),
    ({"page.type": {"a": 1}}, "page.type is a string: {'a': 1} (a mapping) never equals it"),
    ({"cart.value": {"$regex": "^1"}}, "cart.value is a number, not text: $regex never matches it"),
    ({"checkout.step": {"$size": 1}}, "checkout.step is a string, not a list: $size never matches it"),
    ({"device.type": {"$elemMatch": {"$eq": "mobile"}}}, "device.type is a string, not a list: $elemMatch never matches it"),
    ({"device.type": {"$all": ["mobile"]}}, "device.type is a string, not a list: $all never matches it"),
    ({"cart.items": {"$type": "string"}}, "cart.items is a number: $type 'string' never matches it "
                                          "(only 'number', or 'null' while it is missing)"),
]

ALWAYS_HOLDS = [
    ({"cart.value": {"$ne": "80"}}, "cart.value is a number: '80' (a string) never equals it (write 80 without quotes)"),
    ({"checkout.step": {"$ne": "Shipping"}}, "'Shipping' is never a checkout.step (one of address, shipping, payment, "
                                             "confirmation); did you mean 'shipping'?"),
    ({"page.type": {"$nin": ["Cart"]}}, "'Cart' is never a page.type (one of home, category, product, search, cart, "
                                        "checkout, info, account, other); did you mean 'cart'?"),
    ({"session.returning": {"$nin": ["false"]}}, "session.returning is true or false: 'false' (a string) never "
                                                 "equals it (write false without quotes)"),
    ({"page.category": {"$notRegex": "x"}, "cart.value": {"$notRegex": "x"}},
     "cart.value is a number, not text: $notRegex never matches it"),
]


@pytest.mark.parametrize(("condition", "message"), NEVER_HOLDS)
def test_an_operand_the_fact_never_matches_is_rejected_and_never_holds_in_growthbook(
        condition: dict[str, Any], message: str) -> None:
    found = problems(with_condition(condition))
    assert len(found) == 1 and found[0].endswith(": " + message), found
    for path, operand in condition.items():
        for value in samples(path):
            facts = facts_with(path, value)
            assert evalCondition(facts, {path: operand}) is False, (path, value)
            assert compile_condition({path: operand})(facts) is False, (path, value)


@pytest.mark.parametrize(("condition", "message"), ALWAYS_HOLDS)
def test_a_negated_operand_the_fact_never_matches_is_rejected_because_it_always_holds(
        condition: dict[str, Any], message: str) -> None:
    found = problems(with_condition(condition))
    assert len(found) == 1 and found[0].endswith(": " + message), found
    path, operand = list(condition.items())[-1]
    for value in samples(path):
        if value is None and "$notRegex" not in operand:
            continue        # a missing fact: $ne/$nin hold whatever the operand
        facts = facts_with(path, value)
        assert evalCondition(facts, {path: operand}) is True, (path, value)
        assert compile_condition({path: operand})(facts) is True, (path, value)


ACCEPTED = [
    {"page.type": "product", "checkout.step": "shipping", "device.type": {"$in": ["mobile", "tablet"]}},
    {"device.type": {"$ini": ["Mobile"]}, "page.type": {"$nini": ["CART"]}},     # case-insensitive
    {"cart.value": {"$gte": 80, "$lt": 99.5}, "cart.items": 2, "session.pages": {"$in": [1, 2.0]}},
    {"session.returning": True, "time.weekend": {"$ne": False}},
    {"checkout.step": None, "device.type": {"$exists": False}, "page.category": {"$type": "null"}},
    {"page.path": {"$gte": "/a", "$regex": "^/p"}, "page.title": {"$not": {"$regex": "sale"}}},
    {"page.type": {}, "cart.value": {"$type": "number"}},                        # {} holds for every value
    {"session.categories": {"$in": ["cameras"]}, "session.paths": {"$size": {"$gte": 2}}},   # lists: not typed
    {"custom.segment": 3, "custom.vip": "true", "score.s": {"$gte": 5}},
    {"session.by_type.product.pages": {"$gte": 3}, "page.type": {"$not": {"$in": ["cart", "checkout"]}}},
]


@pytest.mark.parametrize("condition", ACCEPTED)
def test_operands_the_fact_can_match_are_accepted(condition: dict[str, Any]) -> None:
    assert problems(with_condition(condition)) == []


def test_every_problem_points_at_its_operand() -> None:
    text = (HEAD + "rules:\n  - id: a\n"
            "    when: {cart.value: {$gte: \"80\"}, device.type: {$in: [mobile, Mobile, tablet]}}\n"
            "    show: chat\n"
            "  - id: b\n"
            "    when:\n"
            "      $or:\n"
            "        - {page.type: produt}\n"
            "        - checkout.step: {$not: {$eq: Payment}}\n"
            "    show: chat\n")
    assert [message.split(": ")[0] for message in problems(text)] == [
        "<rules>:8:31", "<rules>:8:66", "<rules>:13:23", "<rules>:14:39"]


def test_yaml_misreadings_get_the_yaml_advice() -> None:
    text = with_condition({}).replace("{}", "{page.category: no, page.title: 1:30}")
    assert problems(text) == [
        "<rules>:8:27: page.category is a string: false (a boolean) never equals it "
        "(YAML reads no as false; quote it: \"no\")",
        "<rules>:8:43: page.title is a string: 90 (a number) never equals it "
        "(YAML reads 1:30 as the number 90; quote it: \"1:30\")",
    ]


def test_an_operand_already_rejected_by_the_syntax_check_is_reported_once() -> None:
    found = problems(with_condition({"cart.value": {"$gte": ["80"]}}))
    assert len(found) == 1 and "$gte needs a number or a string, got a list" in found[0], found


def test_extreme_numbers_are_checked_without_crashing() -> None:
    text = with_condition({}).replace("{}", "{session.pages: 1" + "0" * 400 + ", cart.items: {$in: [.inf, 2.0]}}")
    assert problems(text) == ["<rules>:8:449: cart.items is a whole number: inf never equals it"]


def test_a_number_yaml_reads_as_text_gets_a_form_yaml_reads_as_a_number() -> None:
    text = with_condition({}).replace("{}", "{cart.value: {$gte: 1e3, $lt: \"2.5e-3\"}}")
    assert problems(text) == [
        "<rules>:8:31: $gte '1e3' never holds: cart.value is a number, not a string "
        "(YAML reads 1e3 as text; write it as 1000)",
        "<rules>:8:41: $lt '2.5e-3' never holds: cart.value is a number, not a string (write 2.5e-3 without quotes)",
    ]


def test_bounded_facts_and_yaml_numbers_that_do_not_look_like_themselves() -> None:
    assert problems(with_condition({"time.month": 13})) == ["<rules>:8:24: time.month is 1-12: 13 never equals it"]
    found = problems(with_condition({"time.hour": {"$gte": 570}}))
    assert found == ["<rules>:8:30: $gte 570 never holds: time.hour is 0-23"]
    assert problems(with_condition({"time.hour": {"$gte": 8, "$lt": 12}})) == []
    text = with_condition({"time.hour": {"$gte": 1}}).replace("time.hour: {$gte: 1}", "time.hour: {$gte: 9:30}")
    assert problems(text) == ['<rules>:8:30: $gte 570 never holds: time.hour is 0-23 (YAML reads 9:30 as the number '
                              '570; time.hour counts whole hours in UTC: write 9, or give the rule a schedule with '
                              'hours: "09:30-..." for minutes and local time)']
    text = with_condition({"cart.value": {"$gte": 1}}).replace("cart.value: {$gte: 1}", "cart.value: {$gte: 1:30}")
    assert problems(text) == []   # 90, a number: YAML's reading is the only surprise, and nothing can tell
    text = with_condition({"page.product": "x"}).replace("page.product: x", "page.product: 1:30")
    assert problems(text) == ['<rules>:8:26: page.product is a string: 90 (a number) never equals it (YAML reads 1:30 '
                              'as the number 90; quote it: "1:30")']
    for condition, hint in [({"page.dwell_seconds": {"$gte": "5m"}}, "(page.dwell_seconds counts seconds: write 300)"),
                            ({"checkout.step_seconds": {"$gte": "1.5 min"}}, "counts seconds: write 90)"),
                            ({"cart.value": {"$gt": "100€"}}, "(write 100 without the currency)"),
                            ({"cart.value": {"$gt": "€ 99,50"}}, "(write 99.5 without the currency)"),
                            ({"cart.value": {"$gt": "1,5"}}, "(write 1.5: decimals take a dot)"),
                            ({"time.hour": {"$gte": "09:30"}}, 'write 9, or give the rule a schedule with hours: '
                                                              '"09:30-..." for minutes and local time)')]:
        assert problems(with_condition(condition))[0].endswith(hint), condition
    assert problems(with_condition({"cart.value": {"$gt": "5m"}}))[0].endswith("not a string")   # no guess
    # no advice that fails again: 5.5 never equals a whole number either
    for condition in ({"cart.items": "5.5"}, {"cart.items": {"$in": ["1,5", 3]}}):
        assert problems(with_condition(condition))[0].endswith("never equals it"), condition
    assert problems(with_condition({"cart.items": "5"}))[0].endswith("(write 5 without quotes)")
    assert problems(with_condition({"time.hour": "25"}))[0].endswith("never equals it")        # 25 is no hour either
    assert problems(with_condition({"time.hour": {"$lt": "24"}}))[0].endswith("(write 24 without quotes)")
    for condition in ({"time.hour": {"$gt": "25"}}, {"time.month": {"$lt": "0"}}, {"time.hour": {"$gte": "1e3"}}):
        assert problems(with_condition(condition))[0].endswith("not a string"), condition   # 25 would fail too
    text = with_condition({"session.paths.length": {"$gte": "3"}})
    assert problems(text) == ["<rules>:8:41: $gte '3' never holds: session.paths.length is a number, not a string "
                              "(write 3 without quotes)"]
    text = with_condition({"page.product": "x"}).replace("page.product: x", "page.product: 0123")
    assert problems(text) == ['<rules>:8:26: page.product is a string: 83 (a number) never equals it (YAML reads 0123 '
                              'as the number 83; quote it: "0123")']
    text = with_condition({"time.hour": {"$gte": 1}}).replace("time.hour: {$gte: 1}", "time.hour: {$gte: 08}")
    assert problems(text) == ["<rules>:8:30: $gte '08' never holds: time.hour is a number, not a string (YAML reads "
                              "08 as text; write it as 8)"]


def test_list_paths_and_literal_objects_that_can_hold() -> None:
    assert problems(with_condition({"session.paths.length": {"$gte": 5}})) == []
    assert problems(with_condition({"session.paths.0": "/"})) == []
    assert problems(with_condition({"custom.plan": {"type": "pro"}})) == []     # an object fact may equal it
    assert problems(with_condition({"cart.value": {"gte": 5}})) == [
        "<rules>:8:25: 'gte' is not an operator: did you mean '$gte'? (a mapping without '$' keys is compared "
        "literally)"]


def test_score_terms_are_checked_too() -> None:
    text = HEAD.replace("{cart.items: {$gte: 1}}", "{checkout.step: Payment}") + "rules: []\n"
    assert problems(text) == [
        "<rules>:5:30: 'Payment' is never a checkout.step (one of address, shipping, payment, confirmation); "
        "did you mean 'payment'?"]


def test_the_audit_file_reports_every_problem(tmp_path: Any) -> None:
    path = tmp_path / "types.yaml"
    path.write_text(
        "version: 1\nchannels:\n  chat: {label: \"Chat\", needs: advisors}\nrules:\n"
        "  - id: a\n    when: {cart.value: {$gte: \"80\"}}\n    show: chat\n"
        "  - id: b\n    when: {page.type: produt}\n    show: chat\n"
        "  - id: c\n    when: {checkout.step: Shipping, session.returning: \"true\"}\n    show: chat\n"
        "  - id: d\n    when: {session.categories: {$size: \"2\"}, device.type: {$in: [Mobile]}}\n    show: chat\n")
    assert [str(error).split(": ")[0] for error in check(path)] == [
        f"{path}:6:31", f"{path}:9:23", f"{path}:12:27", f"{path}:12:56", f"{path}:15:40", f"{path}:15:66"]


SCALAR_FACTS = sorted(path for path, fact in FACTS.items() if fact.type in ("string", "number", "integer", "boolean"))
OPERANDS = st.one_of(
    st.sampled_from(["", "80", "true", "false", "x", "product", "Product", "shipping", "Mobile", "mobile", "/a"]),
    st.integers(-3, 200), st.floats(-1e3, 1e3, allow_nan=False), st.booleans(), st.none())


@settings(max_examples=300, deadline=None)
@given(path=st.sampled_from(SCALAR_FACTS), op=st.sampled_from(["", "$eq", "$in", "$gt", "$gte", "$lt", "$lte"]),
       operand=OPERANDS)
def test_whatever_the_loader_rejects_never_holds_in_growthbook(path: str, op: str, operand: Any) -> None:
    value = operand if not op else {op: [operand] if op == "$in" else operand}
    found = problems(with_condition({path: value}))
    if not found:
        return
    assert len(found) == 1, found
    for sample in samples(path):
        assert evalCondition(facts_with(path, sample), {path: value}) is False, (sample, found)


def test_a_one_value_fact_pinned_to_two_values_never_holds() -> None:
    text = with_condition({"page.type": "product", "$and": [{"page.type": "cart"}]})
    assert problems(text) == ["<rules>:8:11: page.type is required to be two different values at once: the condition "
                              "never holds"]
    assert problems(with_condition({"page.type": {"$in": ["product", "cart"]},
                                    "$and": [{"page.type": {"$in": ["cart", "search"]}}]})) == []
    # one element of a list fact may match each: both hold
    assert problems(with_condition({"session.categories": {"$in": ["a"]},
                                    "$and": [{"session.categories": {"$in": ["b"]}}]})) == []
