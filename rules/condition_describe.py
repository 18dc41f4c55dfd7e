"""Conditions in words, with the visitor's actual values: the reasons behind a decision and its near misses.

Why: a merchant reading "cart.value 120 >= 80" next to a decision (or "page.dwell_seconds 3 >= 15" under
a rule that did not fire) understands the engine without reading YAML. One sentence per top-level entry
of a condition; whether it held is decided by the compiled predicate, so words and decision never differ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rules.condition_compiler import Compiler, read_path
from rules.condition_syntax import is_operator_object, show

_OPERATOR_WORDS = {
    "$eq": "==", "$ne": "!=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<=",
    "$in": "in", "$nin": "not in", "$ini": "in (any case)", "$nini": "not in (any case)",
    "$all": "contains all of", "$alli": "contains all of (any case)",
    "$veq": "version ==", "$vne": "version !=", "$vgt": "version >", "$vgte": "version >=",
    "$vlt": "version <", "$vlte": "version <=",
    "$inGroup": "in segment", "$notInGroup": "not in segment",
    "$type": "has type",
}
_REGEX_WORDS = {"$regex": ("matches", ""), "$regexi": ("matches", "i"),
                "$notRegex": ("does not match", ""), "$notRegexi": ("does not match", "i")}

Entry = tuple[Callable[[Mapping], bool], Callable[[Mapping, bool], str]]
_CACHE: dict[int, tuple[Any, Any, list[Entry]]] = {}
_CACHE_LIMIT = 4096


def value_clauses(condition: Any) -> list[str]:
    """What a value condition asks, as short clauses: ``[">= 80", "< 200"]``."""
    if not is_operator_object(condition):
        return [f"== {show(condition)}"]
    clauses = []
    for op, operand in condition.items():
        if op in _REGEX_WORDS:
            verb, flags = _REGEX_WORDS[op]
            clauses.append(f"{verb} /{operand}/{flags}")
        elif op == "$exists":
            clauses.append("exists" if operand else "does not exist")
        elif op == "$not":
            clauses.append("not (" + " and ".join(value_clauses(operand)) + ")")
        elif op == "$size":
            clauses.append("has size " + " and ".join(value_clauses(operand)).removeprefix("== "))
        elif op == "$elemMatch":
            clauses.append(f"has an element matching {show(operand)}")
        elif op in ("$inGroup", "$notInGroup", "$type"):
            clauses.append(f"{_OPERATOR_WORDS[op]} {operand}")
        else:
            clauses.append(f"{_OPERATOR_WORDS.get(op, op)} {show(operand)}")
    return clauses or ["is anything"]


def _field_sentence(field: str, condition: Any) -> Callable[[Mapping, bool], str]:
    clauses = " and ".join(value_clauses(condition))

    def sentence(facts: Mapping, held: bool) -> str:
        actual = read_path(facts, field)
        if actual is None:
            if not held or clauses == "does not exist":
                return f"{field} is missing"
            return f"{field} is missing ({clauses})"
        return f"{field} {show(actual)} {clauses}"

    return sentence


def _group_sentence(key: str, branches: list[list[Entry]]) -> Callable[[Mapping, bool], str]:
    def words(entries: list[Entry], facts: Mapping, want: bool) -> list[str]:
        return [describe(facts, result) for test, describe in entries if (result := test(facts)) is want]

    def branch_results(facts: Mapping) -> list[bool]:
        return [all(test(facts) for test, _ in entries) for entries in branches]

    def sentence(facts: Mapping, held: bool) -> str:
        results = branch_results(facts)
        if key == "$not":
            return "not (" + ", ".join(words(branches[0], facts, not held)) + ")"
        if key == "$or" and held or key == "$nor" and not held:
            first = results.index(True) if True in results else None
            inner = words(branches[first], facts, True) if first is not None else []
            return ("any of" if key == "$or" else "not") + " (" + ", ".join(inner) + ")"
        if key in ("$or", "$nor"):
            return "none of (" + "; ".join(", ".join(words(entries, facts, False)) for entries in branches) + ")"
        parts = [", ".join(words(entries, facts, held)) for entries, ok in zip(branches, results) if held or not ok]
        return "all of (" + "; ".join(part for part in parts if part) + ")"

    return sentence


def _entries(condition: Mapping, compiler: Compiler) -> list[Entry]:
    entries: list[Entry] = []
    for key, value in condition.items():
        test = compiler.condition_function({key: value})
        if key in ("$and", "$or", "$nor"):
            describe = _group_sentence(key, [_entries(item, compiler) for item in value])
        elif key == "$not":
            describe = _group_sentence(key, [_entries(value, compiler)])
        else:
            describe = _field_sentence(key, value)
        entries.append((test, describe))
    return entries


def describe_entries(condition: Mapping, segments: Mapping[str, Sequence[Any]] | None) -> list[Entry]:
    """Per top-level entry: its compiled test and its sentence maker (cached per condition object)."""
    cached = _CACHE.get(id(condition))
    if cached is not None and cached[0] is condition and cached[1] is segments:
        return cached[2]
    entries = _entries(condition, Compiler(segments))
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[id(condition)] = (condition, segments, entries)
    return entries


def describe_with(entries: list[Entry], facts: Mapping) -> tuple[list[str], list[str]]:
    held: list[str] = []
    failed: list[str] = []
    for test, describe in entries:
        result = test(facts)
        (held if result else failed).append(describe(facts, result))
    return held, failed
