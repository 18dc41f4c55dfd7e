"""Schedules: wall-clock windows in a timezone, across midnight and daylight-saving changes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from rules.errors import RuleError
from rules.model import Schedule
from rules.schedule import (changes_between, describe, in_schedule, next_change, next_window_end,
                            next_window_start, zone)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_18 = Schedule("Europe/Paris", days=(0, 1, 2, 3, 4), hours=((9 * 60, 18 * 60),))


def at(year, month, day, hour, minute=0, tz=PARIS) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=tz).timestamp()


def local(moment: float, tz=PARIS) -> datetime:
    return datetime.fromtimestamp(moment, tz)


def test_inside_and_outside_business_hours():
    # 2026-11-23 is a Monday
    assert in_schedule(WEEKDAYS_9_TO_18, at(2026, 11, 23, 9, 0))
    assert in_schedule(WEEKDAYS_9_TO_18, at(2026, 11, 23, 17, 59))
    assert not in_schedule(WEEKDAYS_9_TO_18, at(2026, 11, 23, 18, 0))   # end is exclusive
    assert not in_schedule(WEEKDAYS_9_TO_18, at(2026, 11, 23, 8, 59))
    assert not in_schedule(WEEKDAYS_9_TO_18, at(2026, 11, 28, 12, 0))   # Saturday


def test_the_timezone_decides_not_utc():
    # 08:30 UTC is 09:30 in Paris (winter) but 03:30 in New York
    moment = datetime(2026, 11, 23, 8, 30, tzinfo=ZoneInfo("UTC")).timestamp()
    assert in_schedule(WEEKDAYS_9_TO_18, moment)
    assert not in_schedule(Schedule("America/New_York", days=(0, 1, 2, 3, 4), hours=((540, 1080),)), moment)


def test_window_across_midnight_belongs_to_the_day_it_starts():
    friday_night = Schedule("Europe/Paris", days=(4,), hours=((22 * 60, 2 * 60),))
    assert in_schedule(friday_night, at(2026, 11, 27, 23, 0))       # Friday 23:00
    assert in_schedule(friday_night, at(2026, 11, 28, 1, 30))       # Saturday 01:30, still Friday's window
    assert not in_schedule(friday_night, at(2026, 11, 28, 2, 0))
    assert not in_schedule(friday_night, at(2026, 11, 28, 23, 0))   # Saturday night is not scheduled
    assert not in_schedule(friday_night, at(2026, 11, 27, 1, 0))    # Friday 01:00 belongs to Thursday


def test_end_past_1440_means_the_same_as_wrapping():
    wrapped = Schedule("UTC", days=(0,), hours=((1320, 120),))
    spilled = Schedule("UTC", days=(0,), hours=((1320, 1560),))
    for hour in range(0, 48):
        moment = at(2026, 11, 23, 0, tz=ZoneInfo("UTC")) + hour * 1800
        assert in_schedule(wrapped, moment) == in_schedule(spilled, moment)


def test_next_window_start_from_friday_evening_is_monday_morning():
    start = next_window_start(WEEKDAYS_9_TO_18, at(2026, 11, 27, 19, 0))
    assert local(start) == datetime(2026, 11, 30, 9, 0, tzinfo=PARIS)


def test_next_window_start_when_inside_is_the_next_opening():
    start = next_window_start(WEEKDAYS_9_TO_18, at(2026, 11, 23, 12, 0))
    assert local(start) == datetime(2026, 11, 24, 9, 0, tzinfo=PARIS)
    assert local(next_window_end(WEEKDAYS_9_TO_18, at(2026, 11, 23, 12, 0))) == datetime(2026, 11, 23, 18, 0,
                                                                                         tzinfo=PARIS)


def test_spring_forward_window_in_the_skipped_hour_opens_when_clocks_jump():
    # 2026-03-29 02:00 Paris: clocks jump to 03:00; a window starting at 02:30 opens at the jump
    early = Schedule("Europe/Paris", hours=((150, 600),))
    start = next_window_start(early, at(2026, 3, 28, 12, 0))
    assert datetime.fromtimestamp(start, ZoneInfo("UTC")) == datetime(2026, 3, 29, 1, 0, tzinfo=ZoneInfo("UTC"))
    assert in_schedule(early, start)
    assert not in_schedule(early, start - 1)


def test_business_hours_keep_their_wall_time_across_dst():
    # 9:00 New York is 14:00 UTC in winter and 13:00 UTC in summer
    schedule = Schedule("America/New_York", hours=((540, 1080),))
    winter = next_window_start(schedule, at(2026, 3, 6, 20, 0, tz=NEW_YORK))
    summer = next_window_start(schedule, at(2026, 3, 9, 20, 0, tz=NEW_YORK))
    assert datetime.fromtimestamp(winter, ZoneInfo("UTC")).hour == 14
    assert datetime.fromtimestamp(summer, ZoneInfo("UTC")).hour == 13


def test_fall_back_ambiguous_hour_counts_by_wall_time():
    # 2026-10-25 03:00 CEST → 02:00 CET: 02:00-03:00 happens twice; a 01:00-02:30 window re-opens
    schedule = Schedule("Europe/Paris", hours=((60, 150),))
    start = at(2026, 10, 25, 0, 30)
    flips = changes_between(schedule, start, start + 6 * 3600)
    states = [in_schedule(schedule, moment) for moment in flips]
    assert states == [True, False, True, False]
    assert flips == sorted(flips)


def test_next_change_is_none_for_an_always_open_schedule():
    assert next_change(Schedule("UTC"), at(2026, 11, 23, 12)) is None
    assert in_schedule(Schedule("UTC"), at(2026, 11, 23, 12))


def test_schedule_with_no_days_never_opens():
    closed = Schedule("UTC", days=())
    assert not in_schedule(closed, at(2026, 11, 23, 12))
    assert next_window_start(closed, at(2026, 11, 23, 12)) is None


def test_unknown_timezone_is_a_rule_error():
    with pytest.raises(RuleError, match="unknown timezone 'Mars/Olympus'"):
        zone("Mars/Olympus")


def test_describe_in_words():
    assert describe(WEEKDAYS_9_TO_18) == "Mon-Fri 09:00-18:00 Europe/Paris"
    assert describe(Schedule("UTC", days=(5, 6), hours=((1320, 120),))) == "Sat,Sun 22:00-02:00 UTC"
    assert describe(Schedule("UTC")) == "every day 00:00-24:00 UTC"
