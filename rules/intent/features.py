"""The dataset's columns, the two feature sets, and how a live session's facts become one encoded row.

One table (``COLUMNS``) says for every column of the UCI "Online Shoppers Purchasing Intention" data how it
is read from a CSV cell, how it is encoded as a float for the models, and where a live session gets it.
Training, export, scoring and the own-traffic CSV export all read it, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rules.facts import DEVICE_TYPES, PAGE_TYPES, TRAFFIC_SOURCES

LABEL = "Revenue"

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "June", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
"""Month names as the dataset spells them (``June``, not ``Jun``); encoded as 1-12."""
MONTH_ALIASES = {"jun": 6, "june": 6, "sept": 9}
VISITOR_TYPES = ("New_Visitor", "Other", "Returning_Visitor")
"""Encoded as 0, 1, 2 in this order."""
_NEW, _RETURNING = float(VISITOR_TYPES.index("New_Visitor")), float(VISITOR_TYPES.index("Returning_Visitor"))

PAGE_GROUPS: dict[str, tuple[str, ...]] = {
    "Administrative": ("account", "cart", "checkout"),
    "Informational": ("info", "other"),
    "ProductRelated": ("home", "category", "search", "product"),
}
"""Which engine page types (``session.by_type.<type>``) count towards each of the dataset's page kinds."""
assert sorted(t for group in PAGE_GROUPS.values() for t in group) == sorted(PAGE_TYPES)
GROUP_OF_PAGE_TYPE = {page_type: column for column, types in PAGE_GROUPS.items() for page_type in types}
_DURATION = {column: column + "_Duration" for column in PAGE_GROUPS}

STATS_FACTS = {"BounceRates": "bounce_rate", "ExitRates": "exit_rate", "PageValues": "page_value"}
"""Site statistics the service may put in ``facts["stats"]`` (means over the pages of the session)."""

ALL_FEATURES: tuple[str, ...] = (
    "Administrative", "Administrative_Duration", "Informational", "Informational_Duration",
    "ProductRelated", "ProductRelated_Duration", "BounceRates", "ExitRates", "PageValues", "SpecialDay",
    "Month", "OperatingSystems", "Browser", "Region", "TrafficType", "VisitorType", "Weekend",
)
LIVE_FEATURES: tuple[str, ...] = (
    "Administrative", "Administrative_Duration", "Informational", "Informational_Duration",
    "ProductRelated", "ProductRelated_Duration", "Month", "VisitorType", "Weekend",
)
"""What a new install knows about a live session on day one: no site statistics, no opaque codes."""
OWN_FEATURES: tuple[str, ...] = LIVE_FEATURES + ("OperatingSystems", "TrafficType")
"""``live`` plus device and traffic source in clickto's own codes (``OWN_CODES``): for the shop's own rows only."""
FEATURE_SETS: dict[str, tuple[str, ...]] = {"all": ALL_FEATURES, "live": LIVE_FEATURES, "own": OWN_FEATURES}

OWN_CODE_BASE = 100
"""clickto's own codes start above every code of the public data (OperatingSystems 1-8, TrafficType 1-20), so a
row says which coding it uses; ``OWN_CODE_BASE`` itself means "not reported"."""
OWN_CODES: dict[str, tuple[str, tuple[str, ...]]] = {
    "OperatingSystems": ("device.type", DEVICE_TYPES),
    "TrafficType": ("session.traffic_source", TRAFFIC_SOURCES),
}
"""Column → (fact, its values): value number i (0-based) is written as ``OWN_CODE_BASE + 1 + i``."""

COLUMNS: tuple[str, ...] = ALL_FEATURES + (LABEL,)
INTEGER_COLUMNS = frozenset({"Administrative", "Informational", "ProductRelated", "OperatingSystems", "Browser",
                             "Region", "TrafficType"})
BOOLEAN_COLUMNS = frozenset({"Weekend", LABEL})
NO_LIVE_SOURCE = ("SpecialDay", "OperatingSystems", "Browser", "Region", "TrafficType")
"""Columns a live session cannot provide: the day of month is not a fact, and the four codes are the source
site's private coding (no published table maps them to a browser, an OS or a traffic source). The "all" model
gets the training data's most common value for them; the "live" model does not use them; the "own" model reads
OperatingSystems and TrafficType as clickto's own codes (``OWN_CODES``), which only own-traffic rows carry."""


class DataError(ValueError):
    """A CSV cell or row that cannot be read; ``str()`` names the file, line and column."""


def encode_cell(column: str, text: str) -> float:
    """One CSV cell → the float the models see. Raises ValueError with a short reason."""
    value = text.strip()
    if column == "Month":
        key = value.lower()
        for number, name in enumerate(MONTHS, start=1):
            if key == name.lower():
                return float(number)
        if key in MONTH_ALIASES:
            return float(MONTH_ALIASES[key])
        raise ValueError(f"unknown month {text!r} (expected one of {', '.join(MONTHS)})")
    if column == "VisitorType":
        if value in VISITOR_TYPES:
            return float(VISITOR_TYPES.index(value))
        raise ValueError(f"unknown visitor type {text!r} (expected one of {', '.join(VISITOR_TYPES)})")
    if column in BOOLEAN_COLUMNS:
        key = value.lower()
        if key in {"true", "1"}:
            return 1.0
        if key in {"false", "0"}:
            return 0.0
        raise ValueError(f"expected TRUE or FALSE, got {text!r}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"expected a finite number, got {text!r}")
    if number < 0:
        raise ValueError(f"expected a number >= 0, got {text!r}")
    if column in INTEGER_COLUMNS and number != int(number):
        raise ValueError(f"expected a whole number, got {text!r}")
    return number


def decode_value(column: str, value: float) -> str:
    """The inverse of ``encode_cell``: a float back to the dataset's spelling (for CSV export)."""
    if column == "Month":
        return MONTHS[int(value) - 1]
    if column == "VisitorType":
        return VISITOR_TYPES[int(value)]
    if column in BOOLEAN_COLUMNS:
        return "TRUE" if value else "FALSE"
    if column in INTEGER_COLUMNS or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _number(value: Any, default: float = 0.0) -> float:
    """A fact value as a float; absent, non-numeric or negative values count as ``default``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    value = float(value)
    return value if value == value and 0.0 <= value < float("inf") else default


def own_code(column: str, value: Any) -> float:
    """clickto's own code of a device type (OperatingSystems) or traffic source (TrafficType); see ``OWN_CODES``."""
    values = OWN_CODES[column][1]
    return float(OWN_CODE_BASE + 1 + values.index(value)) if value in values else float(OWN_CODE_BASE)


def facts_to_values(facts: Mapping[str, Any], defaults: Mapping[str, float],
                    own_codes: bool = False) -> dict[str, float]:
    """Every dataset column (except the label) as an encoded float, from the engine's nested facts.

    ``defaults`` fills what the facts do not hold: the columns with no live source and the site statistics
    until the service provides them (see docs/intent.md for the mapping and what is approximate). With
    ``own_codes``, OperatingSystems and TrafficType are clickto's own codes of ``device.type`` and
    ``session.traffic_source`` instead of a default.
    """
    session = facts.get("session") or {}
    by_type = session.get("by_type") or {}
    time = facts.get("time") or {}
    stats = facts.get("stats") or {}
    values: dict[str, float] = {"Administrative": 0.0, "Administrative_Duration": 0.0, "Informational": 0.0,
                                "Informational_Duration": 0.0, "ProductRelated": 0.0, "ProductRelated_Duration": 0.0}
    for page_type, counts in by_type.items():   # only the page types the session has seen
        column = GROUP_OF_PAGE_TYPE.get(page_type)
        if column is not None and isinstance(counts, Mapping):
            values[column] += _number(counts.get("pages"))
            values[_DURATION[column]] += _number(counts.get("seconds"))
    for column, key in STATS_FACTS.items():
        value = stats.get(key)
        values[column] = _number(value, defaults.get(column, 0.0)) if value is not None else defaults.get(column, 0.0)
    month = time.get("month")
    valid_month = type(month) is int and 1 <= month <= 12
    values["Month"] = float(month) if valid_month else defaults.get("Month", 5.0)
    returning = session.get("returning")
    if returning is None:
        returning = _number(session.get("visit_count"), 1.0) > 1
    values["VisitorType"] = _RETURNING if returning else _NEW
    values["Weekend"] = 1.0 if time.get("weekend") is True else 0.0
    for column in NO_LIVE_SOURCE:
        values[column] = defaults.get(column, 0.0)
    if own_codes:
        values["OperatingSystems"] = own_code("OperatingSystems", (facts.get("device") or {}).get("type"))
        values["TrafficType"] = own_code("TrafficType", session.get("traffic_source"))
    return values


def fact_paths(features: Sequence[str], own_codes: bool = False) -> tuple[str, ...]:
    """The dotted fact paths a model on ``features`` reads (for the engine's and the docs' dependency lists)."""
    paths: list[str] = []
    for column, page_types in PAGE_GROUPS.items():
        if column in features or column + "_Duration" in features:
            paths += [f"session.by_type.{t}.{kind}" for t in page_types for kind in ("pages", "seconds")]
    paths += [f"stats.{STATS_FACTS[column]}" for column in STATS_FACTS if column in features]
    if "Month" in features:
        paths.append("time.month")
    if "VisitorType" in features:
        paths += ["session.returning", "session.visit_count"]
    if "Weekend" in features:
        paths.append("time.weekend")
    if own_codes:
        paths += [OWN_CODES[column][0] for column in OWN_CODES if column in features]
    return tuple(paths)


def facts_to_row(facts: Mapping[str, Any], features: Sequence[str], defaults: Mapping[str, float],
                 own_codes: bool = False) -> list[float]:
    """The encoded feature row, in ``features`` order, that a model scores."""
    values = facts_to_values(facts, defaults, own_codes)
    return [values[name] for name in features]


SESSION_DEFAULTS: dict[str, float] = {"SpecialDay": 0.0, "OperatingSystems": 2.0, "Browser": 2.0, "Region": 1.0,
                                      "TrafficType": 2.0, "BounceRates": 0.0, "ExitRates": 0.0, "PageValues": 0.0}
"""The public data's most common value of each column a session cannot provide (stats: 0 = not known)."""


def session_to_row(facts: Mapping[str, Any], ordered: bool) -> dict[str, str]:
    """A finished session as one CSV row in the dataset's columns, with ``Revenue`` = ``ordered``.

    The service calls this when a session ends (with the facts of ``rules.intent.rows.training_facts``), to
    retrain on the shop's own traffic (``clickto train --data own.csv --features own``). OperatingSystems and
    TrafficType are clickto's own codes of the device and the traffic source (``OWN_CODES``); SpecialDay,
    Browser and Region get the public data's most common value; BounceRates, ExitRates and PageValues are the
    ``stats`` facts when the service provided them and 0 otherwise.
    """
    values = facts_to_values(facts, SESSION_DEFAULTS, own_codes=True)
    row = {column: decode_value(column, values[column]) for column in ALL_FEATURES}
    row[LABEL] = decode_value(LABEL, 1.0 if ordered else 0.0)
    return row


def export_sessions_csv(rows: Sequence[Mapping[str, str]] | Any, path: Any) -> int:
    """Write ``session_to_row`` rows as a CSV ``clickto train`` reads; returns the number of rows written.

    Every row must have exactly the dataset's columns; a bad row raises ``DataError`` naming it, and nothing
    is written (the file is written to a temporary name and renamed).
    """
    import csv
    import os
    from pathlib import Path

    target = Path(path)
    checked: list[dict[str, str]] = []
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise DataError(f"row {index}: expected a mapping of column to value, got {type(row).__name__}")
        missing = [column for column in COLUMNS if column not in row]
        extra = [column for column in row if column not in COLUMNS]
        if missing or extra:
            raise DataError(f"row {index}: missing columns {missing}, unknown columns {extra}")
        clean = {}
        for column in COLUMNS:
            text = str(row[column])
            try:
                encode_cell(column, text)
            except ValueError as error:
                raise DataError(f"row {index}: column {column}: {error}") from None
            clean[column] = text
        checked.append(clean)
    temporary = target.with_name(target.name + ".tmp")
    with open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(checked)
    os.replace(temporary, target)
    return len(checked)
