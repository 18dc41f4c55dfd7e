"""describe_condition (reasons and near misses in words), condition_fields, numeric_thresholds and the
conservative implication used to find unreachable rules."""

from __future__ import annotations

import pytest

from rules.conditions import condition_fields, describe_condition, implies, numeric_thresholds
from rules.errors import RuleError

FACTS = {
    "cart": {"value": 120, "items": 2},
    "page": {"type": "cart", "dwell_seconds": 3, "path": "/cart", "tags": ["a", "b"]},
    "custom": {"id": "c-1", "app": "2.1.0"},
}


@pytest.mark.parametrize(("condition", "held", "failed"), [
    ({"cart.value": {"$gte": 80}}, ["cart.value 120 >= 80"], []),
    ({"page.dwell_seconds": {"$gte": 15}}, [], ["page.dwell_seconds 3 >= 15"]),
    ({"checkout.step": "payment"}, [], ["checkout.step is missing"]),
    ({"checkout.step": {"$exists": False}}, ["checkout.step is missing"], []),
    ({"checkout.step": {"$ne": "payment"}}, ["checkout.step is missing (!= 'payment')"], []),
    ({"cart.value": {"$gte": 80, "$lt": 100}}, [], ["cart.value 120 >= 80 and < 100"]),
    ({"page.type": "cart"}, ["page.type 'cart' == 'cart'"], []),
    ({"page.type": {"$in": ["product", "cart"]}}, ["page.type 'cart' in ['product', 'cart']"], []),
    ({"page.type": {"$nini": ["CART"]}}, [], ["page.type 'cart' not in (any case) ['CART']"]),
    ({"page.path": {"$regexi": "^/CART"}}, ["page.path '/cart' matches /^/CART/i"], []),
    ({"page.path": {"$notRegex": "x"}}, ["page.path '/cart' does not match /x/"], []),
    ({"page.tags": {"$size": {"$gte": 3}}}, [], ["page.tags ['a', 'b'] has size >= 3"]),
    ({"page.tags": {"$size": 2}}, ["page.tags ['a', 'b'] has size 2"], []),
    ({"page.tags": {"$all": ["a"]}}, ["page.tags ['a', 'b'] contains all of ['a']"], []),
    ({"page.tags": {"$elemMatch": {"$eq": "b"}}}, ["page.tags ['a', 'b'] has an element matching {'$eq': 'b'}"], []),
    ({"page.type": {"$type": "string"}}, ["page.type 'cart' has type string"], []),
    ({"page.type": {"$not": {"$in": ["x"]}}}, ["page.type 'cart' not (in ['x'])"], []),
    ({"custom.id": {"$inGroup": "vip"}}, ["custom.id 'c-1' in segment vip"], []),
    ({"custom.id": {"$notInGroup": "vip"}}, [], ["custom.id 'c-1' not in segment vip"]),
    ({"custom.app": {"$vgte": "2.0.0"}}, ["custom.app '2.1.0' version >= '2.0.0'"], []),
    ({"page.type": {}}, ["page.type 'cart' is anything"], []),
    ({"$or": [{"page.type": "product"}, {"cart.items": {"$gte": 2}}]}, ["any of (cart.items 2 >= 2)"], []),
    ({"$or": [{"page.type": "product"}, {"cart.items": 5}]}, [],
     ["none of (page.type 'cart' == 'product'; cart.items 2 == 5)"]),
    ({"$and": [{"cart.items": 2}, {"page.type": "x"}]}, [], ["all of (page.type 'cart' == 'x')"]),
    ({"$and": [{"cart.items": 2}, {"page.type": "cart"}]}, ["all of (cart.items 2 == 2; page.type 'cart' == 'cart')"], []),
    ({"$nor": [{"page.type": "checkout"}]}, ["none of (page.type 'cart' == 'checkout')"], []),
    ({"$nor": [{"page.type": "cart"}]}, [], ["not (page.type 'cart' == 'cart')"]),
    ({"$not": {"cart.value": {"$lt": 50}}}, ["not (cart.value 120 < 50)"], []),
    ({"$not": {"cart.value": {"$gt": 50}}}, [], ["not (cart.value 120 > 50)"]),
])
def test_describe_condition_one_sentence_per_entry(condition, held, failed):
    assert describe_condition(condition, FACTS, {"vip": ["c-1"]}) == (held, failed)


def test_describe_condition_keeps_entry_order_and_splits_held_from_failed():
    condition = {"cart.value": {"$gte": 80}, "page.dwell_seconds": {"$gte": 15}, "page.type": "cart",
                 "checkout.step": "payment"}
    assert describe_condition(condition, FACTS) == (
        ["cart.value 120 >= 80", "page.type 'cart' == 'cart'"],
        ["page.dwell_seconds 3 >= 15", "checkout.step is missing"])
    # cached per condition object, still right for other facts
    assert describe_condition(condition, {"cart": {"value": 10}})[0] == []


def test_describe_condition_without_segments_treats_them_as_empty_and_rejects_bad_conditions():
    assert describe_condition({"custom.id": {"$inGroup": "vip"}}, FACTS) == ([], ["custom.id 'c-1' in segment vip"])
    with pytest.raises(RuleError, match="unknown operator"):
        describe_condition({"cart.value": {"$gtt": 1}}, FACTS)


def test_long_values_are_shortened():
    held, _ = describe_condition({"custom.text": {"$exists": True}}, {"custom": {"text": "x" * 500}})
    assert held[0].startswith("custom.text 'xxx") and held[0].endswith("... exists") and len(held[0]) < 120


def test_condition_fields_lists_every_fact_read():
    condition = {"cart.value": 1, "$or": [{"page.type": "x"}, {"$not": {"session.pages": 2}}],
                 "$nor": [{"device.type": "mobile"}], "$and": [{"custom.a.b": 1}],
                 "session.visits": {"$elemMatch": {"path": "/"}}}
    assert condition_fields(condition) == {"cart.value", "page.type", "session.pages", "device.type", "custom.a.b",
                                           "session.visits"}
    assert condition_fields("not a condition") == set()


def test_numeric_thresholds_collects_compared_numbers_per_fact():
    condition = {
        "page.dwell_seconds": {"$gte": 15, "$lt": 60.5},
        "cart.items": 2,
        "$or": [{"session.seconds": {"$gt": 300}}, {"session.seconds": {"$in": [10, "x", True]}}],
        "$not": {"checkout.step_seconds": {"$not": {"$lte": 90, "$ne": 45}}},
        "page.type": "cart", "custom.flag": True, "custom.v": {"$vgt": 2}, "custom.l": {"$size": 3},
    }
    assert numeric_thresholds(condition) == {
        "page.dwell_seconds": {15, 60.5}, "cart.items": {2}, "session.seconds": {300, 10},
        "checkout.step_seconds": {90, 45}}
    assert numeric_thresholds(None) == {}


@pytest.mark.parametrize(("stronger", "weaker", "expected"), [
    ({"cart.value": {"$gte": 100}}, {"cart.value": {"$gte": 80}}, True),
    ({"cart.value": {"$gt": 80}}, {"cart.value": {"$gte": 80}}, True),
    ({"cart.value": {"$gte": 80}}, {"cart.value": {"$gt": 80}}, False),
    ({"cart.value": {"$gte": 80}}, {"cart.value": {"$gte": 100}}, False),
    ({"cart.value": {"$gt": 10, "$lte": 50}}, {"cart.value": {"$lt": 51, "$gte": 10}}, True),
    ({"cart.value": {"$lt": 50}}, {"cart.value": {"$lte": 50}}, True),
    ({"cart.value": {"$lte": 50}}, {"cart.value": {"$lt": 50}}, False),
    ({"cart.value": 100}, {"cart.value": {"$gte": 80}}, True),
    ({"cart.value": {"$eq": 100}}, {"cart.value": {"$in": [100, 200]}}, True),
    ({"cart.value": 100}, {"cart.value": {"$ne": 5}}, True),
    ({"cart.value": {"$gte": 10}}, {"cart.value": {"$ne": 5}}, True),
    ({"cart.value": {"$gte": 10}}, {"cart.value": {"$ne": "x"}}, True),
    ({"cart.value": {"$gte": 1}}, {"cart.value": {"$ne": 5}}, False),
    ({"cart.value": {"$gte": 10}}, {"cart.value": {"$nin": [1, 2]}}, True),
    ({"cart.value": {"$gte": 10}}, {"cart.value": {"$exists": True}}, True),
    ({"page.type": "product"}, {"page.type": {"$in": ["product", "cart"]}}, True),
    ({"page.type": {"$in": ["product"]}}, {"page.type": {"$in": ["product", "cart"]}}, True),
    ({"page.type": {"$in": ["product", "home"]}}, {"page.type": {"$in": ["product", "cart"]}}, False),
    ({"page.type": {"$in": ["product"]}}, {"page.type": "product"}, False),   # a list fact could hold more
    ({"page.type": {"$in": ["product"]}}, {"page.type": {"$nin": ["cart"]}}, False),
    ({"page.type": {"$in": ["product"]}}, {"page.type": {"$ne": "cart"}}, True),
    ({"page.type": "product"}, {"page.type": {"$nin": ["cart"]}}, True),
    ({"page.type": "product"}, {"page.type": {"$ne": "product"}}, False),
    ({"custom.one": True}, {"custom.one": {"$in": [1]}}, False),           # true is not 1
    ({"custom.x": None}, {"custom.x": {"$exists": False}}, True),
    ({"page.path": {"$regex": "^/p"}}, {"page.path": {"$regex": "^/p"}}, True),
    ({"page.path": {"$regex": "^/p", "$ne": "/x"}}, {"page.path": {"$regex": "^/p"}}, True),
    ({"page.path": {"$regex": "^/pr"}}, {"page.path": {"$regex": "^/p"}}, False),   # provable, but not by us
    ({"page.type": "cart", "cart.value": {"$gte": 100}}, {"cart.value": {"$gte": 50}}, True),
    ({"cart.value": {"$gte": 100}}, {"page.type": "cart", "cart.value": {"$gte": 50}}, False),
    ({"$and": [{"cart.value": {"$gte": 100}}, {"page.type": "cart"}]}, {"page.type": "cart"}, True),
    ({"page.type": "cart"}, {"$or": [{"page.type": "cart"}, {"cart.value": 1}]}, True),
    ({"$or": [{"cart.value": {"$gte": 100}}, {"cart.value": 90}]}, {"cart.value": {"$gte": 80}}, True),
    ({"$or": [{"cart.value": {"$gte": 100}}, {"page.type": "x"}]}, {"cart.value": {"$gte": 80}}, False),
    ({"$not": {"page.type": "cart"}}, {"$not": {"page.type": "cart"}}, True),
    ({"$not": {"page.type": "cart"}}, {"$not": {"page.type": "home"}}, False),
    ({"page.type": "cart"}, {}, True),
    ({}, {"page.type": "cart"}, False),
    ({"page.type": "cart"}, {"page.type": {}}, True),
    ({"cart.value": {"$gtt": 1}}, {}, False),            # invalid: never claimed
    ("x", {}, False),
    ({"cart.value": {"$gte": "a"}}, {"cart.value": {"$gte": "a"}}, True),
    ({"cart.value": {"$gte": "b"}}, {"cart.value": {"$gte": "a"}}, False),
])
def test_implies_is_conservative(stronger, weaker, expected):
    assert implies(stronger, weaker) is expected
