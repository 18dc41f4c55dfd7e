"""What a condition may say, and every problem in one that does not: the vocabulary and its validation.

Why a separate pass: the loader reports *all* problems of a rule file at once (each with its path inside
the condition, which it turns into ``FILE:LINE:COL``), while the compiler can then assume a valid
condition. GrowthBook silently evaluates a condition it cannot understand to false; we reject every
condition part that could never hold (unknown operator, invalid regex, operand of the wrong type).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

Path = tuple[str | int, ...]
Problem = tuple[Path, str]

MAX_DEPTH = 64
"""Deepest nesting of mappings and lists accepted in a condition (far beyond anything a merchant writes)."""

CONDITION_OPERATORS = ("$and", "$or", "$nor", "$not")
"""Keys that combine whole conditions (next to field names)."""

VALUE_OPERATORS = (
    "$eq", "$ne", "$gt", "$gte", "$lt", "$lte",
    "$in", "$nin", "$ini", "$nini", "$all", "$alli",
    "$regex", "$regexi", "$notRegex", "$notRegexi",
    "$exists", "$type", "$not", "$size", "$elemMatch",
    "$veq", "$vne", "$vgt", "$vgte", "$vlt", "$vlte",
    "$inGroup", "$notInGroup",
)
"""Operators on one field's value (inside ``{field: {...}}``)."""

TYPE_NAMES = ("string", "number", "boolean", "array", "object", "null")
"""What ``$type`` can name (GrowthBook's names for JSON types; a missing fact has type ``null``)."""

ORDER_OPERATORS = ("$gt", "$gte", "$lt", "$lte")
VERSION_OPERATORS = ("$veq", "$vne", "$vgt", "$vgte", "$vlt", "$vlte")
LIST_OPERATORS = ("$in", "$nin", "$ini", "$nini")
REGEX_OPERATORS = ("$regex", "$regexi", "$notRegex", "$notRegexi")
ALL_OPERATORS = ("$all", "$alli")
GROUP_OPERATORS = ("$inGroup", "$notInGroup")
_BARE_NAMES = {op[1:].lower(): op for op in VALUE_OPERATORS}


def _scalar_fact(path: Path) -> bool:
    """Whether the fact a value condition at ``path`` is about is a catalogued string, number or boolean, which a
    mapping never equals (so ``{gte: 5}`` there is surely a forgotten ``$``)."""
    from rules.facts import FACTS

    name = next((part for part in reversed(path) if isinstance(part, str) and not part.startswith("$")), None)
    fact = FACTS.get(name) if name is not None else None
    return fact is not None and fact.type in ("string", "number", "integer", "boolean")
_ANY_OPERATOR = CONDITION_OPERATORS + VALUE_OPERATORS


def utf16(text: str) -> bytes:
    """JavaScript orders strings by UTF-16 code units; these bytes compare the same way."""
    return text.encode("utf-16-be", "surrogatepass")


def is_number(value: Any) -> bool:
    """A JSON number (``bool`` is an ``int`` in Python but never a number here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def json_type(value: Any) -> str:
    """GrowthBook's name for a value's JSON type (``bool`` is not a number)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    return "object"


def is_operator_object(value: Any) -> bool:
    """GrowthBook's test: a mapping whose keys all start with ``$`` (``{}`` included) holds operators."""
    return isinstance(value, Mapping) and all(isinstance(k, str) and k.startswith("$") for k in value)


def is_value_mode(condition: Any) -> bool:
    """``$elemMatch`` tests each element itself when given only value operators, else each element's fields."""
    return is_operator_object(condition) and not any(k in ("$and", "$or", "$nor") for k in condition)


def show(value: Any) -> str:
    """A short rendering of a value for messages and explanations (JSON-like, strings in single quotes)."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        text = str(int(value))
    elif isinstance(value, Mapping):
        text = "{" + ", ".join(f"{show(k)}: {show(v)}" for k, v in value.items()) + "}"
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(show(v) for v in value) + "]"
    else:
        text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _type_word(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if is_number(value):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a {type(value).__name__}"


def suggestion(word: str, choices: Sequence[str]) -> str:
    """`` (did you mean 'X'?)`` for the closest choice, compared case-insensitively, or ``""``."""
    lowered = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean '{lowered[close[0]]}'?)" if close else ""


class AnySegments(dict):
    """Stand-in for declared segments when names do not matter: every name is declared, and empty."""

    def __contains__(self, key: object) -> bool:
        return True

    def __bool__(self) -> bool:
        return True


class _Checker:
    """Walks one condition and collects every problem with its path."""

    def __init__(self, segments: Mapping[str, Sequence[Any]] | None) -> None:
        self.segments = segments
        self.problems: list[Problem] = []

    def add(self, path: Path, message: str) -> None:
        self.problems.append((path, message))

    def too_deep(self, path: Path) -> bool:
        if len(path) > MAX_DEPTH:
            self.add(path, f"condition nested too deeply (more than {MAX_DEPTH} levels)")
            return True
        return False

    # -- conditions: {field: value-condition, "$and": [...], ...} ---------------------------------------

    def condition(self, condition: Any, path: Path) -> None:
        if self.too_deep(path):
            return
        if not isinstance(condition, Mapping):
            self.add(path, f"a condition must be a mapping of facts to values, got {_type_word(condition)}")
            return
        for key, value in condition.items():
            here = path + (key,) if isinstance(key, (str, int)) else path
            if not isinstance(key, str):
                self.add(here, f"condition keys must be fact names or operators, got {show(key)} ({_type_word(key)})")
            elif key in ("$and", "$or", "$nor"):
                self.condition_list(key, value, here)
            elif key == "$not":
                if isinstance(value, Mapping) and not value:
                    self.add(here, "$not: {} never holds (an empty condition holds for every session)")
                self.condition(value, here)
            elif key.startswith("$"):
                self.misplaced_operator(key, here)
            else:
                self.field_name(key, here)
                self.value_condition(value, here)

    def condition_list(self, key: str, value: Any, path: Path) -> None:
        if not isinstance(value, list):
            self.add(path, f"{key} needs a list of conditions, got {_type_word(value)}")
            return
        if key == "$nor" and not value:
            self.add(path, "$nor with an empty list never holds")
        for index, item in enumerate(value):
            self.condition(item, path + (index,))

    def misplaced_operator(self, key: str, path: Path) -> None:
        if key in ("$savedGroup", "$savedGroups"):
            self.add(path, f"GrowthBook's '{key}' is not supported: declare the list under 'segments:' and use $inGroup")
        elif key in VALUE_OPERATORS:
            self.add(path, f"'{key}' tests a fact's value: write it under a fact, e.g. {{'cart.value': {{'{key}': ...}}}}")
        else:
            self.add(path, f"unknown operator '{key}'" + suggestion(key, _ANY_OPERATOR))

    def field_name(self, key: str, path: Path) -> None:
        if not key.strip():
            self.add(path, "empty fact name")
        elif "" in key.split("."):
            self.add(path, f"fact name '{key}' has an empty part between dots")

    # -- value conditions: what one fact is compared with ----------------------------------------------

    def value_condition(self, value: Any, path: Path) -> None:
        if self.too_deep(path):
            return
        if isinstance(value, Mapping) and value:
            keys = list(value)
            dollar = [k for k in keys if isinstance(k, str) and k.startswith("$")]
            if len(dollar) == len(keys):
                for op, operand in value.items():
                    self.operator(op, operand, path + (op,))
                self.contradiction(value, path)
                return
            if dollar:
                plain = next(k for k in keys if k not in dollar)
                self.add(path, f"mixes operators ('{dollar[0]}') with plain keys ({show(plain)}): use only "
                               f"operators, or only plain keys to compare with a literal object"
                               + (suggestion("$" + plain, VALUE_OPERATORS) if isinstance(plain, str) else ""))
                return
            bare = [_BARE_NAMES.get(k.lower()) if isinstance(k, str) else None for k in keys]
            if all(bare) and _scalar_fact(path):   # a mapping may equal an object fact (custom.plan: {type: pro})
                self.add(path + (keys[0],), f"'{keys[0]}' is not an operator: did you mean '{bare[0]}'? "
                                            "(a mapping without '$' keys is compared literally)")
                return
        self.literal(value, path, top=True)

    def literal(self, value: Any, path: Path, top: bool = False) -> None:
        """A value compared for equality: JSON only (YAML dates and the like never equal a fact)."""
        if self.too_deep(path):
            return
        if value is None or isinstance(value, (bool, str)):
            return
        if is_number(value):
            if top and isinstance(value, float) and math.isnan(value):
                self.add(path, "NaN never equals anything")
            return
        if isinstance(value, list):
            for index, item in enumerate(value):
                self.literal(item, path + (index,))
            return
        if isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str):
                    self.add(path, f"object keys must be strings, got {show(key)}")
                else:
                    self.literal(item, path + (key,))
            return
        self.add(path, f"{_type_word(value)} ({show(value)}) is not a JSON value and never equals a fact; quote it")

    # -- operators --------------------------------------------------------------------------------------

    def operator(self, op: str, operand: Any, path: Path) -> None:
        if op in ("$eq", "$ne"):
            self.scalar(op, operand, path)
        elif op in ORDER_OPERATORS:
            if not (isinstance(operand, str) or (is_number(operand) and not math.isnan(operand))):
                self.add(path, f"{op} needs a number or a string, got {_type_word(operand)} ({show(operand)})")
        elif op in VERSION_OPERATORS:
            if not (isinstance(operand, str) or (is_number(operand) and not math.isnan(operand))):
                self.add(path, f"{op} needs a version string such as '1.2.0', got {_type_word(operand)}")
        elif op in LIST_OPERATORS:
            self.scalar_list(op, operand, path)
        elif op in REGEX_OPERATORS:
            self.regex(op, operand, path)
        elif op == "$exists":
            if not isinstance(operand, bool):
                self.add(path, f"$exists needs true or false, got {_type_word(operand)} ({show(operand)})")
        elif op == "$type":
            self.type_name(operand, path)
        elif op == "$not":
            if isinstance(operand, Mapping) and not operand:
                self.add(path, "$not: {} never holds (an empty value condition holds for every value)")
            self.value_condition(operand, path)
        elif op in ALL_OPERATORS:
            if not isinstance(operand, list):
                self.add(path, f"{op} needs a list of values, got {_type_word(operand)}")
            else:
                for index, item in enumerate(operand):
                    self.value_condition(item, path + (index,))
        elif op == "$size":
            self.size(operand, path)
        elif op == "$elemMatch":
            self.elem_match(operand, path)
        elif op in GROUP_OPERATORS:
            self.segment(op, operand, path)
        elif op in ("$and", "$or", "$nor"):
            self.add(path, f"'{op}' combines whole conditions and never holds on a fact's value: write "
                           f"{{'{op}': [{{fact: ...}}, ...]}} at condition level")
        elif op in ("$savedGroup", "$savedGroups"):
            self.misplaced_operator(op, path)
        else:
            self.add(path, f"unknown operator '{op}'" + suggestion(op, VALUE_OPERATORS))

    def contradiction(self, operators: Mapping[str, Any], path: Path) -> None:
        """Bounds on one value that no value meets together (``$gt: 100, $lt: 50``; ``$eq: 5, $gt: 9``)."""
        for kind in (str, "number"):
            same = {op: operand for op, operand in operators.items()
                    if op in (*ORDER_OPERATORS, "$eq") and (isinstance(operand, str) if kind is str else
                                                            is_number(operand) and not math.isnan(operand))}
            order = utf16 if kind is str else (lambda number: number)   # strings in the engine's (JavaScript's) order
            lows = [(operand, op) for op, operand in same.items() if op in ("$gt", "$gte", "$eq")]
            highs = [(operand, op) for op, operand in same.items() if op in ("$lt", "$lte", "$eq")]
            for low, low_op in lows:
                for high, high_op in highs:
                    if low_op == high_op == "$eq":
                        continue
                    if order(low) > order(high) or (low == high and {"$gt", "$lt"} & {low_op, high_op}):
                        self.add(path, f"{low_op} {show(low)} and {high_op} {show(high)} never hold together: "
                                       "no value meets both")
                        return

    def scalar(self, op: str, operand: Any, path: Path) -> None:
        if isinstance(operand, (list, Mapping)):
            self.add(path, f"{op} compares single values; a {'list' if isinstance(operand, list) else 'mapping'} "
                           "never equals a fact (use $in, $all, $size or $elemMatch)")
        elif isinstance(operand, float) and math.isnan(operand):
            self.add(path, "NaN never equals anything")
        else:
            self.literal(operand, path)

    def scalar_list(self, op: str, operand: Any, path: Path) -> None:
        if not isinstance(operand, list):
            self.add(path, f"{op} needs a list of values, got {_type_word(operand)} ({show(operand)})")
            return
        if not operand and op in ("$in", "$ini"):
            self.add(path, f"{op} with an empty list never holds (list the values to match)")
        for index, item in enumerate(operand):
            if isinstance(item, (list, Mapping)):
                self.add(path + (index,), f"{op} compares single values; {_type_word(item)} in the list never matches")
            else:
                self.scalar(op, item, path + (index,))

    def regex(self, op: str, operand: Any, path: Path) -> None:
        if not isinstance(operand, str):
            self.add(path, f"{op} needs a regular expression string, got {_type_word(operand)} ({show(operand)})")
            return
        try:
            re.compile(operand)
        except (re.error, RecursionError, OverflowError, ValueError) as error:
            self.add(path, f"invalid regex {operand!r}: {error}")

    def type_name(self, operand: Any, path: Path) -> None:
        if operand in TYPE_NAMES:
            return
        if operand == "undefined":
            self.add(path, "$type 'undefined' never holds here: a missing fact has type 'null' (or use $exists: false)")
        elif isinstance(operand, str):
            self.add(path, f"unknown type '{operand}' (one of {', '.join(TYPE_NAMES)})" + suggestion(operand, TYPE_NAMES))
        else:
            self.add(path, f"$type needs a type name ({', '.join(TYPE_NAMES)}), got {_type_word(operand)}")

    def size(self, operand: Any, path: Path) -> None:
        if is_operator_object(operand) and operand:
            self.value_condition(operand, path)
            for op, bound in operand.items():
                if (op in ORDER_OPERATORS and isinstance(bound, str)) or (
                        op == "$eq" and not is_number(bound) and not isinstance(bound, (list, Mapping))):
                    self.add(path + (op,), f"$size is a number: {op} {show(bound)} never holds (use a number)")
        elif is_number(operand) and math.isfinite(operand) and operand >= 0 and float(operand).is_integer():
            return
        else:
            self.add(path, f"$size needs a whole number >= 0 or an operator mapping like {{'$gte': 2}}, "
                           f"got {_type_word(operand)} ({show(operand)})")

    def elem_match(self, operand: Any, path: Path) -> None:
        if not isinstance(operand, Mapping):
            self.add(path, f"$elemMatch needs a condition mapping, got {_type_word(operand)}")
            return
        if is_value_mode(operand):
            self.value_condition(operand, path)
            return
        value_ops = [k for k in operand if isinstance(k, str) and k.startswith("$") and k not in CONDITION_OPERATORS]
        if value_ops:
            self.add(path + (value_ops[0],), f"$elemMatch mixes '{value_ops[0]}' (a test of the element itself) "
                                             "with $and/$or/$nor or field names (tests of the element's fields)")
            return
        self.condition(operand, path)

    def segment(self, op: str, operand: Any, path: Path) -> None:
        if not isinstance(operand, str):
            self.add(path, f"{op} needs a segment name, got {_type_word(operand)}")
        elif not self.segments:
            self.add(path, f"unknown segment '{operand}' (no segments are declared)")
        elif operand not in self.segments:
            self.add(path, f"unknown segment '{operand}'" + suggestion(operand, list(self.segments)))


def condition_problems(condition: Any, segments: Mapping[str, Sequence[Any]] | None = None) -> list[Problem]:
    """Every problem in ``condition``, each with its path (keys and list indices). Never raises."""
    checker = _Checker(segments)
    try:
        checker.condition(condition, ())
    except RecursionError:
        checker.add((), f"condition nested too deeply (more than {MAX_DEPTH} levels)")
    except Exception as error:  # a broken Mapping implementation handed in by a caller
        checker.add((), f"cannot read condition: {error}")
    return checker.problems
