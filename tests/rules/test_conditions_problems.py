"""Every problem condition_problems reports, with its message and path, and that compile_condition
raises the first of them as a RuleError."""

from __future__ import annotations

import datetime
import math

import pytest

from rules.conditions import compile_condition, condition_problems
from rules.errors import RuleError

SEGMENTS = {"vip": ["a"], "staff": ["b"]}

PROBLEMS = [
    (["cart.value"], (), "a condition must be a mapping of facts to values, got a list"),
    ({12: 1}, (12,), "condition keys must be fact names or operators, got 12 (a number)"),
    ({"$or": {"a": 1}}, ("$or",), "$or needs a list of conditions, got a mapping"),
    ({"$and": "a"}, ("$and",), "$and needs a list of conditions, got a string"),
    ({"$nor": []}, ("$nor",), "$nor with an empty list never holds"),
    ({"page.type": {"$in": []}}, ("page.type", "$in"), "$in with an empty list never holds (list the values to match)"),
    ({"page.type": {"$ini": []}}, ("page.type", "$ini"), "$ini with an empty list never holds (list the values to match)"),
    ({"$not": {}}, ("$not",), "$not: {} never holds (an empty condition holds for every session)"),
    ({"custom.x": {"$not": {}}}, ("custom.x", "$not"),
     "$not: {} never holds (an empty value condition holds for every value)"),
    ({"cart.value": {"$gt": 100, "$lt": 50}}, ("cart.value",),
     "$gt 100 and $lt 50 never hold together: no value meets both"),
    ({"cart.value": {"$gte": 5, "$lt": 5}}, ("cart.value",), "$gte 5 and $lt 5 never hold together: no value meets both"),
    ({"cart.value": {"$eq": 5, "$gt": 9}}, ("cart.value",), "$gt 9 and $eq 5 never hold together: no value meets both"),
    ({"custom.v": {"$gt": "b", "$lte": "a"}}, ("custom.v",),
     "$gt 'b' and $lte 'a' never hold together: no value meets both"),
    ({"$or": [{"a": 1}, 5]}, ("$or", 1), "a condition must be a mapping of facts to values, got a number"),
    ({"$not": None}, ("$not",), "a condition must be a mapping of facts to values, got null"),
    ({"$savedGroup": "x"}, ("$savedGroup",),
     "GrowthBook's '$savedGroup' is not supported: declare the list under 'segments:' and use $inGroup"),
    ({"$gte": 3}, ("$gte",), "'$gte' tests a fact's value: write it under a fact, e.g. {'cart.value': {'$gte': ...}}"),
    ({"$oor": []}, ("$oor",), "unknown operator '$oor' (did you mean '$or'?)"),
    ({"": 1}, ("",), "empty fact name"),
    ({"cart..value": 1}, ("cart..value",), "fact name 'cart..value' has an empty part between dots"),
    ({"cart.value": {"$gte": 1, "lte": 5}}, ("cart.value",),
     "mixes operators ('$gte') with plain keys ('lte'): use only operators, or only plain keys to compare with a "
     "literal object (did you mean '$lte'?)"),
    ({"cart.value": {"gte": 80}}, ("cart.value", "gte"),
     "'gte' is not an operator: did you mean '$gte'? (a mapping without '$' keys is compared literally)"),
    ({"custom.day": datetime.date(2024, 1, 2)}, ("custom.day",),
     "a date (2024-01-02) is not a JSON value and never equals a fact; quote it"),
    ({"cart.value": math.nan}, ("cart.value",), "NaN never equals anything"),
    ({"custom.obj": {"a": {1: 2}}}, ("custom.obj", "a"), "object keys must be strings, got 1"),
    ({"page.tags": {"$eq": ["a"]}}, ("page.tags", "$eq"),
     "$eq compares single values; a list never equals a fact (use $in, $all, $size or $elemMatch)"),
    ({"page.tags": {"$ne": {"a": 1}}}, ("page.tags", "$ne"),
     "$ne compares single values; a mapping never equals a fact (use $in, $all, $size or $elemMatch)"),
    ({"cart.value": {"$eq": math.nan}}, ("cart.value", "$eq"), "NaN never equals anything"),
    ({"cart.value": {"$gt": True}}, ("cart.value", "$gt"), "$gt needs a number or a string, got a boolean (true)"),
    ({"cart.value": {"$lte": [1]}}, ("cart.value", "$lte"), "$lte needs a number or a string, got a list ([1])"),
    ({"cart.value": {"$lt": math.nan}}, ("cart.value", "$lt"), "$lt needs a number or a string, got a number (nan)"),
    ({"custom.app": {"$vgt": None}}, ("custom.app", "$vgt"),
     "$vgt needs a version string such as '1.2.0', got null"),
    ({"page.type": {"$in": "product"}}, ("page.type", "$in"), "$in needs a list of values, got a string ('product')"),
    ({"page.type": {"$nin": ["a", ["b"]]}}, ("page.type", "$nin", 1),
     "$nin compares single values; a list in the list never matches"),
    ({"page.type": {"$ini": [math.nan]}}, ("page.type", "$ini", 0), "NaN never equals anything"),
    ({"page.path": {"$regex": 5}}, ("page.path", "$regex"),
     "$regex needs a regular expression string, got a number (5)"),
    ({"page.path": {"$regexi": "[a-"}}, ("page.path", "$regexi"),
     "invalid regex '[a-': unterminated character set at position 0"),
    ({"page.path": {"$notRegex": "a)"}}, ("page.path", "$notRegex"),
     "invalid regex 'a)': unbalanced parenthesis at position 1"),
    ({"page.type": {"$exists": "yes"}}, ("page.type", "$exists"), "$exists needs true or false, got a string ('yes')"),
    ({"page.type": {"$type": "undefined"}}, ("page.type", "$type"),
     "$type 'undefined' never holds here: a missing fact has type 'null' (or use $exists: false)"),
    ({"page.type": {"$type": "strng"}}, ("page.type", "$type"),
     "unknown type 'strng' (one of string, number, boolean, array, object, null) (did you mean 'string'?)"),
    ({"page.type": {"$type": 3}}, ("page.type", "$type"),
     "$type needs a type name (string, number, boolean, array, object, null), got a number"),
    ({"page.tags": {"$all": "a"}}, ("page.tags", "$all"), "$all needs a list of values, got a string"),
    ({"page.tags": {"$alli": [{"$gtt": 1}]}}, ("page.tags", "$alli", 0, "$gtt"),
     "unknown operator '$gtt' (did you mean '$gt'?)"),
    ({"page.tags": {"$size": -1}}, ("page.tags", "$size"),
     "$size needs a whole number >= 0 or an operator mapping like {'$gte': 2}, got a number (-1)"),
    ({"page.tags": {"$size": 1.5}}, ("page.tags", "$size"),
     "$size needs a whole number >= 0 or an operator mapping like {'$gte': 2}, got a number (1.5)"),
    ({"page.tags": {"$size": {"n": 1}}}, ("page.tags", "$size"),
     "$size needs a whole number >= 0 or an operator mapping like {'$gte': 2}, got a mapping ({'n': 1})"),
    ({"page.tags": {"$size": {"$gte": "2"}}}, ("page.tags", "$size", "$gte"),
     "$size is a number: $gte '2' never holds (use a number)"),
    ({"page.tags": {"$elemMatch": ["a"]}}, ("page.tags", "$elemMatch"), "$elemMatch needs a condition mapping, got a list"),
    ({"page.tags": {"$elemMatch": {"$gt": 1, "name": "x"}}}, ("page.tags", "$elemMatch", "$gt"),
     "$elemMatch mixes '$gt' (a test of the element itself) with $and/$or/$nor or field names (tests of the "
     "element's fields)"),
    ({"page.tags": {"$elemMatch": {"$in": "x"}}}, ("page.tags", "$elemMatch", "$in"),
     "$in needs a list of values, got a string ('x')"),
    ({"page.tags": {"$elemMatch": {"name": {"$regex": "("}}}}, ("page.tags", "$elemMatch", "name", "$regex"),
     "invalid regex '(': missing ), unterminated subpattern at position 0"),
    ({"custom.id": {"$inGroup": 5}}, ("custom.id", "$inGroup"), "$inGroup needs a segment name, got a number"),
    ({"custom.id": {"$inGroup": "vipp"}}, ("custom.id", "$inGroup"), "unknown segment 'vipp' (did you mean 'vip'?)"),
    ({"custom.id": {"$notInGroup": "zzz"}}, ("custom.id", "$notInGroup"), "unknown segment 'zzz'"),
    ({"page.type": {"$or": [{"a": 1}]}}, ("page.type", "$or"),
     "'$or' combines whole conditions and never holds on a fact's value: write {'$or': [{fact: ...}, ...]} at "
     "condition level"),
    ({"page.type": {"$gtee": 1}}, ("page.type", "$gtee"), "unknown operator '$gtee' (did you mean '$gte'?)"),
    ({"page.type": {"$GTE": 1}}, ("page.type", "$GTE"), "unknown operator '$GTE' (did you mean '$gte'?)"),
    ({"page.type": {"$where": "x"}}, ("page.type", "$where"), "unknown operator '$where'"),
    ({"page.type": {"$savedGroup": "x"}}, ("page.type", "$savedGroup"),
     "GrowthBook's '$savedGroup' is not supported: declare the list under 'segments:' and use $inGroup"),
]


@pytest.mark.parametrize(("condition", "path", "message"), PROBLEMS, ids=[m or "valid" for _, _, m in PROBLEMS])
def test_each_problem_has_its_message_and_path(condition, path, message):
    problems = condition_problems(condition, SEGMENTS)
    if message is None:  # listed to show what is accepted
        assert problems == []
        return
    assert problems == [(path, message)]
    with pytest.raises(RuleError) as caught:
        compile_condition(condition, SEGMENTS)
    assert (caught.value.path, caught.value.message) == (path, message)


def test_segments_operators_without_declared_segments():
    assert condition_problems({"custom.id": {"$inGroup": "vip"}}) == [
        (("custom.id", "$inGroup"), "unknown segment 'vip' (no segments are declared)")]


def test_every_problem_is_reported_at_once():
    condition = {
        "cart.value": {"$gtee": 80, "$lt": "x"},
        "$or": [{"page.path": {"$regex": "("}}, {"page.type": {"$in": "cart"}}],
        "checkout.step": {"$exists": 1},
    }
    assert [path for path, _ in condition_problems(condition)] == [
        ("cart.value", "$gtee"), ("$or", 0, "page.path", "$regex"), ("$or", 1, "page.type", "$in"),
        ("checkout.step", "$exists")]


def test_deep_nesting_is_a_problem_not_a_crash():
    condition: dict = {"a": 1}
    for _ in range(5000):
        condition = {"$not": condition}
    problems = condition_problems(condition)
    assert problems and "nested too deeply" in problems[0][1]
    with pytest.raises(RuleError, match="nested too deeply"):
        compile_condition(condition)


def test_a_broken_mapping_is_reported_not_raised():
    class Broken(dict):
        def items(self):
            raise RuntimeError("boom")

    assert condition_problems(Broken(a=1)) == [((), "cannot read condition: boom")]


def test_accepted_shapes_have_no_problems():
    for condition in [
        {}, {"a": {}}, {"a": {"b": 1}}, {"a": [1, {"b": None}]}, {"$or": []}, {"$and": []},
        {"a": {"$size": {"$gte": 2}}}, {"a": {"$size": 2.0}}, {"a": {"$elemMatch": {}}},
        {"a": {"$elemMatch": {"$not": {"b": 1}}}}, {"a": {"$elemMatch": {"b": 1, "$or": [{"c": 2}]}}},
        {"a": {"$vgt": 2}}, {"a": {"$gt": math.inf}}, {"a": {"$type": "null"}}, {"a.length": 3},
        {"a": {"$gte": 5, "$lte": 5}}, {"a": {"$eq": 5, "$gte": 5}}, {"a": {"$gt": 1, "$lt": "a"}}, {"a": {"$nin": []}},
        {"a": {"$gt": "\U0001F600", "$lt": "\uff5e"}},   # UTF-16 order: "\ue000" is between them
    ]:
        assert condition_problems(condition) == [], condition
