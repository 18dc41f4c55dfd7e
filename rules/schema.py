"""The JSON Schema (draft 2020-12) of a rule file, so editors autocomplete keys, facts and operators.

Generated from the same tables the loader uses (keys, the fact catalogue, the operator list), so the schema
cannot drift from what ``clickto check`` accepts; ``rules/rule-file.schema.json`` is this function's output,
shipped for editors (``# yaml-language-server: $schema=...``) and kept equal to it by a test.
"""

from __future__ import annotations

import json
from typing import Any

from rules.facts import FACTS
from rules.loader import EXTENSION_PREFIX, NONE
from rules.loader_formats import DAY_NAMES, SECONDS_PATTERN

SCHEMA_FILE = "rule-file.schema.json"
SCHEMA_ID = "urn:clickto:rule-file:1"
_NAME_PATTERN = "^[A-Za-z][A-Za-z0-9_-]*$"
_SCORE_NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$"
def _any_case(text: str) -> str:
    """``text`` in any letter case, without inline flags (editors use JavaScript regexes)."""
    return "".join(f"[{c.upper()}{c}]" if c.isalpha() else c for c in text)


_DURATION_PATTERN = (r"^\s*(" + "|".join(_any_case(word) for word in ("session", "once-per-session", "once per session"))
                     + rf"|(\d+(\.\d+)?\s*[smhdSMHD]\s*)+|{SECONDS_PATTERN})\s*$")
"""What ``loader_formats.parse_cooldown`` accepts: its words in any case, durations, seconds as Python reads them."""
_DAY_WORDS = [*DAY_NAMES, "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_DAY = "(" + "|".join(form for word in _DAY_WORDS for form in (word, word.title(), word.upper())) + ")"
_DAYS_PATTERN = rf"^\s*{_DAY}\s*(-\s*{_DAY}\s*)?(,\s*{_DAY}\s*(-\s*{_DAY}\s*)?)*$"
"""Day names in the cases people write them; no inline flags, since editors use JavaScript (ECMA-262) regexes."""
_HOURS_PATTERN = r"^\s*\d{1,2}(:\d{2})?\s*-\s*\d{1,2}(:\d{2})?\s*$"

_ANY = {"description": "any value"}
_ARRAY = {"type": "array"}
_COMPARABLE = {"type": ["number", "string"]}
_TEXT = {"type": "string"}
_VERSION = {"type": "string", "description": "a version such as 1.2.0 or 2.0.0-beta.1"}

OPERATORS: dict[str, tuple[str, dict[str, Any]]] = {
    "$eq": ("equal to the value", _ANY),
    "$ne": ("not equal to the value", _ANY),
    "$gt": ("greater than", _COMPARABLE),
    "$gte": ("greater than or equal to", _COMPARABLE),
    "$lt": ("less than", _COMPARABLE),
    "$lte": ("less than or equal to", _COMPARABLE),
    "$in": ("one of the listed values (for a list fact: shares a value with the list)", _ARRAY),
    "$nin": ("none of the listed values", _ARRAY),
    "$ini": ("one of the listed values, ignoring case", _ARRAY),
    "$nini": ("none of the listed values, ignoring case", _ARRAY),
    "$all": ("a list fact that contains every listed value", _ARRAY),
    "$alli": ("a list fact that contains every listed value, ignoring case", _ARRAY),
    "$regex": ("text matching the regular expression (searched anywhere; anchor with ^ and $)", _TEXT),
    "$regexi": ("text matching the regular expression, ignoring case", _TEXT),
    "$notRegex": ("text not matching the regular expression", _TEXT),
    "$notRegexi": ("text not matching the regular expression, ignoring case", _TEXT),
    "$exists": ("true: the fact is present; false: it is absent", {"type": "boolean"}),
    "$not": ("the operators inside do not hold", {"$ref": "#/$defs/factValue"}),
    "$size": ("a list fact whose length equals the number (or matches the operators)",
              {"anyOf": [{"type": "integer"}, {"$ref": "#/$defs/operators"}]}),
    "$elemMatch": ("a list fact with at least one element matching the condition", {"type": "object"}),
    "$type": ("the fact's type", {"enum": ["string", "number", "boolean", "array", "object", "null"]}),
    "$veq": ("version equal to", _VERSION),
    "$vne": ("version not equal to", _VERSION),
    "$vgt": ("version greater than", _VERSION),
    "$vgte": ("version greater than or equal to", _VERSION),
    "$vlt": ("version lower than", _VERSION),
    "$vlte": ("version lower than or equal to", _VERSION),
    "$inGroup": ("the fact's value is a member of the named segment (see segments)", _TEXT),
    "$notInGroup": ("the fact's value is not a member of the named segment", _TEXT),
}
"""Operators allowed on a fact, with what they mean and the shape of their operand."""

LOGICAL_OPERATORS: dict[str, str] = {
    "$and": "every condition in the list holds",
    "$or": "at least one condition in the list holds",
    "$nor": "no condition in the list holds",
    "$not": "the condition does not hold",
}


def _fact_schema(path: str) -> dict[str, Any]:
    fact = FACTS[path]
    text = f"{fact.description} ({fact.type}{', a clock: grows while nothing happens' if fact.clock else ''})"
    schema: dict[str, Any] = {"description": text, "$ref": "#/$defs/factValue"}
    if fact.values:
        schema = {"description": text, "anyOf": [{"enum": list(fact.values)}, {"$ref": "#/$defs/factValue"}]}
    return schema


def _parent_paths() -> list[str]:
    parents = set()
    for path in FACTS:
        parts = path.split(".")
        parents.update(".".join(parts[:end]) for end in range(1, len(parts)))
    return sorted(parents - set(FACTS))


def _condition() -> dict[str, Any]:
    properties: dict[str, Any] = {path: _fact_schema(path) for path in FACTS}
    for name, description in LOGICAL_OPERATORS.items():
        if name == "$not":
            properties[name] = {"description": description, "$ref": "#/$defs/condition"}
        else:
            properties[name] = {"description": description, "type": "array", "items": {"$ref": "#/$defs/condition"}}
    parents = "|".join(path.replace(".", r"\.") for path in _parent_paths())
    lists = "|".join(path.replace(".", r"\.") for path, fact in FACTS.items() if fact.type == "array")
    return {
        "type": "object",
        "description": "facts (keys) and the values or operators they must match; all keys must hold. "
                       "See docs/conditions.md and docs/facts.md.",
        "properties": properties,
        "patternProperties": {
            r"^custom\.\S+$": {"description": "data your site sends (custom events)", "$ref": "#/$defs/factValue"},
            r"^score\.[A-Za-z_][A-Za-z0-9_]*$": {"description": "a score declared under scores", "$ref": "#/$defs/factValue"},
            f"^({parents})$": {"description": "a group of facts, compared as a whole", "$ref": "#/$defs/factValue"},
            f"^({lists})\\.(length|[0-9]+)$": {"description": "a list fact's length, or one of its entries",
                                              "$ref": "#/$defs/factValue"},
        },
        "additionalProperties": False,
    }


def _operators() -> dict[str, Any]:
    properties = {name: {"description": description, **operand} for name, (description, operand) in OPERATORS.items()}
    return {
        "type": "object",
        "description": "operators the fact must satisfy, all of them",
        "propertyNames": {"pattern": "^\\$"},
        "properties": properties,
        "additionalProperties": False,
    }


def rule_file_schema() -> dict[str, Any]:
    """The JSON Schema of a rule file (draft 2020-12), with descriptions and enums for autocompletion."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "clickto rule file",
        "description": "Targeting rules that decide, live, whether to offer click-to-community or click-to-chat. "
                       "Validate with `clickto check FILE`; guide: docs/rules.md.",
        "type": "object",
        "required": ["version", "channels", "rules"],
        "properties": {
            "version": {"description": "format version of the rule file", "const": 1},
            "channels": {
                "description": "the buttons rules can show; 'none' is reserved for rules that suppress buttons",
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": _NAME_PATTERN, "not": {"const": NONE}},
                "additionalProperties": {"$ref": "#/$defs/channel"},
            },
            "segments": {
                "description": "named lists of values for $inGroup / $notInGroup (e.g. customer ids)",
                "type": ["object", "null"],
                "propertyNames": {"pattern": _NAME_PATTERN},
                "additionalProperties": {"type": "array", "items": {"type": ["string", "number"]}},
            },
            "scores": {
                "description": "targeting tags: points added while conditions hold (usable as score.NAME), "
                               "or a learned model",
                "type": ["object", "null"],
                "propertyNames": {"pattern": _SCORE_NAME_PATTERN},
                "additionalProperties": {
                    "oneOf": [
                        {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/scoreTerm"}},
                        {"$ref": "#/$defs/modelScore"},
                    ]
                },
            },
            "rules": {
                "description": "the rules; the matching rule with the highest priority wins (ties: the earlier rule)",
                "type": ["array", "null"],
                "items": {"$ref": "#/$defs/rule"},
            },
        },
        "patternProperties": {f"^{EXTENSION_PREFIX}": {"description": "your own notes and YAML anchors; ignored"}},
        "additionalProperties": False,
        "$defs": {
            "channel": {
                "type": "object",
                "required": ["label"],
                "additionalProperties": False,
                "properties": {
                    "label": {"description": "the button's text", "type": "string", "minLength": 1},
                    "needs": {
                        "description": "availability pool that must have someone online (e.g. experts, advisors); "
                                       "omit when the channel is always available",
                        "type": ["string", "null"],
                        "pattern": _NAME_PATTERN,
                    },
                },
            },
            "scoreTerm": {
                "type": "object",
                "required": ["when", "add"],
                "additionalProperties": False,
                "properties": {
                    "when": {"$ref": "#/$defs/condition"},
                    "add": {"description": "points added while the condition holds (may be negative)", "type": "number"},
                    "description": {"type": ["string", "null"]},
                },
            },
            "modelScore": {
                "type": "object",
                "required": ["model"],
                "additionalProperties": False,
                "properties": {
                    "model": {"description": "a trained model file (clickto train), relative to this file's folder",
                              "type": "string", "minLength": 1},
                    "description": {"type": ["string", "null"]},
                },
            },
            "rule": {
                "type": "object",
                "required": ["id", "when", "show"],
                "additionalProperties": False,
                "properties": {
                    "id": {"description": "unique id, reported with every decision", "type": "string",
                           "pattern": "^\\S+$"},
                    "description": {"type": ["string", "null"]},
                    "when": {"$ref": "#/$defs/condition"},
                    "show": {"description": "a channel declared under channels, or none to suppress buttons",
                             "type": "string"},
                    "priority": {"description": "the highest matching priority wins; default 0", "type": "integer"},
                    "cooldown": {
                        "description": "after the button stopped showing, wait this long before showing it again: "
                                       "30s, 10m, 2h, 1d, seconds, or session (once per session)",
                        "anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": _DURATION_PATTERN},
                                  {"type": "null"}],
                    },
                    "schedule": {"anyOf": [{"$ref": "#/$defs/schedule"}, {"type": "null"}]},
                    "holdout": {
                        "description": "percent of matching sessions that are not shown the button (to measure uplift)",
                        "anyOf": [{"type": "number", "minimum": 0, "maximum": 100},
                                  {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*%\s*$"}, {"type": "null"}],
                    },
                },
            },
            "schedule": {
                "description": "when the rule may show, in local time of the timezone",
                "type": "object",
                "required": ["timezone"],
                "additionalProperties": False,
                "properties": {
                    "timezone": {"description": "IANA timezone, e.g. Europe/Paris", "type": "string",
                                 "examples": ["Europe/Paris", "Europe/London", "America/New_York", "UTC"]},
                    "days": {
                        "description": "days of the week: mon-fri, \"mon,wed\" or [mon, tue]; default every day",
                        "anyOf": [{"type": "string", "pattern": _DAYS_PATTERN},
                                  {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": _DAYS_PATTERN}}],
                    },
                    "hours": {
                        "description": "local opening hours: \"09:00-18:00\" or a list of such; "
                                       "an end before the start runs past midnight",
                        "anyOf": [{"type": "string", "pattern": _HOURS_PATTERN},
                                  {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": _HOURS_PATTERN}}],
                    },
                },
            },
            "condition": _condition(),
            "operators": _operators(),
            "factValue": {
                "description": "a value the fact must equal, or operators such as {$gte: 15}",
                "anyOf": [
                    {"$ref": "#/$defs/operators"},
                    {"type": ["string", "number", "boolean", "null", "array"]},
                    {"type": "object", "propertyNames": {"pattern": "^[^$]"}},
                ],
            },
        },
    }


def schema_json() -> str:
    """The schema as the shipped file's text (stable key order, two-space indent, final newline)."""
    return json.dumps(rule_file_schema(), indent=2, ensure_ascii=False) + "\n"
