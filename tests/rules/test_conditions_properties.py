"""Property tests: compiled conditions mean exactly what GrowthBook's evaluator says, on generated
conditions and facts; and checking or compiling arbitrary JSON-like input never fails with anything
but a RuleError."""

from __future__ import annotations

import math

from growthbook.core import evalCondition
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rules.conditions import compile_condition, condition_problems, describe_condition, implies
from rules.errors import RuleError

SEGMENTS = {"vip": ["ana", 7, True, "B"], "empty": [], "mixed": [0, 1.5, None, "x"]}
KEYS = ["a", "b", "c"]
FIELDS = ["a", "a", "b", "b", "c", "a.b", "a.c", "c.0", "c.1", "c.length", "a.b.c", "b.0.a"]

strings = st.sampled_from(["", "a", "A", "b", "B", "ab", "x", "é", "É", "z\U0001d4b3", "\uff21", "1.2.3",
                           "v1.2.0", "1.10.0-rc.1", "1.2", "2", "ana", "0"])
numbers = st.one_of(st.sampled_from([0, 1, 2, 3, 7, -1]), st.sampled_from([0.0, 1.0, 1.5, -0.0, 2.5, 1e21, math.inf]))
scalars = st.one_of(st.sampled_from([None, True, False, 0, 1, 1.0, 2, "a", "A", "1.2.3"]), numbers, strings)
fact_values = st.recursive(
    st.one_of(scalars, st.just(math.nan)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)),
    max_leaves=12,
)
facts = st.dictionaries(st.sampled_from(KEYS), fact_values, min_size=2, max_size=3)
literals = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                     st.dictionaries(st.sampled_from(KEYS), inner, max_size=2)),
    max_leaves=5)
patterns = st.sampled_from(["a", "^a", "b$", "[ab]", "é", "^$", ".", "A|x", r"\d"])
versions = st.one_of(st.sampled_from(["1.2.3", "v1.2.3", "1.2.3-beta", "1.2.3-beta.2", "1.10.0", "1.2",
                                      "1.2.3+build.5", "", "2", "1.2.3.4"]), st.integers(0, 3), st.just(1.5))


value_conditions = st.deferred(lambda: st.one_of(
        literals,
        st.dictionaries(st.sampled_from(["$eq", "$ne"]), scalars, min_size=1, max_size=1),
        st.dictionaries(st.sampled_from(["$gt", "$gte", "$lt", "$lte"]), st.one_of(numbers, strings),
                        min_size=1, max_size=2),
        st.dictionaries(st.sampled_from(["$veq", "$vne", "$vgt", "$vgte", "$vlt", "$vlte"]), versions,
                        min_size=1, max_size=2),
        st.dictionaries(st.sampled_from(["$in", "$nin", "$ini", "$nini"]), st.lists(scalars, max_size=4),
                        min_size=1, max_size=1),
        st.dictionaries(st.sampled_from(["$regex", "$regexi", "$notRegex", "$notRegexi"]), patterns,
                        min_size=1, max_size=1),
        st.dictionaries(st.just("$exists"), st.booleans(), min_size=1),
        st.dictionaries(st.just("$type"), st.sampled_from(["string", "number", "boolean", "array", "object",
                                                            "null"]), min_size=1),
        st.dictionaries(st.sampled_from(["$inGroup", "$notInGroup"]), st.sampled_from(list(SEGMENTS)),
                        min_size=1, max_size=1),
        st.dictionaries(st.just("$size"), st.one_of(st.integers(0, 3), st.fixed_dictionaries(
            {"$gte": st.integers(0, 3)})), min_size=1),
        st.dictionaries(st.sampled_from(["$all", "$alli"]), st.lists(st.one_of(scalars, st.fixed_dictionaries(
            {"$gt": numbers})), max_size=3), min_size=1, max_size=1),
        st.builds(lambda inner: {"$not": inner}, value_conditions),
        st.builds(lambda inner: {"$elemMatch": inner}, st.one_of(
            st.fixed_dictionaries({"$gt": numbers}), st.fixed_dictionaries({"$eq": scalars}),
            st.just({}), conditions)),
        st.just({}),
))


conditions = st.deferred(lambda: st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), value_conditions, max_size=3),
    st.dictionaries(st.sampled_from(["$and", "$or", "$nor"]), st.lists(conditions, min_size=1, max_size=3),
                    min_size=1, max_size=1),
    st.builds(lambda inner: {"$not": inner}, conditions),
))

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(conditions, st.lists(facts, min_size=1, max_size=4))
def test_compiled_conditions_agree_with_growthbook(condition, many_facts):
    assume(not condition_problems(condition, SEGMENTS))
    predicate = compile_condition(condition, SEGMENTS)
    for one in many_facts:
        expected = evalCondition(one, condition, SEGMENTS)
        assert predicate(one) is expected, (condition, one)
        held, failed = describe_condition(condition, one, SEGMENTS)
        assert len(held) + len(failed) == len(condition)
        assert (not failed) is expected


FACT_POOL = [None, True, False, 0, 1, 1.0, -0.0, 2, 1.5, 7, -1, 1e21, math.inf, math.nan, "", "a", "A", "b", "ab",
             "é", "É", "z\U0001d4b3", "\uff21", "1.2.3", "v1.2.3", "1.2.3-beta", "1.10.0", "2", "ana", "0", "B", "x",
             [], [None], [0], [1], [True], [False], ["a"], ["A", "b"], [1, "a", None], [[1]], [{"a": 1}], ["ana", 7],
             [1.5, 2], {"a": 1}, {"b": [1]}, {}]


@SETTINGS
@given(value_conditions)
def test_every_value_condition_agrees_with_growthbook_on_every_kind_of_value(value_condition):
    """Dense version of the test above: one fact, a pool of values, so every operator meets every type."""
    condition = {"a": value_condition}
    assume(not condition_problems(condition, SEGMENTS))
    predicate = compile_condition(condition, SEGMENTS)
    for value in FACT_POOL:
        assert predicate({"a": value}) is evalCondition({"a": value}, condition, SEGMENTS), (condition, value)


@SETTINGS
@given(conditions, conditions, st.lists(facts, min_size=1, max_size=4))
def test_implies_is_never_wrong(stronger, weaker, many_facts):
    assume(not condition_problems(stronger, SEGMENTS) and not condition_problems(weaker, SEGMENTS))
    if implies(stronger, weaker):
        strong, weak = compile_condition(stronger, SEGMENTS), compile_condition(weaker, SEGMENTS)
        for one in many_facts:
            assert not strong(one) or weak(one), (stronger, weaker, one)


json_like = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=6),
              st.sampled_from(["$gt", "$in", "$regex", "$and", "$or", "$not", "$elemMatch", "$size", "$all",
                               "$type", "$exists", "$inGroup", "(", "[a-", "$vgt", "$nor"])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(["$gt", "$in", "$regex", "$and", "$or", "$not", "$elemMatch",
                                                   "$size", "$all", "$type", "$exists", "$inGroup", "$eq", "a",
                                                   "a.b", "$nor", "$regexi", "$alli", "$vne", ""]),
                                  st.text(max_size=4), st.integers()), inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_like, st.one_of(st.none(), st.just(SEGMENTS)))
def test_arbitrary_input_fails_only_with_rule_errors(condition, segments):
    problems = condition_problems(condition, segments)
    assert all(isinstance(path, tuple) and isinstance(message, str) and message for path, message in problems)
    try:
        predicate = compile_condition(condition, segments)
    except RuleError as error:
        assert problems and error.message == problems[0][1] and error.path == problems[0][0]
        return
    assert not problems
    assert predicate({}) in (True, False)
