"""The small text formats of a rule file: cooldowns, days, hours, holdout, timezone."""

from __future__ import annotations

import pytest

from rules.loader_formats import parse_cooldown, parse_days, parse_holdout, parse_hours, parse_timezone
from rules.model import ONCE_PER_SESSION


@pytest.mark.parametrize(("written", "seconds"), [
    ("30s", 30.0), ("10m", 600.0), ("2h", 7200.0), ("1d", 86400.0), ("1h30m", 5400.0), ("1.5h", 5400.0),
    ("2H", 7200.0), ("90", 90.0), (45, 45.0), (2.5, 2.5), (0, 0.0), ("session", ONCE_PER_SESSION),
    ("Session", ONCE_PER_SESSION), ("1e3", 1000.0), (" +12.5 ", 12.5), ("2h\u00a030m", 9000.0),
])
def test_cooldown_formats(written, seconds) -> None:
    assert parse_cooldown(written) == seconds


@pytest.mark.parametrize(("written", "message"), [
    ("soon", "cooldown must be a duration like 30s, 10m, 2h or 1d, a number of seconds, or 'session' "
             "(once per session), got 'soon'"),
    ("10 minutes", "cooldown must be a duration like 30s, 10m, 2h or 1d, a number of seconds, or 'session' "
                   "(once per session), got '10 minutes'"),
    (True, "cooldown must be a duration like 30s, 10m, 2h or 1d, a number of seconds, or 'session' "
           "(once per session), got true"),
    ([1], "cooldown must be a duration like 30s, 10m, 2h or 1d, a number of seconds, or 'session' "
          "(once per session), got a list"),
    (-5, "cooldown must not be negative, got -5"),
    *((text, "cooldown must be a duration like 30s, 10m, 2h or 1d, a number of seconds, or 'session' "
             f"(once per session), got '{text}'") for text in ("1_000", "-0", "nan", "-5", "٣٠", "３０m")),
    (float("inf"), "cooldown must be a duration like 30s, 10m, 2h or 1d, a number of seconds, or 'session' "
                   "(once per session), got inf"),
])
def test_cooldown_errors(written, message) -> None:
    with pytest.raises(ValueError) as caught:
        parse_cooldown(written)
    assert str(caught.value) == message


@pytest.mark.parametrize(("written", "percent"), [(10, 10.0), (0, 0.0), (100, 100.0), (2.5, 2.5), ("10%", 10.0)])
def test_holdout_formats(written, percent) -> None:
    assert parse_holdout(written) == percent


@pytest.mark.parametrize(("written", "message"), [
    (150, "holdout must be between 0 and 100 (a percentage), got 150"),
    (-1, "holdout must be between 0 and 100 (a percentage), got -1"),
    ("ten", "holdout must be a percentage between 0 and 100, got 'ten'"),
    ("x%", "holdout must be a percentage between 0 and 100, got 'x%'"),
    (False, "holdout must be a percentage between 0 and 100, got false"),
])
def test_holdout_errors(written, message) -> None:
    with pytest.raises(ValueError) as caught:
        parse_holdout(written)
    assert str(caught.value) == message


@pytest.mark.parametrize(("written", "days"), [
    ("mon-fri", (0, 1, 2, 3, 4)), ("sat-sun", (5, 6)), ("fri-mon", (0, 4, 5, 6)), ("mon,wed,fri", (0, 2, 4)),
    (["mon", "tue"], (0, 1)), (["mon-wed", "sat"], (0, 1, 2, 5)), ("Monday-Tuesday", (0, 1)), ("sun", (6,)),
    ("mon-sun", (0, 1, 2, 3, 4, 5, 6)),
])
def test_days_formats(written, days) -> None:
    assert parse_days(written) == days


@pytest.mark.parametrize(("written", "message"), [
    ("mon-fry", "unknown day 'fry' (use mon, tue, wed, thu, fri, sat, sun or a range like mon-fri)"),
    (["mon", 3], "days must be day names like mon or ranges like mon-fri, got 3"),
    ([], "days must be a range like mon-fri or a list like [mon, tue], got a list"),
    (5, "days must be a range like mon-fri or a list like [mon, tue], got 5"),
    ("mon,,tue", "days has an empty entry in 'mon,,tue'"),
])
def test_days_errors(written, message) -> None:
    with pytest.raises(ValueError) as caught:
        parse_days(written)
    assert str(caught.value) == message


@pytest.mark.parametrize(("written", "hours"), [
    ("09:00-18:00", ((540, 1080),)), ("9-18", ((540, 1080),)), ("00:00-24:00", ((0, 1440),)),
    (["13:30-19:00", "09:00-12:30"], ((540, 750), (810, 1140))), ("22:00-02:00", ((1320, 120),)),
])
def test_hours_formats(written, hours) -> None:
    assert parse_hours(written) == hours


@pytest.mark.parametrize(("written", "message"), [
    ("09:00", "hours '09:00' must be a range like 09:00-18:00"),
    ("9am-5pm", "hours '9am-5pm' must look like 09:00-18:00"),
    ("09:00-25:00", "hours '09:00-25:00' has an impossible time '25:00'"),
    ("09:60-10:00", "hours '09:60-10:00' has an impossible time '09:60'"),
    ("10:00-10:00", "hours '10:00-10:00' starts and ends at the same time (use 00:00-24:00 for the whole day)"),
    ("24:00-02:00", "hours '24:00-02:00' cannot start at 24:00 (write 00:00)"),
    (540, "hours must be a range like \"09:00-18:00\" or a list of such, got 540"),
    (["09:00-12:00", None], "hours must be a range like \"09:00-18:00\" or a list of such, got nothing"),
])
def test_hours_errors(written, message) -> None:
    with pytest.raises(ValueError) as caught:
        parse_hours(written)
    assert str(caught.value) == message


def test_timezone_must_exist_with_a_suggestion() -> None:
    assert parse_timezone("Europe/Paris") == "Europe/Paris"
    assert parse_timezone("UTC") == "UTC"
    with pytest.raises(ValueError, match=r"^unknown timezone 'Europe/Pari' \(did you mean 'Europe/Paris'\?\)$"):
        parse_timezone("Europe/Pari")
    with pytest.raises(ValueError, match=r"^unknown timezone '\.\./etc/passwd'"):
        parse_timezone("../etc/passwd")
    with pytest.raises(ValueError, match=r"^timezone must be an IANA name like 'Europe/Paris', got 1$"):
        parse_timezone(1)
