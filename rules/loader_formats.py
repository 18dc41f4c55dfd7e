"""The small text formats of a rule file: cooldowns, schedule days and hours, holdout percentages.

Each parser takes the YAML value and returns the model's value, or raises ``ValueError`` with a message
a merchant can act on (what was written, what is accepted). The loader adds the file:line:col.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from functools import lru_cache
from typing import Any

from rules.model import ONCE_PER_SESSION

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([smhd])")
_DURATION_WHOLE = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?\s*[smhd]\s*)+")
_CLOCK = re.compile(r"([0-9]{1,2})(?::([0-9]{2}))?")
COOLDOWN_HELP = "a duration like 30s, 10m, 2h or 1d, a number of seconds, or 'session' (once per session)"


def describe(value: Any) -> str:
    """How an error names a value the merchant wrote: 'high', 12, true, a list, a mapping, nothing."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def is_number(value: Any) -> bool:
    """A real, finite number (YAML's true/false are not numbers here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


SECONDS_PATTERN = r"\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?"
"""Seconds written as text: decimal notation, as the rule-file schema's cooldown pattern says (not 1_000, nan, -0)."""
_SECONDS_TEXT = re.compile(SECONDS_PATTERN)


def parse_cooldown(value: Any) -> float:
    """``30s``, ``10m``, ``2h``, ``1d``, ``1h30m``, seconds as a number, or ``session`` → seconds."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"session", "once-per-session", "once per session"}:
            return ONCE_PER_SESSION
        if _DURATION_WHOLE.fullmatch(text):
            return float(sum(float(amount) * _UNIT_SECONDS[unit] for amount, unit in _DURATION.findall(text)))
        if not _SECONDS_TEXT.fullmatch(text):   # what the editor schema accepts too (not 1_000, nan or -0)
            raise ValueError(f"cooldown must be {COOLDOWN_HELP}, got {describe(value)}")
        value = float(text)
    if not is_number(value):
        raise ValueError(f"cooldown must be {COOLDOWN_HELP}, got {describe(value)}")
    if value < 0:
        raise ValueError(f"cooldown must not be negative, got {describe(value)}")
    return float(value)


def parse_holdout(value: Any) -> float:
    """A percentage 0-100 of matching sessions held out: ``10``, ``2.5`` or ``"10%"``."""
    original = value
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            value = float(value.strip()[:-1])
        except ValueError:
            value = original
    if not is_number(value):
        raise ValueError(f"holdout must be a percentage between 0 and 100, got {describe(original)}")
    if not 0 <= value <= 100:
        raise ValueError(f"holdout must be between 0 and 100 (a percentage), got {describe(original)}")
    return float(value)


def _day_index(name: str) -> int:
    text = name.strip().lower()
    if text in DAY_NAMES:
        return DAY_NAMES.index(text)
    if text in _FULL_DAY_NAMES:
        return _FULL_DAY_NAMES.index(text)
    raise ValueError(f"unknown day {name.strip()!r} (use {', '.join(DAY_NAMES)} or a range like mon-fri)")


def _day_range(text: str) -> list[int]:
    if "-" not in text:
        return [_day_index(text)]
    start_text, _, end_text = text.partition("-")
    start, end = _day_index(start_text), _day_index(end_text)
    span = (end - start) % 7     # fri-mon wraps over the weekend
    return [(start + offset) % 7 for offset in range(span + 1)]


def parse_days(value: Any) -> tuple[int, ...]:
    """``mon-fri``, ``"mon,wed,fri"``, ``[mon, tue]`` or ``[mon-wed, sat]`` → sorted day numbers (0 = Monday)."""
    if isinstance(value, str):
        parts = [part for part in value.split(",")]
    elif isinstance(value, list) and value:
        parts = []
        for item in value:
            if not isinstance(item, str):
                raise ValueError(f"days must be day names like mon or ranges like mon-fri, got {describe(item)}")
            parts.append(item)
    else:
        raise ValueError(f"days must be a range like mon-fri or a list like [mon, tue], got {describe(value)}")
    days: set[int] = set()
    for part in parts:
        if not part.strip():
            raise ValueError(f"days has an empty entry in {describe(value)}")
        days.update(_day_range(part))
    return tuple(sorted(days))


def _minutes(text: str, whole: str) -> int:
    match = _CLOCK.fullmatch(text.strip())
    if not match:
        raise ValueError(f"hours {whole!r} must look like 09:00-18:00")
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"hours {whole!r} has an impossible time {text.strip()!r}")
    return hours * 60 + minutes


def _hour_range(text: str) -> tuple[int, int]:
    """``09:00-18:00``; an end before the start runs past midnight into the next day (``22:00-02:00``)."""
    start_text, dash, end_text = text.partition("-")
    if not dash:
        raise ValueError(f"hours {text!r} must be a range like 09:00-18:00")
    start, end = _minutes(start_text, text), _minutes(end_text, text)
    if start == 24 * 60:
        raise ValueError(f"hours {text!r} cannot start at 24:00 (write 00:00)")
    if end == start:
        raise ValueError(f"hours {text!r} starts and ends at the same time (use 00:00-24:00 for the whole day)")
    return start, end


def parse_hours(value: Any) -> tuple[tuple[int, int], ...]:
    """``"09:00-18:00"`` or a list of such → sorted ``(start, end)`` minutes after local midnight."""
    items = value if isinstance(value, list) and value else [value]
    ranges = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"hours must be a range like \"09:00-18:00\" or a list of such, got {describe(item)}")
        ranges.append(_hour_range(item))
    return tuple(sorted(ranges))


@lru_cache(maxsize=1)
def _timezones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def parse_timezone(value: Any) -> str:
    """An IANA timezone name that exists here (zoneinfo + tzdata), e.g. ``Europe/Paris``."""
    import difflib

    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"timezone must be an IANA name like 'Europe/Paris', got {describe(value)}")
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        close = difflib.get_close_matches(value, _timezones(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else " (use an IANA name like 'Europe/Paris')"
        raise ValueError(f"unknown timezone {value!r}{hint}") from None
    return value
