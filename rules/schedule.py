"""Business-hours schedules: is a moment inside a rule's weekly windows, and when does that next change.

Windows are wall-clock times in the schedule's IANA timezone, so "9:00-18:00 Europe/Paris" means 9 to 18 in
Paris all year round, across daylight-saving changes. A window ``[start, end)`` in minutes after local midnight
belongs to the day it starts on; ``end <= start`` (or ``end > 1440``) means it runs past midnight into the
next day. On a spring-forward day a window that starts inside the skipped hour opens when the clocks jump.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rules.errors import RuleError
from rules.model import Schedule

DAY_MINUTES = 24 * 60
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SCAN_DAYS = 9
"""How far ``next_window_start`` and friends look ahead: a weekly schedule repeats within 8 days."""


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for ``name``; a ``RuleError`` naming it when the timezone is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise RuleError(f"unknown timezone '{name}' (use an IANA name such as 'Europe/Paris')") from error


@lru_cache(maxsize=1024)
def _windows(schedule: Schedule) -> tuple[tuple[int, int], ...]:
    """Windows as ``(start, end)`` minutes with ``end > start``; ends past 1440 spill into the next day."""
    result = []
    for start, end in schedule.hours:
        if end <= start:
            end += DAY_MINUTES
        result.append((start, end))
    return tuple(result)


def in_schedule(schedule: Schedule, now: float) -> bool:
    """True when ``now`` (epoch seconds) falls inside one of the schedule's windows, in its local time."""
    local = datetime.fromtimestamp(now, zone(schedule.timezone))
    minute = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
    weekday = local.weekday()
    days = schedule.days
    for start, end in _windows(schedule):
        if weekday in days and start <= minute < end:
            return True
        if end > DAY_MINUTES and (weekday - 1) % 7 in days and start <= minute + DAY_MINUTES < end:
            return True
    return False


class ScheduleGate:
    """A schedule's in-window test for the hot path: the answer is remembered for the current minute.

    Windows start and end on whole minutes and UTC offsets are whole minutes, so being inside cannot
    change within a UTC minute.
    """

    __slots__ = ("schedule", "text", "_minute", "_inside")

    def __init__(self, schedule: Schedule) -> None:
        zone(schedule.timezone)  # fail early on an unknown timezone
        self.schedule = schedule
        self.text = describe(schedule)
        self._minute = -1
        self._inside = False

    def inside(self, now: float) -> bool:
        minute = int(now // 60)
        if minute != self._minute:
            self._inside = in_schedule(self.schedule, minute * 60.0)
            self._minute = minute
        return self._inside


def _wall_instants(day: date, minutes: int, tz: ZoneInfo) -> list[float]:
    """Epoch instants at which local wall time ``day + minutes`` happens or, in a DST gap, is jumped over.

    An ambiguous wall time (clocks going back) happens twice, and the moment the clocks go back lies between;
    a skipped one (clocks going forward) never happens, and the moment the clocks jump past it is what matters.
    """
    naive = datetime(day.year, day.month, day.day) + timedelta(minutes=minutes)
    first = naive.replace(tzinfo=tz, fold=0).timestamp()
    second = naive.replace(tzinfo=tz, fold=1).timestamp()
    if first == second:
        return [first]
    if first < second:  # ambiguous: both are real, and the clocks going back in between may re-enter a window
        return [first, _offset_change(first, second, tz), second]
    return [_offset_change(second, first, tz)]  # skipped: the transition lies between the two readings


def _offset_change(low: float, high: float, tz: ZoneInfo) -> float:
    """The instant in ``[low, high]`` where ``tz``'s UTC offset changes (bisection to the second)."""
    before = datetime.fromtimestamp(low, tz).utcoffset()
    while high - low > 1.0:
        middle = (low + high) / 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == before:
            low = middle
        else:
            high = middle
    return float(int(high)) if datetime.fromtimestamp(int(high), tz).utcoffset() != before else high


def transitions(schedule: Schedule, start: float, end: float) -> list[float]:
    """Sorted instants in ``(start, end]`` at which ``in_schedule`` may flip (window opens and closes)."""
    tz = zone(schedule.timezone)
    first_day = datetime.fromtimestamp(start, tz).date() - timedelta(days=1)
    last_day = datetime.fromtimestamp(end, tz).date()
    found: set[float] = set()
    day = first_day
    while day <= last_day:
        if day.weekday() in schedule.days:
            for window_start, window_end in _windows(schedule):
                for minutes in (window_start, window_end):
                    spill, rest = divmod(minutes, DAY_MINUTES)
                    for instant in _wall_instants(day + timedelta(days=spill), rest, tz):
                        if start < instant <= end:
                            found.add(instant)
        day += timedelta(days=1)
    return sorted(found)


def next_change(schedule: Schedule, now: float, horizon: float = SCAN_DAYS * 86400.0) -> float | None:
    """The first instant after ``now`` at which being inside the schedule differs from ``now``; None if never."""
    flips = changes_between(schedule, now, now + horizon)
    return flips[0] if flips else None


def next_window_start(schedule: Schedule, now: float) -> float | None:
    """When the schedule next opens after ``now`` (the next opening after the current window when inside)."""
    return _next_flip_to(schedule, now, inside=True)


def next_window_end(schedule: Schedule, now: float) -> float | None:
    """When the schedule next closes after ``now`` (the end of the next window when outside)."""
    return _next_flip_to(schedule, now, inside=False)


def _next_flip_to(schedule: Schedule, now: float, *, inside: bool) -> float | None:
    for instant in changes_between(schedule, now, now + SCAN_DAYS * 86400.0):
        if in_schedule(schedule, instant) == inside:
            return instant
    return None


def changes_between(schedule: Schedule, start: float, end: float) -> list[float]:
    """Every instant in ``(start, end]`` where being inside the schedule actually flips, in time order."""
    result = []
    previous = in_schedule(schedule, start)
    for instant in transitions(schedule, start, end):
        state = in_schedule(schedule, instant)
        if state != previous:
            result.append(instant)
            previous = state
    return result


@lru_cache(maxsize=1024)
def _hourly_flips(schedule: Schedule, hour: int, hours: int) -> tuple[float, ...]:
    return tuple(changes_between(schedule, hour * 3600.0, (hour + hours) * 3600.0))


def flips_within(schedule: Schedule, now: float, seconds: float) -> list[float]:
    """``changes_between(schedule, now, now + seconds)``, computed once per hour and schedule (cached)."""
    hour = int(now // 3600)
    end = now + seconds
    hours = int(seconds // 3600) + 2
    return [instant for instant in _hourly_flips(schedule, hour, hours) if now < instant <= end]


def describe(schedule: Schedule) -> str:
    """Human words for a schedule, e.g. ``Mon-Fri 09:00-18:00 Europe/Paris``."""
    days = sorted(set(schedule.days))
    if days == list(range(7)):
        day_text = "every day"
    elif days and days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        day_text = f"{DAY_NAMES[days[0]]}-{DAY_NAMES[days[-1]]}"
    else:
        day_text = ",".join(DAY_NAMES[day] for day in days)
    hours = ", ".join(f"{_clock(start)}-{_clock(end)}" for start, end in schedule.hours)
    return f"{day_text} {hours} {schedule.timezone}"


def _clock(minutes: int) -> str:
    if minutes > DAY_MINUTES:
        minutes -= DAY_MINUTES
    hours, rest = divmod(minutes, 60)
    return f"{hours:02d}:{rest:02d}"


__all__ = ["in_schedule", "next_change", "next_window_start", "next_window_end", "changes_between",
           "transitions", "flips_within", "describe", "zone", "ScheduleGate"]
