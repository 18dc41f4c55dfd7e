"""clickto's rules engine: YAML rules → compiled rule set; session facts from events; ``decide()``.

Pure Python and no I/O (besides reading the rule file you name in ``load``): the service owns the
clock, the connections and the storage, and passes ``now`` and availability in.
"""

from rules.errors import EventError, RuleError, RuleErrors

__all__ = [
    "EventError",
    "RuleError",
    "RuleErrors",
    "compile_condition",
    "load",
    "check",
    "RuleSet",
    "Decision",
    "Session",
    "validate_event",
]


def __getattr__(name: str):  # lazy re-exports keep ``import rules`` cheap and free of cycles
    if name == "compile_condition":
        from rules.conditions import compile_condition

        return compile_condition
    if name in {"load", "check"}:
        from rules import loader

        return getattr(loader, name)
    if name in {"RuleSet", "Decision"}:
        from rules import ruleset

        return getattr(ruleset, name)
    if name in {"Session", "validate_event"}:
        from rules import session

        return getattr(session, name)
    raise AttributeError(f"module 'rules' has no attribute {name!r}")
