"""The validated shape of a rule file: what the loader produces and the rule set compiles.

Plain frozen dataclasses, no behaviour: the seam between ``rules.loader`` (YAML → these, with
file:line:col errors) and ``rules.ruleset`` (these → compiled predicates and ``decide()``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ONCE_PER_SESSION = math.inf
"""``cooldown: session`` — a rule shown once is not shown again in the same session."""


@dataclass(frozen=True)
class Channel:
    name: str                      # "community", "chat", ...
    label: str                     # the button's text
    needs: str | None = None       # availability pool that must have someone ("experts"); None = always available
    line: int | None = None


@dataclass(frozen=True)
class ScoreTerm:
    when: dict[str, Any]           # a condition
    add: float                     # points while it holds (may be negative)
    line: int | None = None


@dataclass(frozen=True)
class ScoreDef:
    name: str
    terms: tuple[ScoreTerm, ...] = ()
    model: Path | None = None      # a learned score (rules.intent) instead of terms; resolved against the file's folder
    line: int | None = None


@dataclass(frozen=True)
class Schedule:
    timezone: str                                   # IANA name, e.g. "Europe/Paris"
    days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)   # 0 = Monday
    hours: tuple[tuple[int, int], ...] = ((0, 24 * 60),)   # [start, end) in minutes after local midnight


@dataclass(frozen=True)
class Rule:
    id: str
    when: dict[str, Any]
    show: str                      # a channel name, or "none" to suppress explicitly
    priority: int = 0
    order: int = 0                 # position in the file: ties of priority go to the earlier rule
    description: str = ""
    cooldown: float | None = None  # seconds; ONCE_PER_SESSION for once per session; None = no cap
    schedule: Schedule | None = None
    holdout: float = 0.0           # percent of matching sessions held out (0-100)
    line: int | None = None


@dataclass(frozen=True)
class RuleFile:
    version: int
    channels: dict[str, Channel]
    segments: dict[str, list[Any]] = field(default_factory=dict)
    scores: dict[str, ScoreDef] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    source: str | None = None      # file path, when loaded from a file
