"""Every operator of the condition language, with its edge cases; each expectation is also checked
against GrowthBook's own evaluator, so the table documents that both mean the same."""

from __future__ import annotations

import math

import pytest
from growthbook.core import evalCondition

import rules
from rules.conditions import compile_condition
from rules.errors import RuleError
from rules.versions import js_number_to_string, padded_version

SEGMENTS = {"vip": ["c-1", "c-2", 7, True], "none": []}

FACTS = {
    "page": {"type": "product", "path": "/products/12", "title": "Trail Shoes", "dwell_seconds": 20,
             "price": 0, "tags": ["sale", "New", 1]},
    "cart": {"value": 120.5, "items": 2},
    "session": {"returning": True, "pages": 1, "paths": ["/", "/c/shoes", "/products/12"], "categories": [],
                "visits": [{"path": "/", "seconds": 5}, {"path": "/cart", "seconds": 40}]},
    "custom": {"app": "2.10.1", "theme": "v1.2.3-rc.1", "segment": None, "nested": {"a": {"b": 3}},
               "obj": {"b": 1, "a": 2}, "flag": False, "zero": 0, "one": 1, "id": "c-2", "ids": ["x", "c-1"],
               "num_version": 2, "nan": math.nan, "big": 10**30, "unicode": "\uff21", "astral": "\U0001d4b3"},
}

CASES = [
    # implicit equality: same JSON type, no array "contains" (GrowthBook compares literally)
    ({"page.type": "product"}, True),
    ({"page.type": "Product"}, False),
    ({"cart.items": 2}, True),
    ({"cart.items": 2.0}, True),
    ({"custom.one": True}, False),            # true !== 1
    ({"custom.zero": False}, False),
    ({"custom.flag": 0}, False),
    ({"custom.flag": False}, True),
    ({"custom.segment": None}, True),         # null equals a null fact ...
    ({"custom.missing": None}, True),         # ... and a missing one
    ({"page.tags": "sale"}, False),           # a scalar never equals a list fact
    ({"page.tags": ["sale", "New", 1]}, True),
    ({"page.tags": ["sale", "New"]}, False),
    ({"custom.obj": {"b": 1, "a": 2}}, True),
    ({"custom.obj": {"a": 2, "b": 1}}, False),  # object key order counts, as in JSON.stringify
    ({"custom.nested.a.b": 3}, True),
    ({"custom.nested.a.c": None}, True),
    ({"session.paths.0": "/"}, True),         # list index
    ({"session.paths.01": "/"}, False),       # not a canonical index
    ({"session.paths.length": 3}, True),      # JavaScript's .length
    ({"session.paths.3": None}, True),        # past the end: missing
    ({"session.visits.1.path": "/cart"}, True),
    ({"page.type.length": 7}, False),         # strings have no readable fields
    ({}, True),
    ({"page.type": {}}, True),                # {} has no operators: holds
    # $eq / $ne
    ({"page.type": {"$eq": "product"}}, True),
    ({"cart.items": {"$eq": "2"}}, False),
    ({"custom.one": {"$eq": True}}, False),
    ({"page.type": {"$ne": "cart"}}, True),
    ({"custom.missing": {"$ne": "x"}}, True),   # a missing fact is not equal to anything but null
    ({"custom.missing": {"$ne": None}}, False),
    ({"custom.nan": {"$eq": 1}}, False),
    # order: numbers with numbers, strings with strings, booleans never
    ({"cart.value": {"$gte": 120.5}}, True),
    ({"cart.value": {"$gt": 120.5}}, False),
    ({"cart.value": {"$lt": 200, "$gt": 100}}, True),
    ({"cart.value": {"$lte": "200"}}, False),
    ({"page.type": {"$gt": "cart"}}, True),
    ({"page.type": {"$lt": 5}}, False),
    ({"custom.flag": {"$lt": 1}}, False),
    ({"custom.missing": {"$lt": 1}}, False),
    ({"custom.nan": {"$lt": 1}}, False),
    ({"custom.nan": {"$gte": -math.inf}}, False),
    ({"custom.big": {"$gt": 1e29}}, True),
    ({"page.tags": {"$gt": "a"}}, False),       # a list is not ordered
    ({"custom.unicode": {"$gt": "\U0001d4b3"}}, True),   # UTF-16 order: U+FF21 > a surrogate pair
    ({"custom.astral": {"$lt": "\uff21"}}, True),
    ({"custom.astral": {"$gt": "z"}}, True),
    # $in / $nin: strict equality; a list fact matches when any element is in the list
    ({"page.type": {"$in": ["product", "cart"]}}, True),
    ({"cart.items": {"$in": [2.0]}}, True),
    ({"custom.one": {"$in": [True]}}, False),
    ({"custom.flag": {"$in": [0]}}, False),
    ({"custom.flag": {"$in": [False]}}, True),
    ({"page.tags": {"$in": ["new", "sale"]}}, True),
    ({"page.tags": {"$in": [True]}}, False),
    ({"custom.missing": {"$in": [None]}}, True),
    ({"custom.obj": {"$in": ["a", 1]}}, False),
    ({"page.type": {"$nin": ["cart"]}}, True),
    ({"page.tags": {"$nin": ["sale"]}}, False),
    ({"custom.missing": {"$nin": ["x"]}}, True),
    # case-insensitive lists
    ({"page.type": {"$ini": ["PRODUCT"]}}, True),
    ({"page.tags": {"$ini": ["NEW"]}}, True),
    ({"page.tags": {"$nini": ["new"]}}, False),
    ({"cart.items": {"$ini": [2]}}, True),
    # $all / $alli
    ({"page.tags": {"$all": ["sale", 1]}}, True),
    ({"page.tags": {"$all": ["sale", "new"]}}, False),
    ({"page.tags": {"$alli": ["SALE", "new"]}}, True),
    ({"page.tags": {"$all": []}}, True),
    ({"page.type": {"$all": []}}, False),         # not a list
    ({"page.tags": {"$all": [{"$regex": "^s"}, {"$gte": 1}]}}, True),
    # $size
    ({"session.paths": {"$size": 3}}, True),
    ({"session.paths": {"$size": {"$gte": 2, "$lt": 3}}}, False),
    ({"session.categories": {"$size": 0}}, True),
    ({"page.type": {"$size": 7}}, False),
    # $elemMatch: operators test elements, conditions test their fields; null elements are skipped
    ({"page.tags": {"$elemMatch": {"$eq": "New"}}}, True),
    ({"page.tags": {"$elemMatch": {"$gt": 0}}}, True),
    ({"session.visits": {"$elemMatch": {"path": "/cart", "seconds": {"$gte": 30}}}}, True),
    ({"session.visits": {"$elemMatch": {"path": "/", "seconds": {"$gte": 30}}}}, False),
    ({"session.visits": {"$elemMatch": {"$or": [{"path": "/x"}, {"seconds": 5}]}}}, True),
    ({"session.categories": {"$elemMatch": {}}}, False),
    ({"page.tags": {"$elemMatch": {}}}, True),
    ({"page.type": {"$elemMatch": {"$eq": "product"}}}, False),
    # $regex family: re.search, strings only
    ({"page.path": {"$regex": "^/products/\\d+$"}}, True),
    ({"page.path": {"$regex": "products"}}, True),         # search, not match
    ({"page.path": {"$regex": "^/products/"}}, True),      # literals run as startswith / in: same answers
    ({"page.path": {"$regex": "^products"}}, False),
    ({"page.title": {"$regex": "Shoes"}}, True),
    ({"page.title": {"$regex": "shoes"}}, False),
    ({"page.title": {"$regex": "shoes"}}, False),
    ({"page.title": {"$regexi": "shoes"}}, True),
    ({"cart.items": {"$regex": "2"}}, False),               # not a string
    ({"page.tags": {"$regex": "sale"}}, False),
    ({"page.title": {"$notRegex": "shoes"}}, True),
    ({"page.title": {"$notRegexi": "shoes"}}, False),
    ({"custom.missing": {"$notRegex": "x"}}, True),
    # $exists / $type
    ({"page.type": {"$exists": True}}, True),
    ({"custom.segment": {"$exists": True}}, False),         # null counts as missing
    ({"custom.missing": {"$exists": False}}, True),
    ({"custom.flag": {"$exists": True}}, True),
    ({"page.tags": {"$type": "array"}}, True),
    ({"custom.obj": {"$type": "object"}}, True),
    ({"custom.flag": {"$type": "boolean"}}, True),
    ({"custom.one": {"$type": "number"}}, True),
    ({"custom.flag": {"$type": "number"}}, False),
    ({"custom.missing": {"$type": "null"}}, True),
    ({"page.type": {"$type": "string"}}, True),
    # $not on a value and on a condition; $and / $or / $nor
    ({"page.type": {"$not": {"$in": ["cart", "checkout"]}}}, True),
    ({"page.type": {"$not": "product"}}, False),
    ({"$not": {"page.type": "product"}}, False),
    ({"$and": [{"page.type": "product"}, {"cart.items": {"$gte": 2}}]}, True),
    ({"$and": []}, True),
    ({"$or": [{"page.type": "cart"}, {"cart.items": {"$gte": 2}}]}, True),
    ({"$or": [{"page.type": "cart"}, {"cart.items": {"$gte": 3}}]}, False),
    ({"$or": []}, True),                                   # GrowthBook: an empty $or holds
    ({"$nor": [{"page.type": "cart"}, {"cart.items": 3}]}, True),
    ({"$nor": [{"page.type": "product"}]}, False),
    ({"page.type": "product", "$or": [{"cart.items": 5}]}, False),   # implicit AND of keys
    # versions: GrowthBook's padding, pre-releases before releases, build metadata ignored
    ({"custom.app": {"$vgt": "2.9.9"}}, True),               # 2.10.1 > 2.9.9 (not as strings)
    ({"custom.app": {"$vlt": "2.10.1-beta"}}, False),
    ({"custom.app": {"$veq": "v2.10.1+build.7"}}, True),
    ({"custom.theme": {"$vlt": "1.2.3"}}, True),              # rc before release
    ({"custom.theme": {"$vgt": "1.2.3-beta.9"}}, True),       # rc after beta
    ({"custom.theme": {"$vgte": "1.2.3-rc.1"}}, True),
    ({"custom.app": {"$vne": "2.10.1"}}, False),
    ({"custom.app": {"$vne": 2}}, True),                      # string vs number: not comparable, $vne holds
    ({"custom.app": {"$vgt": 2}}, False),
    ({"custom.num_version": {"$veq": 2}}, True),
    ({"custom.num_version": {"$vlt": 10}}, True),
    ({"custom.missing": {"$vlt": "9.9.9"}}, False),
    ({"custom.missing": {"$vne": "1.0.0"}}, True),
    # segments
    ({"custom.id": {"$inGroup": "vip"}}, True),
    ({"custom.ids": {"$inGroup": "vip"}}, True),
    ({"custom.one": {"$inGroup": "vip"}}, False),             # true is in vip, 1 is not
    ({"custom.id": {"$notInGroup": "vip"}}, False),
    ({"custom.id": {"$inGroup": "none"}}, False),
    ({"custom.id": {"$notInGroup": "none"}}, True),
]


@pytest.mark.parametrize(("condition", "expected"), CASES, ids=[str(c) for c, _ in CASES])
def test_operator_semantics(condition, expected):
    assert compile_condition(condition, SEGMENTS)(FACTS) is expected
    assert evalCondition(FACTS, condition, SEGMENTS) is expected  # the reference agrees


def test_missing_and_odd_facts_mappings():
    predicate = compile_condition({"cart.value": {"$gte": 1}})
    assert predicate({}) is False
    assert predicate({"cart": None}) is False
    assert predicate({"cart": ["x"]}) is False
    assert predicate({"cart": {"value": True}}) is False
    assert predicate({"cart": {"value": "5"}}) is False


def test_numpy_and_other_number_subclasses_count_as_numbers():
    np = pytest.importorskip("numpy")
    assert compile_condition({"score.intent": {"$gte": 0.5}})({"score": {"intent": np.float64(0.7)}}) is True
    assert compile_condition({"score.intent": {"$lt": 0.5}})({"score": {"intent": np.float64(0.7)}}) is False


def test_compile_condition_is_reexported_and_raises_rule_errors_with_a_path():
    assert rules.compile_condition is compile_condition
    with pytest.raises(RuleError) as caught:
        compile_condition({"$or": [{"cart.value": {"$gte": 1}}, {"page.path": {"$regex": "("}}]})
    assert caught.value.path == ("$or", 1, "page.path", "$regex")
    assert "invalid regex '('" in caught.value.message


def test_deep_conditions_compile_to_nested_functions():
    condition = {"cart.value": {"$gte": 1}}
    for index in range(28):
        condition = {"$and": [condition, {"page.type": {"$ne": f"t{index}"}}]} if index % 2 else {"$not": {"$not": condition}}
    predicate = compile_condition(condition)
    assert predicate({"cart": {"value": 3}, "page": {"type": "x"}}) is True
    assert predicate({"cart": {"value": 0}}) is False
    assert evalCondition({"cart": {"value": 3}, "page": {"type": "x"}}, condition) is True
    for _ in range(10):
        condition = {"$not": {"$not": condition}}
    with pytest.raises(RuleError, match="nested too deeply"):
        compile_condition(condition)


def test_regexes_and_sets_are_prepared_once():
    predicate = compile_condition({"page.path": {"$regex": "^/p/\\d"}, "page.type": {"$in": ["a", "b"]}})
    constants = [value for value in predicate.__globals__.values() if not callable(value) or hasattr(value, "search")]
    assert any(getattr(value, "__self__", None) is not None and hasattr(value.__self__, "pattern")
               for value in predicate.__globals__.values())
    assert any(isinstance(value, frozenset) and value == {"a", "b"} for value in constants)


@pytest.mark.parametrize(("value", "expected"), [
    (1.0, "1"), (-0.0, "0"), (1.5, "1.5"), (1e21, "1e+21"), (1e-7, "1e-7"), (123456789012, "123456789012"),
    (0.000001, "0.000001"), (math.inf, "Infinity"), (-2.5e-10, "-2.5e-10"), (10**30, "1e+30"),
])
def test_numbers_become_version_strings_like_javascript(value, expected):
    assert js_number_to_string(value) == expected


@pytest.mark.parametrize(("version", "padded"), [
    ("1.2.3", "    1-    2-    3-~"),
    ("v1.2.3+build.9", "    1-    2-    3-~"),
    ("1.2.3-rc.1", "    1-    2-    3-rc-    1"),
    ("1.2", "    1-    2"),
    ("", "    0"),
    (None, "    0"),
    (2, "    2"),
])
def test_padded_versions_match_growthbook(version, padded):
    from growthbook.core import paddedVersionString

    assert padded_version(version) == paddedVersionString(version)
    assert padded_version(version) == padded
