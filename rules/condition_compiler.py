"""Turns a (validated) condition into one Python function, generated as source and compiled once.

Why generated source: a rule set is evaluated on every visitor event, so evaluation must not walk the
condition again. Each condition becomes a single ``lambda f: ...`` expression of inlined type checks and
comparisons; constants (regexes, sets for ``$in``, padded versions) are prepared here, once. The
semantics are GrowthBook's ``evalCondition`` (growthbook 4.0), operator by operator; the comments name
the cases that are easy to get wrong.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rules.condition_syntax import (
    LIST_OPERATORS,
    ORDER_OPERATORS,
    REGEX_OPERATORS,
    VERSION_OPERATORS,
    is_number,
    is_operator_object,
    is_value_mode,
    utf16,
)
from rules.versions import padded_string, padded_version

Predicate = Callable[[Any], bool]

_SPLIT_LEVEL = 12
"""Nesting level at which a sub-condition becomes its own function (keeps generated source shallow)."""

_ORDER_SYMBOLS = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<=",
                  "$vgt": ">", "$vgte": ">=", "$vlt": "<", "$vlte": "<=", "$veq": "==", "$vne": "!="}
_TYPE_TESTS = {
    "null": "{b} is None",
    "boolean": "{b}.__class__ is bool",
    "number": "_isnum({b})",
    "string": "isinstance({b}, str)",
    "array": "isinstance({b}, (list, set))",
    "object": "isinstance({b}, dict)",
}


# -- runtime helpers the generated code calls ---------------------------------------------------------

def _isnum(value: Any) -> bool:
    return isinstance(value, (int, float)) and value.__class__ is not bool


def js_type(value: Any) -> str:
    """GrowthBook's ``getType``."""
    if value is None:
        return "null"
    if value.__class__ is bool:
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, set)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "unknown"


def _is_index(key: str, length: int) -> bool:
    return (len(key) <= 10 and key.isascii() and key.isdigit()
            and (key == "0" or key[0] != "0") and int(key) < length)


def _key_order(obj: dict) -> list:
    """Keys in JavaScript property order: array-index keys ascending, then the rest as inserted."""
    keys = list(obj)
    indices = [k for k in keys if isinstance(k, str) and _is_index(k, 2**32 - 1)]
    return sorted(indices, key=int) + [k for k in keys if not (isinstance(k, str) and _is_index(k, 2**32 - 1))]


def read_path(facts: Any, dotted: str) -> Any:
    """GrowthBook's ``getPath`` (a missing key and null are the same: ``None``), for explanations."""
    current = facts
    for segment in dotted.split("."):
        if isinstance(current, Mapping):
            current = current.get(segment)
        elif isinstance(current, list) and segment == "length":
            current = len(current)
        elif isinstance(current, list) and _is_index(segment, len(current)):
            current = current[int(segment)]
        else:
            return None
    return current


def _json(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def deep_equal(a: Any, b: Any) -> bool:
    """Literal equality as GrowthBook does it (JSON.stringify-like): same JSON types all the way down."""
    kind = js_type(a)
    if kind != js_type(b):
        return False
    if kind == "array":
        return len(a) == len(b) and all(deep_equal(_json(x), _json(y)) for x, y in zip(a, b))
    if kind == "object":
        return _key_order(a) == _key_order(b) and all(deep_equal(_json(a[k]), _json(b[k])) for k in a)
    return bool(a == b)


def _member(value: Any, hashables: frozenset, booleans: frozenset) -> bool:
    """One scalar against an ``$in`` list: JS strict equality, so ``true`` never matches ``1``."""
    kind = value.__class__
    if kind is bool:
        return value in booleans
    if kind is list or kind is dict or isinstance(value, (list, dict, set)):
        return False
    try:
        return value in hashables
    except TypeError:
        return False


def _in(value: Any, hashables: frozenset, booleans: frozenset) -> bool:
    """GrowthBook's ``isIn``: a list fact matches when any element is in the list."""
    if isinstance(value, list):
        return any(_member(item, hashables, booleans) for item in value)
    return _member(value, hashables, booleans)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _ini(value: Any, hashables: frozenset, booleans: frozenset) -> bool:
    """``isIn`` with ``insensitive``: strings compared lower-cased."""
    if isinstance(value, list):
        return any(_member(_lower(item), hashables, booleans) for item in value)
    return _member(_lower(value), hashables, booleans)


def _words_in(words: tuple[str, ...], text: str, search: Callable[[str], Any]) -> bool:
    """Case-insensitive search for any of ``words`` (ASCII): ``in`` on the lower-cased ASCII text, the
    compiled regex for other text (where Unicode case folding differs from ``str.lower``)."""
    if text.isascii():
        text = text.lower()
        for word in words:
            if word in text:
                return True
        return False
    return search(text) is not None


def _elem(test: Predicate, items: list) -> bool:
    for item in items:
        if item is not None and test(item):
            return True
    return False


def _all(tests: Sequence[Predicate], items: list) -> bool:
    for test in tests:
        for item in items:
            if test(item):
                break
        else:
            return False
    return True


_RUNTIME = {
    "_isnum": _isnum, "_utf16": utf16, "_words_in": _words_in, "_deq": deep_equal, "_in": _in, "_ini": _ini,
    "_elem": _elem, "_all": _all, "_pv": padded_version, "_padded": padded_string, "_lower": _lower,
    "_NUMBER": frozenset({int, float}), "_SCALAR": frozenset({str, int, float, type(None)}),
    "isinstance": isinstance, "len": len, "bool": bool, "str": str, "list": list, "dict": dict, "set": set,
    "__builtins__": {},
}


def _is_str(ref: "_Ref") -> str:
    return f"({ref.first()}.__class__ is str or isinstance({ref.name}, str))"


def _is_num(ref: "_Ref") -> str:
    """Exact int/float first (the usual case), then subclasses such as numpy floats; never bool."""
    return f"({ref.first()}.__class__ in _NUMBER or _isnum({ref.name}))"


class _Ref:
    """A value the generated code reads: its source expression is evaluated once, at first use."""

    def __init__(self, source: str, name: str) -> None:
        self.source = source
        self.name = name
        self.bound = source == name

    def first(self) -> str:
        """The expression to put where the value is read first (binds the name there)."""
        if self.bound:
            return self.name
        self.bound = True
        return f"({self.name} := {self.source})"


class Compiler:
    """Generates and compiles the source of one condition (and of the sub-functions it needs)."""

    def __init__(self, segments: Mapping[str, Sequence[Any]] | None) -> None:
        self.segments = segments or {}
        self.namespace: dict[str, Any] = dict(_RUNTIME)
        self.counter = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def const(self, value: Any) -> str:
        name = self.fresh("_k")
        self.namespace[name] = value
        return name

    def function(self, parameter: str, body: str) -> Predicate:
        source = f"lambda {parameter}: {body}"
        return eval(compile(source, "<condition>", "eval"), self.namespace)  # noqa: S307 - our own source

    # -- conditions -------------------------------------------------------------------------------------

    def condition_function(self, condition: Mapping, root_is_facts: bool = True) -> Predicate:
        return self.function("f", self.condition(condition, "f", root_is_facts, 0))

    def condition(self, condition: Mapping, root: str, root_is_facts: bool, level: int) -> str:
        if level >= _SPLIT_LEVEL:
            helper = self.const(self.condition_function(condition, root_is_facts))
            return f"{helper}({root})"
        parts = [self.entry(key, value, root, root_is_facts, level) for key, value in condition.items()]
        return "(" + " and ".join(parts) + ")" if parts else "True"

    def entry(self, key: str, value: Any, root: str, root_is_facts: bool, level: int) -> str:
        if key in ("$and", "$or", "$nor"):
            joiner = " and " if key == "$and" else " or "
            parts = [self.condition(item, root, root_is_facts, level + 1) for item in value]
            combined = "(" + joiner.join(parts) + ")" if parts else "True"  # an empty $or holds, like $and
            return f"(not {combined})" if key == "$nor" else combined
        if key == "$not":
            return f"(not {self.condition(value, root, root_is_facts, level + 1)})"
        ref = _Ref(self.path(key, root, root_is_facts), self.fresh("_v"))
        return self.value(value, ref, level + 1)

    def path(self, dotted: str, root: str, root_is_facts: bool) -> str:
        """Reads a dotted path like GrowthBook's ``getPath``: dict keys, and a list's ``length`` and indices."""
        segments = dotted.split(".")
        if root_is_facts:
            expression = f"{root}.get({segments[0]!r})"
            segments = segments[1:]
        else:
            expression = root
        for segment in segments:
            holder = self.fresh("_w")
            if segment == "length":
                from_list = f"(len({holder}) if isinstance({holder}, list) else None)"
            elif _is_index(segment, 2**32 - 1):
                index = int(segment)
                from_list = f"({holder}[{index}] if isinstance({holder}, list) and len({holder}) > {index} else None)"
            else:
                from_list = "None"
            expression = (f"({holder}.get({segment!r}) if ({holder} := {expression}).__class__ is dict "
                          f"or isinstance({holder}, dict) else {from_list})")
        return expression

    # -- value conditions -------------------------------------------------------------------------------

    def value_function(self, condition: Any, insensitive: bool = False) -> Predicate:
        return self.function("x", self.value(condition, _Ref("x", "x"), 0, insensitive))

    def value(self, condition: Any, ref: _Ref, level: int, insensitive: bool = False) -> str:
        if is_operator_object(condition):
            if level >= _SPLIT_LEVEL:
                return f"{self.const(self.value_function(condition))}({ref.first()})"
            parts = [self.operator(op, operand, ref, level) for op, operand in condition.items()]
            return "(" + " and ".join(parts) + ")" if parts else "True"  # {} has no operators: it holds
        return self.literal(condition, ref, insensitive)

    def literal(self, expected: Any, ref: _Ref, insensitive: bool = False) -> str:
        b = ref.first()
        if isinstance(expected, str):
            if insensitive:  # $alli: two strings compare lower-cased
                return f"(isinstance({b}, str) and {ref.name}.lower() == {expected.lower()!r})"
            return f"({b} == {expected!r})"
        if expected is None:
            return f"({b} is None)"
        if expected is True or expected is False:
            return f"({b} is {expected!r})"
        if is_number(expected):
            # exact int/float first; a bool (Python's 1 == True) is no number; subclasses give real bools
            return self.numeric(ref, b, "==", expected)
        return f"_deq({self.const(expected)}, {b})"

    def operator(self, op: str, operand: Any, ref: _Ref, level: int) -> str:
        v = ref.name
        if op == "$eq":
            return self.literal(operand, ref)
        if op == "$ne":
            return f"(not {self.literal(operand, ref)})"
        if op in ORDER_OPERATORS:
            symbol = _ORDER_SYMBOLS[op]
            if isinstance(operand, str):  # two strings; non-ASCII ones in UTF-16 order like JavaScript
                if operand.isascii():
                    return f"({_is_str(ref)} and {v} {symbol} {operand!r})"
                return f"({_is_str(ref)} and _utf16({v}) {symbol} {self.const(utf16(operand))})"
            return self.numeric(ref, ref.first(), symbol, operand)
        if op in VERSION_OPERATORS:
            # Versions compare only string with string, or number with number; $vne holds on a mismatch.
            kind = _is_str(ref) if isinstance(operand, str) else _is_num(ref)
            # a string fact goes straight to the cached padding; a number is first written like JavaScript
            reader = f"_padded({v} or '0')" if isinstance(operand, str) else f"_pv({v})"
            compared = f"{reader} {_ORDER_SYMBOLS[op]} {self.const(padded_version(operand))}"
            return f"(not {kind} or {compared})" if op == "$vne" else f"({kind} and {compared})"
        if op in LIST_OPERATORS:
            insensitive = op in ("$ini", "$nini")
            test = self.membership(operand, ref, insensitive)
            return f"(not {test})" if op in ("$nin", "$nini") else test
        if op in ("$inGroup", "$notInGroup"):
            test = self.membership(list(self.segments.get(operand, ())), ref, False)
            return test if op == "$inGroup" else f"(not {test})"
        if op in REGEX_OPERATORS:
            flags = re.IGNORECASE if op.endswith("i") else 0
            test = f"({_is_str(ref)} and {self.regex_test(operand, flags, v)})"
            return f"(not {test})" if op.startswith("$not") else test
        if op == "$exists":
            return f"({ref.first()} is {'not ' if operand else ''}None)"
        if op == "$type":
            return "(" + _TYPE_TESTS[operand].format(b=ref.first()) + ")"
        if op == "$not":
            return f"(not {self.value(operand, ref, level + 1)})"
        if op == "$size":
            length = _Ref(f"len({v})", self.fresh("_n"))
            return f"(isinstance({ref.first()}, list) and {self.value(operand, length, level + 1)})"
        if op in ("$all", "$alli"):
            tests = tuple(self.value_function(item, insensitive=op == "$alli") for item in operand)
            return f"(isinstance({ref.first()}, list) and _all({self.const(tests)}, {v}))"
        if op == "$elemMatch":
            if is_value_mode(operand):
                test = self.value_function(operand)
            else:
                test = self.function("f", self.condition(operand, "f", False, 0))
            return f"(isinstance({ref.first()}, list) and _elem({self.const(test)}, {v}))"
        raise AssertionError(f"unvalidated operator {op}")  # condition_problems rejects it first

    def regex_test(self, pattern: str, flags: int, v: str) -> str:
        """``re.search`` on a string; a case-sensitive literal (``sale``, ``^/products/``) as plain ``in`` or
        ``startswith``, an alternation of plain words (``sale|outlet``) as ``in`` tests, which find exactly
        what the regex finds (case-insensitively: on the lower-cased text when it is ASCII, where
        ``re.IGNORECASE`` and ``str.lower`` agree)."""
        anchored = pattern.startswith("^")
        literal = pattern[1:] if anchored else pattern
        if not flags and literal and re.escape(literal) == literal:
            return f"{v}.startswith({literal!r})" if anchored else f"({literal!r} in {v})"
        search = self.const(re.compile(pattern, flags).search)
        words = pattern.split("|")
        if all(word and word.isascii() and re.escape(word) == word for word in words):
            if not flags:
                return "(" + " or ".join(f"{word!r} in {v}" for word in words) + ")"
            lowered = tuple(dict.fromkeys(word.lower() for word in words))
            return f"_words_in({self.const(lowered)}, {v}, {search})"
        return f"{search}({v}) is not None"

    def numeric(self, ref: _Ref, b: str, symbol: str, number: float) -> str:
        """A comparison with a number: exact int/float inline; subclasses (numpy) through ``bool()``."""
        text = repr(number) if math.isfinite(number) else self.const(number)
        v = ref.name
        return f"({v} {symbol} {text} if {b}.__class__ in _NUMBER else _isnum({v}) and bool({v} {symbol} {text}))"

    def membership(self, values: Sequence[Any], ref: _Ref, insensitive: bool) -> str:
        """``$in``-style test: a frozenset of the hashable scalars, booleans kept apart from 0 and 1.

        Strings, plain numbers and missing facts (the usual cases) are looked up inline; lists and the rest go
        to ``_in``.
        """
        scalars = [value for value in values if not isinstance(value, (list, dict, set))]
        if insensitive:
            scalars = [_lower(value) for value in scalars]
        hashables = self.const(frozenset(value for value in scalars if value.__class__ is not bool))
        booleans = self.const(frozenset(value for value in scalars if value.__class__ is bool))
        b, v = ref.first(), ref.name
        if insensitive:
            return f"({v}.lower() in {hashables} if {b}.__class__ is str else _ini({v}, {hashables}, {booleans}))"
        return f"({v} in {hashables} if {b}.__class__ in _SCALAR else _in({v}, {hashables}, {booleans}))"
