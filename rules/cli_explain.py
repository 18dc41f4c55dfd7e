"""``clickto explain FILE --session SESSION.json``: the decision for a recorded session, and why.

SESSION.json is either a stored session (``Session.to_dict()``) or ``{"session_id": ..., "events": [...]}``
with each event's ``t`` in milliseconds since the epoch; events are folded in order at their own times.
The decision is made at ``--at`` (default: the session's last event) without touching the session.

Exit status: 0 explained, 1 the rule file has problems, 2 a file is missing or malformed, or a bad option.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_RULES, EXIT_USAGE = 0, 1, 2


class InputError(Exception):
    """A problem with what was given on the command line; ``str()`` says what and where."""


def explain_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="clickto explain",
        description="Print the decision and its reasons for a recorded session.",
        epilog="Exit status: 0 explained, 1 the rule file has problems, 2 missing or malformed input.",
    )
    parser.add_argument("file", metavar="FILE", help="rule file (YAML)")
    parser.add_argument("--session", required=True, metavar="SESSION.json",
                        help="a stored session (Session.to_dict()) or {\"session_id\": ..., \"events\": [...]}")
    parser.add_argument("--at", metavar="TIMESTAMP",
                        help="when to decide: ISO 8601 (2026-11-23T09:30:00Z) or seconds since the epoch "
                             "(default: the session's last event)")
    parser.add_argument("--availability", metavar="POOL=N,...",
                        help="who can answer, e.g. experts=1,advisors=0 (default: 1 in every pool)")
    parser.add_argument("--json", action="store_true", help="print the decision as JSON")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)

    from rules.errors import RuleErrors  # submodules, not ``rules.load``: the console script may see
    from rules.loader import load        # ``rules`` as a namespace package without its __init__

    try:
        ruleset = load(Path(args.file))
    except RuleErrors as errors:
        missing = len(errors.errors) == 1 and errors.errors[0].message in ("no such rule file",
                                                                           "is a folder, not a rule file")
        for error in errors.errors:
            print(error, file=sys.stderr)
        return EXIT_USAGE if missing else EXIT_RULES
    try:
        session, last_event = read_session(Path(args.session))
        now = parse_at(args.at) if args.at is not None else last_event
        needed = ruleset.pools
        availability = (parse_availability(args.availability, needed) if args.availability is not None
                        else {pool: 1 for pool in needed})
    except InputError as error:
        print(f"clickto explain: {error}", file=sys.stderr)
        return EXIT_USAGE
    decision = ruleset.decide(session, now, availability, record=False)
    if args.json:
        data = decision.to_dict()
        data["near_misses"] = decision.near_misses
        data["at"] = now
        data["session"] = session.session_id
        data["availability"] = dict(availability)
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(render(decision, session.session_id, now, availability, assumed=args.availability is None))
    return EXIT_OK


# ------------------------------------------------------------------------------------------ reading input


def read_session(path: Path) -> tuple[Any, float]:
    """The session in ``path`` and the time of its last event; ``InputError`` naming the field otherwise."""
    from rules.session import Session

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such session file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read session file: {getattr(error, 'strerror', None) or error}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{path}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a session file must hold a JSON object, got {_kind(data)}")
    if "events" in data:
        return _fold_events(path, data, Session)
    return _stored_session(path, data, Session)


def _fold_events(path: Path, data: Mapping[str, Any], session_class: type) -> tuple[Any, float]:
    from rules.errors import EventError
    from rules.session import validate_event

    session_id = data.get("session_id", path.stem)
    if not isinstance(session_id, str) or not session_id:
        raise InputError(f"{path}: field 'session_id' must be a non-empty string, got {_kind(session_id)}")
    site = data.get("site", "")
    if not isinstance(site, str):
        raise InputError(f"{path}: field 'site' must be a string, got {_kind(site)}")
    events = data["events"]
    if not isinstance(events, list) or not events:
        raise InputError(f"{path}: field 'events' must be a non-empty list of events, got {_kind(events)}")
    for index, event in enumerate(events):
        try:
            validate_event(event)
        except EventError as error:
            where = f"events[{index}]" + (f".{error.field}" if error.field else "")
            raise InputError(f"{path}: {where}: {error.message}") from None
        if "t" not in event:
            raise InputError(f"{path}: events[{index}].t: is required (milliseconds since the epoch)")
    session = session_class(session_id, site, events[0]["t"] / 1000)
    for event in events:
        session.apply(event, event["t"] / 1000)
    return session, session.last_event_at


def _stored_session(path: Path, data: Mapping[str, Any], session_class: type) -> tuple[Any, float]:
    from rules.errors import EventError

    if "session_id" not in data:
        raise InputError(f"{path}: field 'session_id' is required (or give 'events' to fold)")
    defaults = session_class("defaults")
    for name, value in data.items():
        if not hasattr(defaults, name):
            continue
        problem = _type_problem(getattr(defaults, name), value)
        if problem:
            raise InputError(f"{path}: field '{name}' {problem}")
    try:
        session = session_class.from_dict(data)
        session.facts(session.last_event_at)  # reading the facts once proves the state is usable
    except EventError as error:
        raise InputError(f"{path}: field '{error.field}' {error.message}") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
        raise InputError(f"{path}: not a stored session ({type(error).__name__}: {error})") from None
    return session, float(session.last_event_at)


def _type_problem(default: Any, value: Any) -> str | None:
    """Why ``value`` cannot stand where a session keeps ``default``, or None when it can."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, bool):
        return None if isinstance(value, bool) else f"must be true or false, got {_kind(value)}"
    if isinstance(default, (int, float)) or default is None:
        if number and math.isfinite(value):
            return None
        if default is None and value is None:
            return None
        return f"must be a number, got {_kind(value)}"
    if isinstance(default, str):
        return None if isinstance(value, str) else f"must be a string, got {_kind(value)}"
    if isinstance(default, list):
        return None if isinstance(value, list) else f"must be a list, got {_kind(value)}"
    if isinstance(default, dict):
        return None if isinstance(value, dict) else f"must be an object, got {_kind(value)}"
    return None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) < 40 else "a string"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    return "an object"


def parse_at(text: str) -> float:
    """``--at``: seconds (or milliseconds) since the epoch, or an ISO 8601 time (UTC when no offset is given)."""
    try:
        value = float(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise InputError(f"--at: expected an ISO 8601 time like 2026-11-23T09:30:00Z or seconds since "
                             f"the epoch, got {text!r}") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    if not math.isfinite(value) or value < 0:
        raise InputError(f"--at: expected a time, got {text!r}")
    return value / 1000 if value > 1e11 else value  # 13-digit values are milliseconds, like events' t


def parse_availability(text: str, needed: Sequence[str] | None = None) -> dict[str, int]:
    """``experts=1,advisors=0`` → ``{"experts": 1, "advisors": 0}``; with ``needed`` (the pools the rules'
    channels need), a pool none of them needs is refused: a typo would otherwise count nobody quietly."""
    pools: dict[str, int] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, equals, count = part.partition("=")
        name = name.strip()
        if not equals or not name:
            raise InputError(f"--availability: expected POOL=N (e.g. experts=1), got {part.strip()!r}")
        if needed is not None and name not in needed:
            from rules.loader import did_you_mean

            close = did_you_mean(name, needed)
            hint = f"did you mean '{close}'?" if close else f"the channels need: {', '.join(needed) or 'no pool'}"
            raise InputError(f"--availability: no channel needs pool '{name}' ({hint})")
        try:
            pools[name] = int(count.strip())
        except ValueError:
            raise InputError(f"--availability: {name} must be a whole number, got {count.strip()!r}") from None
        if pools[name] < 0:
            raise InputError(f"--availability: {name} cannot be negative, got {pools[name]}")
    return pools


# ------------------------------------------------------------------------------------------ output


def iso(moment: float) -> str:
    """UTC ISO 8601 time to the second, e.g. ``2026-11-23T09:30:00Z``."""
    return datetime.fromtimestamp(moment, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _seconds(delta: float) -> str:
    return f"{delta:.1f}" if delta < 10 else f"{delta:.0f}"


def _number(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e6 else f"{value:.0f}"


def render(decision: Any, session_id: str, now: float, availability: Mapping[str, int], *, assumed: bool) -> str:
    """The human-readable explanation ``clickto explain`` prints."""
    lines = [f"session {session_id} at {iso(now)}"]
    if decision.held_out:
        lines.append(f"decision: nothing (held out: rule '{decision.rule_id}' matched, and this session is in "
                     f"its holdout share)")
    elif decision.channel is not None:
        lines.append(f"decision: {decision.channel} \"{decision.label}\" (rule '{decision.rule_id}')")
    elif decision.rule_id is not None:
        lines.append(f"decision: nothing (rule '{decision.rule_id}' says show: none)")
    elif any(" matched but " in reason for reason in decision.reasons):   # ruleset.decide's words for a blocked rule
        lines.append("decision: nothing (no rule could show: see reasons)")
    else:
        lines.append("decision: nothing (no rule matched)")
    if decision.reasons:
        lines.append("reasons:")
        lines += [f"  - {reason}" for reason in decision.reasons]
    if decision.scores:
        lines.append("scores: " + ", ".join(f"{name} {_number(value)}" for name, value in decision.scores.items()))
    if decision.next_check is None:
        lines.append("next check: none (nothing changes until the next event)")
    else:
        lines.append(f"next check: {iso(decision.next_check)} (in {_seconds(decision.next_check - now)} s)")
    if decision.rule_id is None and decision.near_misses:
        lines.append("closest rules:")
        for miss in decision.near_misses:
            lines.append(f"  - {miss['rule']}: " + "; ".join(miss["failed"]))
    pools = ", ".join(f"{name}={count}" for name, count in availability.items()) or "none declared"
    lines.append(f"availability: {pools}" + (" (assumed; set with --availability)" if assumed else ""))
    return "\n".join(lines)
