"""Scores ("targeting tags"): merchant scores made of weighted conditions, and learned scores behind a Protocol.

Both kinds appear in the facts as ``score.NAME``, so rules compare them like any other fact
(``score.hesitation: {$gte: 50}``).

* A merchant score is the sum of ``add`` for every term whose ``when`` holds at the moment of the decision.
  Terms may read other scores; they are computed in dependency order (cycles are rejected).
* A learned score is any object with ``name``, ``features`` and ``score(facts) -> float`` (``rules.intent``
  provides one). It is computed only when a rule or merchant score being evaluated reads it, and cached per
  session: computed again after an event changed the session, or once its clocks (dwell, idle, ...) have moved
  ``LEARNED_REFRESH_SECONDS`` since, so an idle visitor's score follows the idling without a model run on every
  decision in between.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from rules.conditions import compile_condition, condition_fields, numeric_thresholds
from rules.errors import RuleError
from rules.facts import CLOCK_FACTS
from rules.model import ScoreDef

SCORE_PREFIX = "score."
LEARNED_CACHE_SIZE = 50_000
"""Sessions whose learned scores are remembered at once (least recently used are forgotten first)."""
LEARNED_REFRESH_SECONDS = 5.0
"""A learned score is computed again when an event changed the session, or when its clocks moved this far since
(timer wake-ups, presence changes): a model reads durations too, so an idle visitor's score does change."""


@runtime_checkable
class LearnedScore(Protocol):
    """A score computed by a model from the facts (``rules.intent`` implements it).

    ``features`` lists the fact paths the model reads (dotted, as in conditions), so the engine and the
    docs can tell what a score depends on. ``score`` must be pure and return a finite number.
    """

    name: str
    features: Sequence[str]

    def score(self, facts: Mapping[str, Any]) -> float: ...


def is_time_field(field: str) -> bool:
    """True for facts that change while nothing happens: clocks, their parents, and ``time.*``."""
    if field in CLOCK_FACTS or field.startswith("time.") or field == "time":
        return True
    prefix = field + "."
    return any(clock.startswith(prefix) for clock in CLOCK_FACTS)


def score_refs(fields: set[str] | frozenset[str]) -> frozenset[str]:
    """Names of the scores that a set of condition fields reads (``score.NAME`` → ``NAME``)."""
    return frozenset(field[len(SCORE_PREFIX):].split(".", 1)[0] for field in fields if field.startswith(SCORE_PREFIX))


def clock_thresholds(condition: Mapping[str, Any]) -> dict[str, set[float]]:
    """The numbers each clock fact is compared with in ``condition`` (for next-check times)."""
    return {field: set(values) for field, values in numeric_thresholds(condition).items() if field in CLOCK_FACTS}


@dataclass(frozen=True)
class CompiledScore:
    """One merchant score, compiled: its terms as predicates and what it depends on."""

    name: str
    terms: tuple[tuple[Callable[[Mapping], bool], float], ...]
    refs: frozenset[str]                       # scores its terms read
    time_dependent: bool                       # a term reads a clock or time fact (directly)
    thresholds: dict[str, set[float]]          # clock fact -> thresholds, over its own terms
    reads_time: bool                           # a term reads ``time.*`` (changes on the hour)

    def total(self, facts: Mapping[str, Any]) -> float:
        """The score for these facts: the sum of ``add`` over the terms that hold."""
        total = 0.0
        for predicate, add in self.terms:
            if predicate(facts):
                total += add
        return total


class ScoreBook:
    """Every score of a rule set: merchant scores in dependency order, learned models, and their cache."""

    def __init__(
        self,
        definitions: Mapping[str, ScoreDef],
        models: Mapping[str, LearnedScore] | None = None,
        segments: Mapping[str, list] | None = None,
    ) -> None:
        self.models: dict[str, LearnedScore] = dict(models or {})
        merchant: dict[str, CompiledScore] = {}
        for name, definition in definitions.items():
            if definition.model is not None or (not definition.terms and name in self.models):
                if name not in self.models:
                    raise RuleError(
                        f"score '{name}' is a learned score ({definition.model}) but no model was loaded for it",
                        line=definition.line)
                continue
            merchant[name] = _compile_score(definition, segments)
        unknown = {ref for score in merchant.values() for ref in score.refs} - set(merchant) - set(self.models)
        if unknown:
            raise RuleError(f"score terms read unknown score(s): {', '.join(sorted(unknown))}")
        self.merchant_order: tuple[CompiledScore, ...] = _dependency_order(merchant)
        self.merchant: dict[str, CompiledScore] = merchant
        self.learned_names: frozenset[str] = frozenset(self.models)
        self._time_dependent = self._closure(lambda score: score.time_dependent)
        self._reads_time = self._closure(lambda score: score.reads_time)
        self._clock_order = tuple(score for score in self.merchant_order if self._time_dependent[score.name])
        self._thresholds = {name: self._closure_thresholds(name, set()) for name in merchant}
        self._learned_needed: tuple[str, ...] = tuple(sorted(
            {ref for score in merchant.values() for ref in score.refs} & self.learned_names))
        self._cache: dict[tuple[str, str], tuple[tuple, float | None, str | None]] = {}
        self.model_calls = 0

    # ------------------------------------------------------------------ what depends on what

    def _closure(self, own: Callable[[CompiledScore], bool]) -> dict[str, bool]:
        """Per merchant score: ``own(score)`` or the same for a score it reads (dependencies come first)."""
        result: dict[str, bool] = {}
        for score in self.merchant_order:
            result[score.name] = own(score) or any(result.get(ref, False) for ref in score.refs)
        return result

    def _closure_thresholds(self, name: str, seen: set[str]) -> dict[str, set[float]]:
        score = self.merchant.get(name)
        if score is None or name in seen:
            return {}
        seen.add(name)
        merged = {field: set(values) for field, values in score.thresholds.items()}
        for ref in score.refs:
            for field, values in self._closure_thresholds(ref, seen).items():
                merged.setdefault(field, set()).update(values)
        return merged

    def time_dependent(self, name: str) -> bool:
        """True when merchant score ``name`` can change while nothing happens (learned scores cannot)."""
        return self._time_dependent.get(name, False)

    def uses_time_facts(self, name: str) -> bool:
        """True when merchant score ``name`` reads ``time.*`` facts (directly or through other scores)."""
        return self._reads_time.get(name, False)

    def thresholds(self, name: str) -> dict[str, set[float]]:
        """Clock fact → thresholds that can move merchant score ``name`` (through the scores it reads too)."""
        return self._thresholds.get(name, {})

    def learned_refs(self, names: frozenset[str]) -> tuple[str, ...]:
        """The learned scores among ``names``, plus those read by the merchant scores among them."""
        found = set(names & self.learned_names)
        pending = [name for name in names if name in self.merchant]
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            for ref in self.merchant[name].refs:
                if ref in self.learned_names:
                    found.add(ref)
                elif ref in self.merchant:
                    pending.append(ref)
        return tuple(sorted(found))

    # ------------------------------------------------------------------ computing

    def fill(self, facts: Mapping[str, Any], scores: dict[str, float], session: Any, notes: list[str]) -> None:
        """Compute every merchant score into ``scores`` (which is ``facts["score"]``), learned ones they read first."""
        for name in self._learned_needed:
            if name not in scores:
                self.learned(name, session, facts, scores, notes)
        for score in self.merchant_order:
            scores[score.name] = score.total(facts)

    def refill(self, facts: Mapping[str, Any], scores: dict[str, float]) -> None:
        """Recompute only the merchant scores that clocks can move (``scores`` holds the others already)."""
        for score in self._clock_order:
            scores[score.name] = score.total(facts)

    def learned(self, name: str, session: Any, facts: Mapping[str, Any], scores: dict[str, float],
                notes: list[str]) -> None:
        """Put learned score ``name`` into ``scores``, from the cache when the session has not changed.

        A model that raises or returns a non-number leaves the score missing (conditions on it do not hold,
        like any missing fact) and adds a note to the decision's reasons instead of failing the decision.
        """
        key = (session.session_id, name)
        version = (session.version, getattr(session, "started_at", None))  # a restarted id is a new session
        session_facts = facts.get("session")
        clock = session_facts.get("seconds", 0.0) if isinstance(session_facts, Mapping) else 0.0
        cached = self._cache.get(key)
        if cached is None or cached[0] != version or abs(clock - cached[3]) >= LEARNED_REFRESH_SECONDS:
            value, problem = self._run_model(name, facts)
            cached = (version, value, problem, clock)
            self._cache.pop(key, None)
            if len(self._cache) >= LEARNED_CACHE_SIZE:
                del self._cache[next(iter(self._cache))]
            self._cache[key] = cached
        if cached[2] is not None:
            notes.append(cached[2])
        elif cached[1] is not None:
            scores[name] = cached[1]

    def _run_model(self, name: str, facts: Mapping[str, Any]) -> tuple[float | None, str | None]:
        self.model_calls += 1
        try:
            value = self.models[name].score(facts)
        except Exception as error:  # a broken model must not take the decision down with it
            return None, f"score '{name}' could not be computed: {type(error).__name__}: {error}"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return None, f"score '{name}' could not be computed: the model returned {value!r}"
        return float(value), None


def _compile_score(definition: ScoreDef, segments: Mapping[str, list] | None) -> CompiledScore:
    terms = []
    fields: set[str] = set()
    thresholds: dict[str, set[float]] = {}
    for term in definition.terms:
        try:
            predicate = compile_condition(term.when, segments)
        except RuleError as error:
            raise RuleError(f"score '{definition.name}': {error.message}",
                            line=term.line or definition.line) from error
        terms.append((predicate, float(term.add)))
        fields |= condition_fields(term.when)
        for field, values in clock_thresholds(term.when).items():
            thresholds.setdefault(field, set()).update(values)
    return CompiledScore(
        name=definition.name,
        terms=tuple(terms),
        refs=score_refs(fields),
        time_dependent=any(is_time_field(field) for field in fields),
        thresholds=thresholds,
        reads_time=any(field == "time" or field.startswith("time.") for field in fields),
    )


def _dependency_order(scores: Mapping[str, CompiledScore]) -> tuple[CompiledScore, ...]:
    """Scores ordered so each comes after the scores its terms read; a cycle is a ``RuleError``."""
    order: list[CompiledScore] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2 or name not in scores:
            return
        if state.get(name) == 1:
            cycle = " -> ".join(trail[trail.index(name):] + [name])
            raise RuleError(f"scores read each other in a cycle: {cycle}")
        state[name] = 1
        for ref in sorted(scores[name].refs):
            visit(ref, trail + [name])
        state[name] = 2
        order.append(scores[name])

    for name in scores:
        visit(name, [])
    return tuple(order)
