"""The service's cheap event check (``event_is_clean``) never lets through what the full check refuses."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from rules import EventError
from rules.facts import CHECKOUT_STEPS, DEVICE_TYPES, PAGE_TYPES
from rules.session import (
    EVENT_FIELDS,
    MAX_STRING,
    check_event,
    event_is_clean,
    validate_event,
)

NAMES = sorted({name for fields in EVENT_FIELDS.values() for name in fields} | {"t", "type", "extra"})
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([*PAGE_TYPES, *CHECKOUT_STEPS, *DEVICE_TYPES, "", "x" * (MAX_STRING + 1), "/p/1"]),
    st.text(max_size=20), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
EVENTS = st.builds(
    lambda kind, fields: {"type": kind, **fields},
    st.one_of(st.sampled_from(sorted(EVENT_FIELDS)), st.text(max_size=8), st.none(), st.integers()),
    st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=6),
)


def accepted(event: object) -> bool:
    try:
        check_event(event)
    except EventError:
        return False
    return True


@settings(max_examples=1000, deadline=None)
@given(EVENTS)
def test_clean_events_pass_the_full_check(event):
    if event_is_clean(event):
        assert accepted(event), event
    assert accepted(event) == _validates(event)


def _validates(event: object) -> bool:
    try:
        validate_event(event)
    except EventError:
        return False
    return True


def test_what_the_tag_sends_takes_the_cheap_path():
    events = [
        {"type": "page_view", "t": 1.7e12, "url": "https://shop.test/p/1", "path": "/p/1", "page_type": "product",
         "category": "rods", "price": 19.9, "device": "desktop", "visit_count": 2, "spa": False},
        {"type": "activity", "t": 1700000000000},
        {"type": "visibility", "t": 1.7e12, "visible": True},
        {"type": "cart", "t": 1.7e12, "value": 120, "items": 2},
        {"type": "checkout_step", "t": 1.7e12, "step": "shipping"},
        {"type": "form_error", "field": "zip", "message": "invalid"},
    ]
    assert all(event_is_clean(event) for event in events)


def test_the_cheap_path_leaves_the_naming_to_the_full_check():
    for event, field in (({"type": "cart", "value": -1}, "value"), ({"type": "activity", "t": None}, "t"),
                         ({"type": "page_view", "url": "u", "page_type": "shop"}, "page_type"),
                         ({"type": "cart", "value": math.inf}, "value"),
                         ({"type": "custom", "data": {"a.b": 1}}, "data.a.b")):
        assert not event_is_clean(event)
        try:
            validate_event(event)
        except EventError as error:
            assert error.field == field
        else:
            raise AssertionError(f"{event} was accepted")
    validate_event({"type": "cart", "value": 10, "items": 2.0})   # whole floats: the long way, still accepted
