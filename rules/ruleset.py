"""The compiled rule set and ``decide()``: which button a session gets now, why, and when to look again.

Everything that can be done once is done in ``RuleSet.__init__``: conditions are compiled to predicates,
rules are sorted by priority, and each rule knows whether it can change while nothing happens (it reads
a clock, ``time.*`` or a score that does, or has a schedule) and at which clock values. ``decide()`` then
walks the rules once; only the rules that could still change the outcome are looked at again to find the
next-check time. See docs/decisions.md for the semantics.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pyee import EventEmitter

from rules.condition_describe import describe_entries, describe_with
from rules.conditions import compile_condition, condition_fields, numeric_thresholds
from rules.errors import RuleError
from rules.facts import CLOCK_FACTS, FACTS
from rules.model import Channel, Rule, RuleFile
from rules.schedule import ScheduleGate, flips_within, in_schedule, zone
from rules.scores import SCORE_PREFIX, LearnedScore, ScoreBook, is_time_field, score_refs

NONE = "none"
HOLDOUT_BUCKETS = 10_000
EPSILON = 1e-3
"""Seconds added after a threshold crossing: strict comparisons (``$gt``) flip just after the crossing."""
HORIZON = 24 * 3600.0
"""How far ahead ``next_check`` looks. Changes further away give a re-check at the horizon instead."""
NEAR_MISSES = 3
CANDIDATE_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Decision:
    """What to show a session now, and why. ``to_dict()`` is what the service sends to the tag."""

    channel: str | None
    rule_id: str | None
    label: str | None = None
    reasons: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    next_check: float | None = None
    held_out: bool = False
    near_miss_source: Callable[[], list[dict[str, Any]]] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def near_misses(self) -> list[dict[str, Any]]:
        """When nothing matched: up to 3 rules that came closest, ``{"rule": id, "failed": [...]}``."""
        if self.rule_id is not None or self.near_miss_source is None:
            return []
        return self.near_miss_source()

    @property
    def outcome(self) -> tuple[str | None, str | None]:
        """``(channel, rule_id)``: what changes when the visitor sees something different."""
        return self.channel, self.rule_id

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready decision (docs/architecture.md); ``near_misses`` only when nothing matched."""
        result: dict[str, Any] = {
            "channel": self.channel,
            "rule": self.rule_id,
            "label": self.label,
            "reasons": list(self.reasons),
            "scores": dict(self.scores),
            "next_check": self.next_check,
            "held_out": self.held_out,
        }
        if self.rule_id is None:
            result["near_misses"] = self.near_misses
        return result


GUARD_FIELDS = frozenset(
    [path for path, fact in FACTS.items() if (fact.values or fact.type == "boolean") and not is_time_field(path)]
    + ["page.category"])
"""Facts with few distinct values that many rules test alone (``page.type: product``): ``decide()`` first
picks the rules whose tests on these facts hold, once per combination of values (cached), and only
evaluates the rest of those rules' conditions."""


class _Compiled:
    """One rule, compiled, with what ``decide()`` needs to know about it without looking again.

    The rule's condition is split into parts that must all hold: ``guards`` (one ``GUARD_FIELDS`` fact
    each, evaluated once per combination of values), ``static`` (changes only with events), ``model_part``
    (reads a learned score: evaluated last, so the model runs only when needed) and ``dynamic`` (reads a
    clock, ``time.*`` or a score that does: may change while nothing happens).
    """

    __slots__ = ("rule", "id", "channel", "label", "pool", "suppress", "guards", "static", "model_part", "dynamic",
                 "learned", "cooldown", "schedule", "holdout", "thresholds", "hourly", "time_gated", "entries")

    def __init__(self, rule: Rule, channel: Channel | None, book: ScoreBook, segments: Mapping[str, list]) -> None:
        self.rule = rule
        self.id = rule.id
        self.suppress = channel is None
        self.channel = None if channel is None else channel.name
        self.label = None if channel is None else channel.label
        self.pool = None if channel is None else channel.needs
        self.cooldown = rule.cooldown
        self.schedule = None if rule.schedule is None else ScheduleGate(rule.schedule)
        self.holdout = int(round(rule.holdout * HOLDOUT_BUCKETS / 100))
        _compile(rule, rule.when, segments)  # the whole condition must be valid, whatever the split
        self.entries = describe_entries(rule.when, segments)  # compiled once: explaining stays cheap
        fields = condition_fields(rule.when)
        self.learned = book.learned_refs(score_refs(fields))

        def changes_by_itself(name: str) -> bool:
            if name.startswith(SCORE_PREFIX):
                return book.time_dependent(name[len(SCORE_PREFIX):].split(".", 1)[0])
            return is_time_field(name)

        guards, static_parts, model_parts, dynamic_parts = [], [], [], []
        for part in _conjuncts(rule.when):
            names = condition_fields(part)
            if len(names) == 1 and next(iter(names)) in GUARD_FIELDS:
                guards.append((next(iter(names)), _compile(rule, part, segments)))
            elif any(changes_by_itself(name) for name in names):
                dynamic_parts.append(part)
            elif book.learned_refs(score_refs(names)):
                model_parts.append(part)  # evaluated last: a model runs only when the rest already holds
            else:
                static_parts.append(part)
        self.guards: tuple[tuple[str, Callable[[Mapping], bool]], ...] = tuple(guards)
        self.static = _compile(rule, _join(static_parts), segments) if static_parts else None
        self.model_part = _compile(rule, _join(model_parts), segments) if model_parts else None
        self.dynamic = _compile(rule, _join(dynamic_parts), segments) if dynamic_parts else None
        thresholds: dict[str, set[float]] = {}
        self.hourly = False
        if dynamic_parts:
            dynamic_condition = _join(dynamic_parts)
            for name, values in numeric_thresholds(dynamic_condition).items():
                if name in CLOCK_FACTS:
                    thresholds.setdefault(name, set()).update(values)
            for name in condition_fields(dynamic_condition):
                if name.startswith(SCORE_PREFIX):
                    score = name[len(SCORE_PREFIX):].split(".", 1)[0]
                    for clock, values in book.thresholds(score).items():
                        thresholds.setdefault(clock, set()).update(values)
                    self.hourly |= book.uses_time_facts(score)
                elif name == "time" or name.startswith("time."):
                    self.hourly = True
        self.thresholds = tuple((name, tuple(sorted(values))) for name, values in sorted(thresholds.items()))
        self.time_gated = self.dynamic is not None or self.schedule is not None


def _compile(rule: Rule, condition: Mapping[str, Any], segments: Mapping[str, list]) -> Callable[[Mapping], bool]:
    try:
        return compile_condition(condition, segments)
    except RuleError as error:
        raise RuleError(f"rule '{rule.id}': {error.message}", line=error.line or rule.line, col=error.col) from error


def _conjuncts(condition: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The parts of a condition that must all hold: its keys (implicit AND) and the items of a top ``$and``."""
    parts: list[dict[str, Any]] = []
    for key, value in condition.items():
        if key == "$and" and isinstance(value, list) and all(isinstance(item, dict) for item in value):
            for item in value:
                parts.extend(_conjuncts(item))
        else:
            parts.append({key: value})
    return parts


def _join(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return parts[0] if len(parts) == 1 else {"$and": parts}


def holdout_bucket(session_id: str, rule_id: str) -> int:
    """A stable bucket 0..9999 for (session, rule): the same session is held out of the same rule every time."""
    digest = hashlib.blake2b(f"{session_id}\x1f{rule_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % HOLDOUT_BUCKETS


def lookup(facts: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path in nested facts, or None."""
    value: Any = facts
    for part in path.split("."):
        if value.__class__ is not dict and not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


class RuleSet:
    """A compiled rule file. ``decide()`` is the only hot path; everything else is prepared here once."""

    def __init__(self, rule_file: RuleFile, score_models: Mapping[str, LearnedScore] | None = None) -> None:
        self.file = rule_file
        self.rules: tuple[Rule, ...] = tuple(rule_file.rules)
        self.channels: dict[str, Channel] = dict(rule_file.channels)
        self.events = EventEmitter()
        segments = dict(rule_file.segments)
        self.scores = ScoreBook(rule_file.scores, score_models, segments)
        compiled = []
        for index, rule in enumerate(rule_file.rules):
            self._check_rule(rule)
            channel = None if rule.show == NONE else self.channels[rule.show]
            compiled.append((-rule.priority, rule.order, index, _Compiled(rule, channel, self.scores, segments)))
        compiled.sort(key=lambda item: item[:3])
        self._ordered: tuple[_Compiled, ...] = tuple(item[3] for item in compiled)
        self._by_id = {item.id: item for item in self._ordered}
        self._guard_fields = tuple(sorted({name for item in self._ordered for name, _ in item.guards}))
        self._guard_parts = tuple(tuple(name.split(".")) for name in self._guard_fields)
        self._candidate_cache: dict[tuple, tuple[_Compiled, ...]] = {}

    def _candidates(self, facts: Mapping[str, Any]) -> tuple[_Compiled, ...]:
        """The rules (in decision order) whose guard tests hold for these facts, cached per guard values."""
        values = []
        for parts in self._guard_parts:
            value: Any = facts
            for part in parts:
                value = value.get(part) if value.__class__ is dict else None
            values.append(value)
        key = tuple(values)
        try:
            return self._candidate_cache[key]
        except KeyError:
            pass
        except TypeError:  # a list or object where a string was expected: decide without the cache
            return self._select(key)
        if len(self._candidate_cache) >= CANDIDATE_CACHE_SIZE:
            self._candidate_cache.clear()
        selected = self._candidate_cache[key] = self._select(key)
        return selected

    def _select(self, values: tuple) -> tuple[_Compiled, ...]:
        facts: dict[str, Any] = {}
        for parts, value in zip(self._guard_parts, values):
            if value is None:
                continue
            node = facts
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
        return tuple(item for item in self._ordered if all(guard(facts) for _, guard in item.guards))

    def _check_rule(self, rule: Rule) -> None:
        if rule.show != NONE and rule.show not in self.channels:
            known = ", ".join(sorted(self.channels)) or "no channels declared"
            raise RuleError(f"rule '{rule.id}' shows unknown channel '{rule.show}' (known: {known}, or none)",
                            line=rule.line)
        if not 0 <= rule.holdout <= 100:
            raise RuleError(f"rule '{rule.id}': holdout must be a percentage 0-100, got {rule.holdout}",
                            line=rule.line)
        if rule.cooldown is not None and not rule.cooldown >= 0:
            raise RuleError(f"rule '{rule.id}': cooldown must be >= 0 seconds, got {rule.cooldown}", line=rule.line)
        if rule.schedule is not None:
            try:
                zone(rule.schedule.timezone)
            except RuleError as error:
                raise RuleError(f"rule '{rule.id}': {error.message}", line=rule.line) from error

    @property
    def ordered_rules(self) -> tuple[Rule, ...]:
        """Rules in the order ``decide()`` tries them: priority high to low, then file order."""
        return tuple(item.rule for item in self._ordered)

    def rule(self, rule_id: str) -> Rule:
        """The rule with id ``rule_id`` (KeyError when there is none)."""
        return self._by_id[rule_id].rule

    @property
    def pools(self) -> tuple[str, ...]:
        """The availability pools the channels need (``needs: experts``), each once, in the order declared."""
        return tuple(dict.fromkeys(channel.needs for channel in self.channels.values() if channel.needs))

    # ------------------------------------------------------------------ deciding

    def decide(self, session: Any, now: float, availability: Mapping[str, int], *, record: bool = True) -> Decision:
        """The button for ``session`` at ``now``: the first rule by priority that holds, may show and can be answered.

        ``record=True`` remembers on ``session.display`` which rule decided (cooldowns) and emits the
        pyee events; ``record=False`` leaves the session and listeners untouched (``clickto explain``).
        """
        facts = session.facts(now)
        scores: dict[str, float] = {}
        facts["score"] = scores
        notes: list[str] = []
        book = self.scores
        book.fill(facts, scores, session, notes)
        display = session.display
        showing = display.get("showing")
        showing_id = showing["rule"] if showing else None
        stopped = display.get("stopped") or {}
        relevant: list[_Compiled] = []
        blocked: dict[str, str] = {}
        winner: _Compiled | None = None
        for item in self._candidates(facts):
            if item.static is not None and not item.static(facts):
                continue
            if item.learned:
                for name in item.learned:
                    if name not in scores:
                        book.learned(name, session, facts, scores, notes)
                if item.model_part is not None and not item.model_part(facts):
                    continue
            dynamic = item.dynamic
            if dynamic is None:
                holds = True
                track = item.schedule is not None
            else:
                holds = dynamic(facts)
                track = True
            unavailable = item.pool is not None and availability.get(item.pool, 0) <= 0
            why = None
            if item.cooldown is not None and item.id != showing_id:
                last = stopped.get(item.id)
                if last is not None and now < last + item.cooldown:
                    if math.isinf(item.cooldown):
                        if holds:
                            notes.append(blocked.setdefault(
                                item.id, f"rule '{item.id}' matched but was already shown in this session"))
                        continue
                    why = f"rule '{item.id}' matched but is in cooldown for {last + item.cooldown - now:.0f} s more"
                    track = True
            if why is None and item.schedule is not None and holds and not item.schedule.inside(now):
                why = f"rule '{item.id}' matched but is outside its schedule ({item.schedule.text})"
            if why is None and unavailable and holds:
                why = f"rule '{item.id}' matched but nobody is available for {item.channel}"
            if track and not unavailable:
                relevant.append(item)
            if not holds:
                continue
            if why is not None:
                notes.append(why)
                blocked[item.id] = why
                continue
            winner = item
            break

        held_out = False
        if winner is not None:
            reasons = describe_with(winner.entries, facts)[0] + notes
            if winner.holdout and not winner.suppress:
                held_out = holdout_bucket(session.session_id, winner.id) < winner.holdout
        else:
            reasons = notes
        # a showing button withdrawn only because nobody can answer or its hours ended was not turned down by
        # the visitor: its rule starts no cooldown and may show again as soon as it can
        cooling_id = None if showing_id in blocked else showing_id
        next_check = self._next_check(session, now, facts, relevant, winner, cooling_id, stopped) if relevant else None
        decision = Decision(
            channel=None if winner is None or held_out else winner.channel,
            rule_id=None if winner is None else winner.id,
            label=None if winner is None or held_out else winner.label,
            reasons=reasons,
            scores=dict(scores),
            next_check=next_check,
            held_out=held_out,
            near_miss_source=None if winner is not None else self._near_miss_source(facts, blocked),
        )
        if record:
            self._record(display, showing_id, cooling_id, winner, now)
            self._emit(decision, winner, session)
        return decision

    @staticmethod
    def _record(display: dict, showing_id: str | None, cooling_id: str | None, winner: _Compiled | None,
                now: float) -> None:
        """Remember which rule decides now; a rule that stops deciding starts its cooldown now, unless it
        still holds and only its channel's availability or its schedule stopped it (``cooling_id`` None)."""
        winner_id = None if winner is None else winner.id
        if winner_id == showing_id:
            return
        if cooling_id is not None:
            display.setdefault("stopped", {})[cooling_id] = now
        display["showing"] = None if winner_id is None else {"rule": winner_id, "since": now}

    def _emit(self, decision: Decision, winner: _Compiled | None, session: Any) -> None:
        events = self.events
        names = events.event_names()
        if not names:  # nobody listens: skip pyee's dispatch (it is most of the cost of a cheap decide)
            return
        if winner is not None:
            if "rule_matched" in names:
                events.emit("rule_matched", winner.rule, session)
            if decision.held_out and "held_out" in names:
                events.emit("held_out", winner.rule, session)
            elif winner.suppress and not decision.held_out and "suppressed" in names:
                events.emit("suppressed", winner.rule, session)
        if "decision" in names:
            events.emit("decision", decision, session)

    # ------------------------------------------------------------------ explaining "nothing"

    def _near_miss_source(self, facts: dict[str, Any], blocked: dict[str, str]) -> Callable[[], list[dict[str, Any]]]:
        def near_misses() -> list[dict[str, Any]]:
            ranked = []
            for position, item in enumerate(self._ordered):
                if item.suppress:  # a `show: none` rule would not have shown a button either
                    continue
                if item.id in blocked:
                    failed = [blocked[item.id]]
                    rank = 0
                else:
                    failed = describe_with(item.entries, facts)[1]
                    rank = max(1, len(failed))
                ranked.append((rank, position, {"rule": item.id, "failed": failed}))
            ranked.sort(key=lambda entry: entry[:2])
            return [entry[2] for entry in ranked[:NEAR_MISSES]]

        return near_misses

    # ------------------------------------------------------------------ when to look again

    def _next_check(self, session: Any, now: float, facts: Mapping[str, Any], relevant: list[_Compiled],
                    winner: _Compiled | None, cooling_id: str | None, stopped: Mapping[str, float]) -> float | None:
        """The first moment the outcome (channel, rule) would differ if no event arrives; None if never.

        Candidates are the moments a clock crosses a threshold some relevant rule (or score it reads) compares
        it with, cooldown expiries, schedule openings and closings, and hour changes for ``time.*``; the
        outcome is re-evaluated at each, in time order, with the session's own facts at that moment.
        """
        rates = session.clock_rates(now)
        limit = now + HORIZON
        candidates: set[float] = set()
        beyond = False
        winner_id = None if winner is None else winner.id
        hourly = False
        for item in relevant:
            for name, thresholds in item.thresholds:
                rate = rates.get(name, 0.0)
                if rate <= 0:
                    continue
                value = lookup(facts, name)
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    continue
                for threshold in thresholds:
                    if threshold < value:
                        continue
                    moment = now + (threshold - value) / rate + EPSILON  # just past: strict tests flip too
                    if moment > limit:
                        beyond = True
                    else:
                        candidates.add(moment)
            if item.schedule is not None:
                candidates.update(flips_within(item.schedule.schedule, now, HORIZON))
                beyond = True  # schedules repeat: look again at the horizon at the latest
            until = self._cooldown_until(item, winner_id, cooling_id, stopped, now)
            if until is not None and now < until:
                if until <= limit:
                    candidates.add(until)
                else:
                    beyond = beyond or not math.isinf(until)
            hourly |= item.hourly
        if hourly:
            first_hour = math.floor(now / 3600) * 3600 + 3600
            candidates.update(first_hour + hour * 3600 for hour in range(24))
            beyond = True
        for moment in sorted(candidates):
            if moment <= limit and self._changes_at(session, moment, relevant, winner, winner_id, cooling_id,
                                                    stopped, now, facts["score"]):
                return moment
        return limit if beyond else None

    @staticmethod
    def _cooldown_until(item: _Compiled, winner_id: str | None, cooling_id: str | None,
                        stopped: Mapping[str, float], now: float) -> float | None:
        """When ``item``'s cooldown ends, as the session will be once this decision is recorded
        (``cooling_id``: the showing rule, whose cooldown starts now unless it is ``winner_id``)."""
        if item.cooldown is None or item.id == winner_id:
            return None
        last = now if item.id == cooling_id else stopped.get(item.id)
        return None if last is None else last + item.cooldown

    def _changes_at(self, session: Any, moment: float, relevant: list[_Compiled], winner: _Compiled | None,
                    winner_id: str | None, cooling_id: str | None, stopped: Mapping[str, float],
                    now: float, base_scores: Mapping[str, float]) -> bool:
        """True when the outcome at ``moment`` differs from ``winner`` (only ``relevant`` rules can differ)."""
        facts = session.facts(moment)
        scores = dict(base_scores)     # learned and event-only scores cannot have moved; clock ones may
        facts["score"] = scores
        self.scores.refill(facts, scores)
        for item in relevant:
            if item.dynamic is not None and not item.dynamic(facts):
                continue
            until = self._cooldown_until(item, winner_id, cooling_id, stopped, now)
            if until is not None and moment < until:
                continue
            if item.schedule is not None and not in_schedule(item.schedule.schedule, moment):
                continue
            return item is not winner
        return winner is not None and winner.time_gated
