"""Session: events folded into facts, clocks that run on, validation that names the field."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.errors import EventError
from rules.facts import CLOCK_FACTS, FACTS, is_known_fact
from rules.session import EVENT_FIELDS, Session, infer_page_type, traffic_source, validate_event

T0 = 1_700_000_000.0


def view(url: str, **fields) -> dict:
    return {"type": "page_view", "url": url, **fields}


def fold(events: list[tuple[float, dict]], start: float = T0) -> Session:
    session = Session("s1", "demo", start)
    for offset, event in events:
        validate_event(event)
        session.apply(event, start + offset)
    return session


def get(facts: dict, path: str):
    value = facts
    for part in path.split("."):
        value = value[part]
    return value


def test_page_view_sets_page_facts_and_counts():
    session = fold([(0, view("https://shop.test/products/7", page_type="product", category="cameras",
                              product="7", price=499.0, title="Camera"))])
    facts = session.facts(T0 + 3)
    assert facts["page"]["type"] == "product"
    assert facts["page"]["category"] == "cameras"
    assert facts["page"]["product"] == "7"
    assert facts["page"]["price"] == 499.0
    assert facts["page"]["path"] == "/products/7"
    assert facts["page"]["dwell_seconds"] == 3.0
    assert facts["session"]["pages"] == 1
    assert facts["session"]["products"] == ["7"]
    assert facts["session"]["categories"] == ["cameras"]
    assert facts["session"]["landing_path"] == "/products/7"


def test_dwell_counts_only_while_visible_and_focused():
    session = fold([
        (0, view("https://shop.test/products/1", page_type="product")),
        (4, {"type": "visibility", "visible": False}),
        (30, {"type": "visibility", "visible": True}),
    ])
    assert session.facts(T0 + 36)["page"]["dwell_seconds"] == pytest.approx(10.0)
    assert session.clock_rates(T0 + 36)["page.dwell_seconds"] == 1.0
    hidden = fold([(0, view("https://shop.test/", page_type="home")), (2, {"type": "visibility", "visible": False})])
    assert hidden.clock_rates(T0 + 5)["page.dwell_seconds"] == 0.0
    assert hidden.facts(T0 + 500)["page"]["dwell_seconds"] == pytest.approx(2.0)


def test_page_view_hidden_from_the_start_does_not_count_dwell():
    session = fold([(0, view("https://shop.test/", page_type="home", visible=False))])
    assert session.facts(T0 + 20)["page"]["dwell_seconds"] == 0.0


def test_idle_resets_on_activity_and_interaction_events():
    session = fold([(0, view("https://shop.test/products/1", page_type="product")), (5, {"type": "activity"})])
    assert session.facts(T0 + 12)["page"]["idle_seconds"] == pytest.approx(7.0)
    session.apply({"type": "field_focus", "field": "zip"}, T0 + 12)
    assert session.facts(T0 + 13)["page"]["idle_seconds"] == pytest.approx(1.0)
    session.apply({"type": "button_shown", "channel": "chat", "rule": "r"}, T0 + 13)
    assert session.facts(T0 + 14)["page"]["idle_seconds"] == pytest.approx(2.0), "showing a button is not activity"


def test_new_page_resets_page_clocks_and_banks_time_per_page_type():
    session = fold([
        (0, view("https://shop.test/products/1", page_type="product")),
        (10, view("https://shop.test/products/2", page_type="product")),
        (15, view("https://shop.test/cart", page_type="cart")),
    ])
    facts = session.facts(T0 + 18)
    assert facts["page"]["dwell_seconds"] == pytest.approx(3.0)
    assert facts["session"]["by_type"]["product"] == {"pages": 2, "seconds": pytest.approx(15.0)}
    assert facts["session"]["by_type"]["cart"] == {"pages": 1, "seconds": pytest.approx(3.0)}
    assert facts["session"]["pages"] == 3
    assert facts["session"]["seconds"] == pytest.approx(18.0)


def test_checkout_step_clock_fields_and_errors():
    session = fold([
        (0, view("https://shop.test/checkout/address", page_type="checkout", checkout_step="address",
                 cart_value=120.5, cart_items=2)),
        (2, {"type": "field_focus", "field": "zip"}),
        (3, {"type": "form_error", "field": "zip", "message": "Enter a postcode"}),
        (9, view("https://shop.test/checkout/shipping", page_type="checkout", checkout_step="shipping")),
    ])
    facts = session.facts(T0 + 29)
    assert facts["checkout"]["step"] == "shipping"
    assert facts["checkout"]["step_seconds"] == pytest.approx(20.0)
    assert facts["checkout"]["steps_seen"] == ["address", "shipping"]
    assert facts["checkout"]["errors"] == 1
    assert facts["checkout"]["error_fields"] == ["zip"]
    assert facts["checkout"]["fields_focused"] == [], "fields focused are per step"
    assert facts["checkout"]["field_focus"] == "zip"
    assert facts["cart"] == {"value": 120.5, "items": 2}
    leaving = fold([(0, view("https://shop.test/checkout/address", page_type="checkout", checkout_step="address")),
                    (5, view("https://shop.test/", page_type="home"))])
    assert "step" not in leaving.facts(T0 + 6)["checkout"]
    assert "step_seconds" not in leaving.facts(T0 + 6)["checkout"]
    assert leaving.clock_rates(T0 + 6)["checkout.step_seconds"] == 0.0


def test_checkout_step_event_changes_step_without_page_view():
    session = fold([(0, view("https://shop.test/checkout", page_type="checkout", checkout_step="address")),
                    (4, {"type": "checkout_step", "step": "payment"})])
    assert session.facts(T0 + 5)["checkout"]["step"] == "payment"
    assert session.facts(T0 + 5)["checkout"]["step_seconds"] == pytest.approx(1.0)


def test_counters_cart_custom_and_order():
    session = fold([
        (0, view("https://shop.test/", page_type="home", device="mobile", visit_count=3)),
        (1, {"type": "back", "url": "https://shop.test/"}),
        (2, {"type": "exit_intent"}),
        (3, {"type": "cart", "value": 42.0, "items": 1}),
        (4, {"type": "custom", "data": {"segment": "vip", "customer": {"id": 7}}}),
        (5, {"type": "button_click", "channel": "chat", "rule": "r1"}),
        (6, {"type": "custom", "data": {"segment": None}}),
        (7, {"type": "order", "value": 42.0}),
    ])
    facts = session.facts(T0 + 8)
    assert facts["session"]["back_navigations"] == 1
    assert facts["session"]["exit_intents"] == 1
    assert facts["session"]["button_clicks"] == 1
    assert facts["session"]["visit_count"] == 3
    assert facts["session"]["returning"] is True
    assert facts["session"]["ordered"] is True
    assert facts["device"]["type"] == "mobile"
    assert facts["cart"] == {"value": 42.0, "items": 1}
    assert facts["custom"] == {"customer": {"id": 7}}, "a null custom value removes the key"


def test_events_out_of_order_never_run_clocks_backwards():
    session = fold([(10, view("https://shop.test/", page_type="home")), (4, {"type": "activity"})])
    facts = session.facts(T0 + 12)
    assert facts["page"]["idle_seconds"] == pytest.approx(2.0)
    assert facts["page"]["dwell_seconds"] == pytest.approx(2.0)


def test_version_grows_with_events_and_facts_are_fresh_dicts():
    session = fold([(0, view("https://shop.test/", page_type="home"))])
    before = session.version
    first = session.facts(T0 + 1)
    first["score"] = {"x": 1}
    assert "score" not in session.facts(T0 + 1)
    session.apply({"type": "activity"}, T0 + 2)
    assert session.version == before + 1


def test_facts_at_future_times_follow_clock_rates():
    session = fold([(0, view("https://shop.test/checkout/shipping", page_type="checkout", checkout_step="shipping"))])
    now = T0 + 5
    facts_now, rates = session.facts(now), session.clock_rates(now)
    later = session.facts(now + 7)
    for path in ("page.dwell_seconds", "page.idle_seconds", "session.seconds", "checkout.step_seconds"):
        assert path in CLOCK_FACTS
        assert get(later, path) == pytest.approx(get(facts_now, path) + 7 * rates[path])


def test_round_trip_through_dict_keeps_every_fact():
    session = fold([
        (0, view("https://shop.test/products/2?utm_medium=email", page_type="product", category="fishing")),
        (3, {"type": "cart", "value": 10, "items": 1}),
        (4, {"type": "custom", "data": {"tier": "gold"}}),
    ])
    session.display["showing"] = {"rule": "r", "since": T0 + 2}
    copy = Session.from_dict(json.loads(json.dumps(session.to_dict())))
    assert copy.facts(T0 + 9) == session.facts(T0 + 9)
    assert copy.display == session.display
    assert copy.version == session.version
    with pytest.raises(EventError):
        Session.from_dict({"site": "x"})


def test_every_fact_in_the_catalogue_is_produced():
    session = fold([
        (0, view("https://shop.test/products/2", page_type="product", category="fishing", product="2", price=9.5,
                 device="desktop", referrer="https://www.google.com/")),
        (1, {"type": "cart", "value": 10, "items": 1}),
    ])
    on_product = session.facts(T0 + 1.5)  # facts of the product page, before the checkout
    session.apply(view("https://shop.test/checkout/address", page_type="checkout", checkout_step="address"), T0 + 2)
    session.apply({"type": "field_focus", "field": "zip"}, T0 + 3)
    facts = session.facts(T0 + 5)
    missing = []
    for path in FACTS:
        if path.startswith("session.by_type.") and path.split(".")[2] not in ("product", "checkout"):
            continue
        for snapshot in (facts, on_product):
            try:
                get(snapshot, path)
                break
            except KeyError:
                pass
        else:
            missing.append(path)
    assert missing == [], "the catalogue lists facts the session never produces"
    assert facts["session"]["traffic_source"] == "search"


@pytest.mark.parametrize(
    ("event", "field", "words"),
    [
        ("not an object", "", "must be an object"),
        ({"url": "x"}, "type", "is required"),
        ({"type": "page_veiw", "url": "x"}, "type", "did you mean 'page_view'"),
        ({"type": "page_view"}, "url", "is required"),
        ({"type": "page_view", "url": 3}, "url", "must be a string"),
        ({"type": "page_view", "url": "x", "page_type": "landing"}, "page_type", "must be one of"),
        ({"type": "page_view", "url": "x", "price": -1}, "price", "must not be negative"),
        ({"type": "page_view", "url": "x", "spa": "yes"}, "spa", "true or false"),
        ({"type": "page_view", "url": "x" * 5000}, "url", "longer than"),
        ({"type": "cart", "value": "12"}, "value", "must be a number"),
        ({"type": "cart", "value": True}, "value", "must be a number"),
        ({"type": "cart", "value": float("nan")}, "value", "finite"),
        ({"type": "cart", "value": 3, "items": 1.5}, "items", "must be an integer"),
        ({"type": "checkout_step", "step": "delivery"}, "step", "must be one of"),
        ({"type": "visibility"}, "visible", "is required"),
        ({"type": "custom", "data": [1]}, "data", "must be an object"),
        ({"type": "custom", "data": {"a.b": 1}}, "data.a.b", "without dots"),
        ({"type": "custom", "data": {"deep": [[[[[1]]]]]}}, "data.deep[0][0][0][0]", "nested"),
        ({"type": "activity", "t": "now"}, "t", "must be a number"),
    ],
)
def test_validation_names_the_field(event, field, words):
    with pytest.raises(EventError) as caught:
        validate_event(event)
    assert caught.value.field == field
    assert words in caught.value.message


def test_unknown_fields_are_ignored_for_forward_compatibility():
    validate_event({"type": "activity", "pointer": "mouse"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(EVENT_FIELDS)), st.dictionaries(st.sampled_from(
    ["url", "path", "value", "items", "visible", "step", "field", "data", "page_type", "price", "t", "device"]),
    json_values, max_size=6))
def test_any_validated_event_folds_without_error(kind, fields):
    event = {**fields, "type": kind}
    try:
        validate_event(event)
    except EventError:
        return
    session = Session("p", "demo", T0)
    session.apply(event, T0 + 1)
    json.dumps(session.to_dict())
    session.facts(T0 + 2)


def test_page_type_inference_and_traffic_sources():
    assert infer_page_type("/") == "home"
    assert infer_page_type("/products/3") == "product"
    assert infer_page_type("/checkout/payment") == "checkout"
    assert infer_page_type("/blog/x") == "other"
    assert traffic_source("https://s.test/", "") == "direct"
    assert traffic_source("https://s.test/", "https://www.bing.com/search?q=x") == "search"
    assert traffic_source("https://s.test/", "https://l.facebook.com/") == "social"
    assert traffic_source("https://s.test/", "https://blog.example/") == "referral"
    assert traffic_source("https://s.test/", "https://s.test/other") == "internal"
    assert traffic_source("https://s.test/?utm_medium=email", "") == "email"
    assert traffic_source("https://s.test/?utm_source=news&utm_medium=cpc", "") == "campaign"


def test_catalogue_lookup():
    assert is_known_fact("page.dwell_seconds")
    assert is_known_fact("session.by_type.product.seconds")
    assert is_known_fact("session.by_type")
    assert is_known_fact("custom.anything.nested")
    assert not is_known_fact("custom.")
    assert is_known_fact("score.intent", {"intent"})
    assert not is_known_fact("score.intent")
    assert not is_known_fact("page.dwell")


def test_docs_list_every_fact():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "facts.md").read_text()
    undocumented = [path for path in FACTS
                    if f"`{path}`" not in text and not path.startswith("session.by_type.")]
    assert undocumented == []
