"""The condition language of clickto rules: GrowthBook's audience operators, compiled to fast predicates.

A condition is a mapping of dotted fact paths to values or operator mappings, e.g.
``{"cart.value": {"$gte": 80}, "page.type": {"$in": ["product", "cart"]}}``; every operator means
exactly what it means in a GrowthBook audience (docs/conditions.md). The one difference: a condition
part that could never hold (unknown operator, invalid regex, operand of the wrong type) is rejected
with a message and its path instead of silently evaluating to false.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rules.condition_compiler import Compiler, deep_equal, js_type, read_path
from rules.condition_describe import describe_entries, describe_with, value_clauses
from rules.condition_logic import condition_fields, implies, numeric_thresholds
from rules.condition_syntax import (
    CONDITION_OPERATORS,
    AnySegments,
    TYPE_NAMES,
    VALUE_OPERATORS,
    Problem,
    condition_problems,
)
from rules.errors import RuleError

__all__ = [
    "CONDITION_OPERATORS", "TYPE_NAMES", "VALUE_OPERATORS", "Problem",
    "compile_condition", "condition_fields", "condition_problems", "deep_equal", "describe_condition",
    "implies", "js_type", "numeric_thresholds", "read_path", "value_clauses",
]


def compile_condition(condition: dict, segments: Mapping[str, list] | None = None) -> Callable[[Mapping], bool]:
    """A predicate on a facts mapping; raises ``RuleError`` (with ``path``) for the first problem."""
    problems = condition_problems(condition, segments)
    if problems:
        path, message = problems[0]
        raise RuleError(message, path=path)
    return Compiler(segments).condition_function(condition)


def describe_condition(
    condition: Any, facts: Mapping, segments: Mapping[str, Sequence[Any]] | None = None,
) -> tuple[list[str], list[str]]:
    """(held, failed): one sentence per top-level entry with the actual value, e.g. ``"cart.value 120 >= 80"``.

    ``segments`` is needed only for ``$inGroup``/``$notInGroup`` (without it every segment is empty).
    Raises ``RuleError`` for a condition ``compile_condition`` would reject.
    """
    problems = condition_problems(condition, segments if segments is not None else AnySegments())
    if problems:
        path, message = problems[0]
        raise RuleError(message, path=path)
    return describe_with(describe_entries(condition, segments), facts)

