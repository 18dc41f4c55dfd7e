"""Reasoning about conditions without facts: which facts they read, which numbers they compare with,
and whether one condition implies another.

Why: the loader reports unknown facts and unreachable rules (a rule shadowed by a higher-priority rule
whose condition always holds when this one does), and the engine needs the numbers a clock fact is
compared with to say when a decision could change. ``implies`` is conservative: ``True`` only when it
is provable with simple reasoning (per-fact numeric intervals, equality and ``$in`` sets, identical
sub-conditions), ``False`` whenever in doubt.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from rules.condition_syntax import AnySegments, condition_problems, is_number, is_operator_object

_COMPARED = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte")
_MAX_BRANCHES = 64


def _mapping_items(condition: Any) -> list[tuple[Any, Any]]:
    return list(condition.items()) if isinstance(condition, Mapping) else []


def _sub_conditions(key: Any, value: Any) -> list[Any]:
    if key in ("$and", "$or", "$nor") and isinstance(value, list):
        return value
    if key == "$not":
        return [value]
    return []


def condition_fields(condition: Any) -> set[str]:
    """Dotted fact paths the condition reads (fields inside ``$elemMatch`` belong to the list's elements)."""
    fields: set[str] = set()
    stack = [condition]
    while stack:
        for key, value in _mapping_items(stack.pop()):
            if not isinstance(key, str):
                continue
            if key.startswith("$"):
                stack.extend(_sub_conditions(key, value))
            else:
                fields.add(key)
    return fields


def numeric_thresholds(condition: Any) -> dict[str, set[float]]:
    """Per fact, the numbers it is compared with (equality, order and ``$in``), e.g. for next-check times."""
    found: dict[str, set[float]] = {}

    def add(field: str, number: Any) -> None:
        if is_number(number) and not (isinstance(number, float) and math.isnan(number)):
            found.setdefault(field, set()).add(number)

    def value(field: str, condition: Any, depth: int) -> None:
        if depth > 64:
            return
        if not is_operator_object(condition):
            add(field, condition)
            return
        for op, operand in condition.items():
            if op in _COMPARED:
                add(field, operand)
            elif op in ("$in", "$nin") and isinstance(operand, list):
                for item in operand:
                    add(field, item)
            elif op == "$not":
                value(field, operand, depth + 1)

    stack = [(condition, 0)]
    while stack:
        current, depth = stack.pop()
        if depth > 64:
            continue
        for key, item in _mapping_items(current):
            if not isinstance(key, str):
                continue
            if key.startswith("$"):
                stack.extend((sub, depth + 1) for sub in _sub_conditions(key, item))
            else:
                value(key, item, 0)
    return found


# -- implication --------------------------------------------------------------------------------------

def _freeze(value: Any) -> Any:
    """A hashable, type-exact form of a JSON value (``True`` and ``1`` differ; key order counts)."""
    if isinstance(value, Mapping):
        return ("object", tuple((key, _freeze(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("array", tuple(_freeze(item) for item in value))
    if is_number(value):
        return ("number", value)
    return (type(value).__name__, value)


def _scalar_key(value: Any) -> Any:
    return ("number", value) if is_number(value) else (type(value).__name__, value)


class _Domain:
    """What the stronger condition's constraints on one fact say about its value."""

    def __init__(self) -> None:
        self.numeric = False          # the value is a number ...
        self.low: tuple[float, bool] | None = None    # ... at least (bound, inclusive)
        self.high: tuple[float, bool] | None = None   # ... at most (bound, inclusive)
        self.equal: list[Any] = []    # the value equals each of these scalars
        self.in_sets: list[frozenset] = []   # the value (or an element of a list value) is in each set
        self.exists = False           # the value is not missing/null
        self.identical: set[Any] = set()      # operators as written (op, frozen operand)

    def add(self, condition: Any) -> None:
        if not is_operator_object(condition):
            if not isinstance(condition, (list, Mapping)):
                self.equals(condition)
            self.identical.add(("$eq", _freeze(condition)))
            return
        for op, operand in condition.items():
            self.identical.add((op, _freeze(operand)))
            if op == "$eq":
                self.equals(operand)
            elif op in ("$gt", "$gte", "$lt", "$lte") and is_number(operand):
                self.bound(op, operand)
            elif op in ("$gt", "$gte", "$lt", "$lte", "$regex", "$regexi"):
                self.exists = True
            elif op == "$in" and isinstance(operand, list):
                self.in_sets.append(frozenset(_scalar_key(item) for item in operand))
                self.exists = self.exists or None not in operand
            elif op == "$exists" and operand is True:
                self.exists = True
            elif op == "$type" and operand != "null":
                self.exists = True

    def equals(self, value: Any) -> None:
        self.equal.append(value)
        if value is not None:
            self.exists = True
        if is_number(value):
            self.bound("$gte", value)
            self.bound("$lte", value)

    def bound(self, op: str, number: float) -> None:
        self.numeric = self.exists = True
        inclusive = op in ("$gte", "$lte")
        if op in ("$gt", "$gte"):
            if self.low is None or number > self.low[0] or (number == self.low[0] and not inclusive):
                self.low = (number, inclusive)
        elif self.high is None or number < self.high[0] or (number == self.high[0] and not inclusive):
            self.high = (number, inclusive)

    def within(self, number: Any) -> bool:
        """Could the (numeric) value be ``number``?"""
        if not is_number(number):
            return False
        if self.low is not None and (number < self.low[0] or (number == self.low[0] and not self.low[1])):
            return False
        return not (self.high is not None and (number > self.high[0] or (number == self.high[0] and not self.high[1])))

    def implies(self, op: str, operand: Any) -> bool:
        if (op, _freeze(operand)) in self.identical:
            return True
        if op in ("$gt", "$gte") and is_number(operand) and self.numeric and self.low is not None:
            low, inclusive = self.low
            return low > operand or (low == operand and (op == "$gte" or not inclusive))
        if op in ("$lt", "$lte") and is_number(operand) and self.numeric and self.high is not None:
            high, inclusive = self.high
            return high < operand or (high == operand and (op == "$lte" or not inclusive))
        if op == "$eq" and not isinstance(operand, (list, Mapping)):
            key = _scalar_key(operand)
            return any(_scalar_key(value) == key for value in self.equal)
        if op == "$ne" and not isinstance(operand, (list, Mapping)):
            key = _scalar_key(operand)
            return (any(_scalar_key(value) != key for value in self.equal)
                    or (self.numeric and not self.within(operand))
                    or any(key not in allowed for allowed in self.in_sets)
                    or (operand is None and self.exists))
        if op == "$in" and isinstance(operand, list):
            keys = frozenset(_scalar_key(item) for item in operand)
            return (any(_scalar_key(value) in keys for value in self.equal)
                    or any(allowed <= keys for allowed in self.in_sets))
        if op == "$nin" and isinstance(operand, list):
            keys = frozenset(_scalar_key(item) for item in operand)
            return (any(_scalar_key(value) not in keys for value in self.equal)
                    or (self.numeric and not any(self.within(item) for item in operand)))
        if op == "$exists":
            return self.exists if operand else any(value is None for value in self.equal)
        return False

    def implies_value(self, condition: Any) -> bool:
        if is_operator_object(condition):
            return all(self.implies(op, operand) for op, operand in condition.items())
        return self.implies("$eq", condition)


def _conjuncts(condition: Mapping) -> list[tuple[str, Any]]:
    """The condition as a flat AND of (key, value) entries (nested ``$and`` lists flattened)."""
    entries: list[tuple[str, Any]] = []
    for key, value in condition.items():
        if key == "$and":
            for item in value:
                entries.extend(_conjuncts(item))
        else:
            entries.append((key, value))
    return entries


def _implies_all(stronger: list[tuple[str, Any]], weaker: list[tuple[str, Any]], budget: list[int]) -> bool:
    budget[0] -= 1
    if budget[0] < 0:
        return False
    for index, (key, value) in enumerate(stronger):  # an $or in the stronger side: every branch must imply
        if key == "$or" and value:
            rest = stronger[:index] + stronger[index + 1:]
            return all(_implies_all(rest + _conjuncts(branch), weaker, budget) for branch in value)
    identical = {(key, _freeze(value)) for key, value in stronger}
    for key, value in weaker:
        if (key, _freeze(value)) in identical:
            continue
        if key == "$or":
            if value and not any(_implies_all(stronger, _conjuncts(branch), budget) for branch in value):
                return False
        elif key.startswith("$"):
            return False
        else:
            domain = _Domain()
            for other_key, other_value in stronger:
                if other_key == key:
                    domain.add(other_value)
            if not domain.implies_value(value):
                return False
    return True


def equality_sets(condition: Mapping) -> dict[str, frozenset]:
    """For each fact the condition pins to listed values in every match (a literal, ``$eq``, ``$in`` of scalars;
    through ``$and``, not ``$or``), the values it may take (``_scalar_key`` forms, intersected when pinned twice).

    Why: the loader asks ``implies`` about every pair of rules. ``stronger`` can only imply ``weaker`` if every
    value ``stronger`` allows a pinned fact is one ``weaker`` allows too (``implies`` reads pinned facts so), and
    rules that differ in a pinned product or page type, the common case, are told apart by this cheap test."""
    sets: dict[str, frozenset] = {}
    for key, value in _conjuncts(condition):
        if key.startswith("$"):
            continue
        allowed = None
        if not is_operator_object(value):
            if not isinstance(value, (list, Mapping)):
                allowed = frozenset([_scalar_key(value)])
        else:
            for op, operand in value.items():
                if op == "$eq" and not isinstance(operand, (list, Mapping)):
                    keys = frozenset([_scalar_key(operand)])
                elif op == "$in" and isinstance(operand, list) and not any(
                        isinstance(item, (list, Mapping)) for item in operand):
                    keys = frozenset(_scalar_key(item) for item in operand)
                else:
                    continue
                allowed = keys if allowed is None else allowed & keys
        if allowed is not None:
            sets[key] = allowed if key not in sets else sets[key] & allowed
    return sets


def has_top_level_or(condition: Mapping) -> bool:
    """An ``$or`` among the condition's conjuncts (``implies`` then proves each branch on its own)."""
    return any(key == "$or" for key, _ in _conjuncts(condition))


def cannot_imply(stronger: Mapping[str, frozenset], weaker: Mapping[str, frozenset]) -> bool:
    """True when ``equality_sets`` show that ``implies`` would not prove stronger => weaker: a fact both pin,
    to which ``stronger`` allows a value ``weaker`` does not."""
    for key, allowed in weaker.items():
        values = stronger.get(key)
        if values is not None and not values <= allowed:
            return True
    return False


_VALID: dict[int, tuple[Any, bool]] = {}


def _valid(condition: Mapping) -> bool:
    """Whether the condition is free of problems (segment names aside), cached per condition object:
    the loader asks about every pair of rules."""
    cached = _VALID.get(id(condition))
    if cached is not None and cached[0] is condition:
        return cached[1]
    if len(_VALID) >= 4096:
        _VALID.clear()
    valid = not condition_problems(condition, AnySegments())
    _VALID[id(condition)] = (condition, valid)
    return valid


def implies(stronger: Any, weaker: Any) -> bool:
    """True only when provably every facts mapping satisfying ``stronger`` also satisfies ``weaker``."""
    if not (isinstance(stronger, Mapping) and isinstance(weaker, Mapping)):
        return False
    if not (_valid(stronger) and _valid(weaker)):
        return False
    try:
        return _implies_all(_conjuncts(stronger), _conjuncts(weaker), [_MAX_BRANCHES])
    except RecursionError:
        return False

