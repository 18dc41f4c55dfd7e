"""Operands that a catalogued fact can never match: a string against a number, a typo in a page type.

Why a separate pass: ``condition_syntax`` knows the operators but not the facts, so it cannot tell that
``cart.value: {$gte: "80"}`` or ``checkout.step: Shipping`` compare a fact with something it never is.
GrowthBook evaluates such a comparison quietly (to false for ``$eq``/``$in``/``$gt``..., to true for
``$ne``/``$nin``); either way the merchant's intent is lost, so the loader rejects the operand. The fact
catalogue (``rules.facts``) says each fact's JSON type and, for enumerations, its allowed values; the
session guarantees both (events with other types or values are refused), so the check is sound.
"""

from __future__ import annotations

import math
import re
from typing import Any

from rules.condition_syntax import ORDER_OPERATORS, Path, is_operator_object, json_type, show, suggestion
from rules.facts import Fact

Finding = tuple[Path, str, Any, str]
"""(path inside the fact's value condition, message, the operand it is about, how to write it or "").

The advice is separate so the loader can prefer its own when YAML misread the operand (``no``, ``1:30``)."""

_JSON_TYPE = {"string": "string", "number": "number", "integer": "number", "boolean": "boolean"}
"""Scalar facts only: list facts (``session.categories``) hold values of no catalogued type."""
_ARTICLE = {"string": "a string", "number": "a number", "boolean": "true or false"}
_EQUALITY = ("$eq", "$ne")
_MEMBERSHIP = ("$in", "$nin", "$ini", "$nini")
_INSENSITIVE = ("$ini", "$nini")
_REGEX = ("$regex", "$regexi", "$notRegex", "$notRegexi")
_LIST_ONLY = ("$size", "$all", "$alli", "$elemMatch")
_YAML_NUMBER = re.compile(r"[-+]?(?:0|[1-9][0-9]*|[0-9]+\.[0-9]*(?:[eE][-+][0-9]+)?|\.[0-9]+(?:[eE][-+][0-9]+)?)")
"""Decimal numbers YAML 1.1 reads as numbers when unquoted (``1e3`` without a dot and sign is text there, and so
is ``08``: a leading zero means octal, and 8 is no octal digit)."""


def fact_operand_problems(fact: Fact, value: Any) -> list[Finding]:
    """Every operand in ``value`` (what ``fact`` is compared with) that can never match the fact.

    Only scalar facts are checked (strings, numbers, booleans); ``null`` operands are always fine (they
    match a missing fact).
    """
    kind = _JSON_TYPE.get(fact.type)
    if kind is None:
        return []
    findings: list[Finding] = []
    _value_condition(fact, kind, value, (), findings)
    return findings


def _value_condition(fact: Fact, kind: str, value: Any, path: Path, findings: list[Finding]) -> None:
    if is_operator_object(value) and not value:
        return      # {} holds for every value (no operator to fail)
    if not is_operator_object(value):
        _equal(fact, kind, value, path, findings, insensitive=False)
        return
    for op, operand in value.items():
        here = path + (op,)
        if op in _EQUALITY:
            _equal(fact, kind, operand, here, findings, insensitive=False)
        elif op in _MEMBERSHIP and isinstance(operand, list):
            for index, item in enumerate(operand):
                _equal(fact, kind, item, here + (index,), findings, insensitive=op in _INSENSITIVE)
        elif op in ORDER_OPERATORS:
            _ordered(fact, kind, op, operand, here, findings)
        elif op == "$not":
            _value_condition(fact, kind, operand, here, findings)
        elif op in _REGEX and kind != "string":
            findings.append((here, f"{fact.path} is {_ARTICLE[kind]}, not text: {op} never matches it", operand, ""))
        elif op in _LIST_ONLY:
            findings.append((here, f"{fact.path} is {_ARTICLE[kind]}, not a list: {op} never matches it", operand, ""))
        elif op == "$type" and isinstance(operand, str) and operand not in (kind, "null"):
            findings.append((here, f"{fact.path} is {_ARTICLE[kind]}: $type {show(operand)} never matches it "
                                   f"(only '{kind}', or 'null' while it is missing)", operand, ""))


def _equal(fact: Fact, kind: str, operand: Any, path: Path, findings: list[Finding], *, insensitive: bool) -> None:
    """An operand compared for equality (a literal, ``$eq``/``$ne``, an item of ``$in``/``$nin``...)."""
    if operand is None or (isinstance(operand, float) and math.isnan(operand)):
        return      # null matches a missing fact; NaN is reported by condition_syntax
    found = json_type(operand)
    if found != kind:
        findings.append((path, f"{fact.path} is {_ARTICLE[kind]}: {show(operand)} ({_article(found)}) never equals it",
                         operand, _how(fact, kind, operand, found, equality=True)))
    elif fact.type == "integer" and isinstance(operand, float) and not operand.is_integer():
        findings.append((path, f"{fact.path} is a whole number: {show(operand)} never equals it", operand, ""))
    elif fact.bounds and kind == "number" and not fact.bounds[0] <= operand <= fact.bounds[1]:
        low, high = fact.bounds
        findings.append((path, f"{fact.path} is {low}-{high}: {show(operand)} never equals it", operand, ""))
    elif fact.values and isinstance(operand, str):
        allowed = [value.lower() for value in fact.values] if insensitive else fact.values
        if (operand.lower() if insensitive else operand) not in allowed:
            hint = suggestion(operand, fact.values)
            choices = ", ".join(fact.values)
            findings.append((path, f"{show(operand)} is never a {fact.path} (one of {choices})"
                                   + (hint.replace(" (", "; ", 1).replace("?)", "?") if hint else ""), operand, ""))


def _ordered(fact: Fact, kind: str, op: str, operand: Any, path: Path, findings: list[Finding]) -> None:
    """``$gt``/``$gte``/``$lt``/``$lte`` order two numbers or two strings, nothing else (never booleans)."""
    found = json_type(operand)
    if found not in ("number", "string"):
        return      # condition_syntax rejects the operand itself
    if kind == "boolean":
        findings.append((path, f"{fact.path} is {_ARTICLE[kind]}: {op} never holds on it (only numbers and "
                               "strings are ordered)", operand, ""))
    elif found != kind:
        findings.append((path, f"{op} {show(operand)} never holds: {fact.path} is {_ARTICLE[kind]}, not "
                               f"{_article(found)}", operand, _how(fact, kind, operand, found, order=op)))
    elif fact.bounds and not _order_can_hold(op, operand, *fact.bounds):
        low, high = fact.bounds
        findings.append((path, f"{op} {show(operand)} never holds: {fact.path} is {low}-{high}", operand, ""))


def _order_can_hold(op: str, operand: float, low: int, high: int) -> bool:
    """Whether ``fact <op> operand`` holds for some value in ``low..high``."""
    if op in ("$gt", "$gte"):
        return high > operand if op == "$gt" else high >= operand
    return low < operand if op == "$lt" else low <= operand


def _how(fact: Fact, kind: str, operand: Any, found: str, equality: bool = False, order: str | None = None) -> str:
    """How to write the operand when the intent is obvious (``"80"`` for a number: drop the quotes; ``5m`` for
    a number of seconds: 300; ``100€``: 100)."""
    whole = equality and fact.type == "integer"   # cart.items: "5.5" unquoted would never equal it either
    if kind == "number" and found == "string" and _numeric_text(operand):
        if fact.bounds and ((equality and not fact.bounds[0] <= float(operand) <= fact.bounds[1]) or (
                order is not None and not _order_can_hold(order, float(operand), *fact.bounds))):
            return ""   # unquoted it would never hold either (time.hour: "25", {$gt: "25"}); {$lt: "24"} would
        return number_text_hint(operand, whole)
    if kind == "number" and found == "string":
        if fact.path == "time.hour" and _CLOCK_TIME.fullmatch(operand.strip()):
            return hour_hint(operand.strip())
        duration = _DURATION.fullmatch(operand)
        if duration and (fact.clock or fact.path.endswith("seconds")):
            seconds = float(duration.group(1)) * _UNIT_SECONDS[duration.group(2).lower()[0]]
            return f" ({fact.path} counts seconds: write {_yaml_number(seconds)})"
        amount = _AMOUNT.fullmatch(operand)
        if amount and not (whole and not float(amount.group(2).replace(",", ".")).is_integer()):
            number = _yaml_number(float(amount.group(2).replace(",", ".")))
            if amount.group(1) or amount.group(3):
                return f" (write {number} without the currency)"
            return f" (write {number}: decimals take a dot)"
    if kind == "boolean" and found == "string" and operand.strip().lower() in ("true", "false"):
        return f" (write {operand.strip().lower()} without quotes)"
    if kind == "string" and found == "number":
        return f" (quote it: '{show(operand)}')"
    if found == "array":
        return " (to match any of several values use $in: [...])"
    return ""


_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?)\s*", re.I)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
_AMOUNT = re.compile(r"\s*([€$£]\s*)?(\d+(?:[.,]\d{1,2})?)\s*(€|\$|£|eur|euros?|usd|gbp)?\s*", re.I)
"""Amounts, with a currency or a decimal comma (a plain number is caught before, as numeric text)."""
_CLOCK_TIME = re.compile(r"([01]?[0-9]|2[0-3]):[0-5][0-9]")


def hour_hint(clock_time: str) -> str:
    """``time.hour`` compared with ``09:30``: it counts whole UTC hours; minutes and local time are a schedule's."""
    hour = clock_time.split(":")[0].lstrip("0") or "0"
    return (f" (time.hour counts whole hours in UTC: write {hour}, or give the rule a schedule with hours: "
            f"\"{clock_time.zfill(5)}-...\" for minutes and local time)")


def number_text_hint(text: str, whole: bool = False) -> str:
    """How to write a number that came out as text: without its quotes, or (``1e3``, text to YAML 1.1) as YAML
    reads a number; "" when ``text`` is no finite number (or, with ``whole``, no whole one)."""
    if not _numeric_text(text) or (whole and not float(text).is_integer()):
        return ""
    if _YAML_NUMBER.fullmatch(text.strip()) and not (whole and not text.strip().lstrip("+-").isdigit()):
        return f" (write {text.strip()} without quotes)"
    return f" (YAML reads {text.strip()} as text; write it as {_yaml_number(float(text))})"


def _article(found: str) -> str:
    return {"null": "null", "array": "a list", "object": "a mapping", "boolean": "a boolean"}.get(found, f"a {found}")


def _yaml_number(value: float) -> str:
    """``value`` as YAML 1.1 reads it as a number: ``1e-05`` is text there, ``1.0e-05`` a number."""
    if value.is_integer() and abs(value) < 1e18:
        return str(int(value))
    text = repr(value)
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa}.0e{exponent}" if e and "." not in mantissa else text


def _numeric_text(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False

