"""A finished session's training row describes the visit up to the page its order arrived on, so buyers' rows
do not carry the outcome (the confirmation page, its seconds, later pages) and a buyer and an abandoner who did
the same things before that page get the same row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rules.intent import session_to_row
from rules.intent.rows import training_facts
from rules.session import Session
from sdk.export import TrainingExport
from sdk.sitestats import SiteStatsBook
from tests.demo.visits import page_view, simulate

AUGUST_FRIDAY = datetime(2026, 8, 28, 23, 57, tzinfo=UTC).timestamp()   # the buyer goes home on Saturday


def demo_checkout(*, buy: bool) -> Session:
    """The demo shop's checkout as the tag reports it: product, cart, address, shipping, payment, then either the
    confirmation page with its order event (and a look at the home page afterwards) or the visitor just leaves."""
    steps = [(0, page_view("/product/7", "product", product="7", price=899.0)),
             (40, page_view("/cart", "cart", cart_value=899.0, cart_items=1)),
             (55, page_view("/checkout/address", "checkout", checkout_step="address")),
             (95, page_view("/checkout/shipping", "checkout", checkout_step="shipping")),
             (110, page_view("/checkout/payment", "checkout", checkout_step="payment"))]
    if buy:
        steps += [(150, page_view("/checkout/confirmation", "checkout", checkout_step="confirmation")),
                  (151, {"type": "order", "value": 908.9}),
                  (190, page_view("/", "home"))]
    else:
        steps += [(150, {"type": "activity"})]          # last seen when the buyer's confirmation page began
    return simulate(AUGUST_FRIDAY, *steps)


def exported_row(session: Session, stats: SiteStatsBook | None = None) -> dict[str, str]:
    export = TrainingExport(["demo"], stats=stats)
    assert export.finish(("demo", session.session_id), session)
    header, line = list(export.lines("demo"))
    return dict(zip(header.strip().split(","), line.strip().split(",")))


def test_a_buyer_and_an_abandoner_with_the_same_visit_get_the_same_row_but_the_label():
    buyer, abandoner = exported_row(demo_checkout(buy=True)), exported_row(demo_checkout(buy=False))
    assert (buyer.pop("Revenue"), abandoner.pop("Revenue")) == ("TRUE", "FALSE")
    assert buyer == abandoner
    assert buyer["Administrative"] == "4"                          # cart, address, shipping, payment
    assert float(buyer["Administrative_Duration"]) == pytest.approx(110)
    assert buyer["ProductRelated"] == "1" and float(buyer["ProductRelated_Duration"]) == pytest.approx(40)
    assert buyer["Month"] == "Aug" and buyer["Weekend"] == "FALSE"   # when the order page began (Friday)


def test_the_snapshot_is_taken_at_the_first_order_and_survives_storage():
    session = demo_checkout(buy=True)
    session.apply({"type": "page_view", "url": "http://127.0.0.1:8000/checkout/confirmation",
                   "page_type": "checkout"}, AUGUST_FRIDAY + 300)
    session.apply({"type": "order", "value": 10.0}, AUGUST_FRIDAY + 301)   # a second order changes nothing
    restored = Session.from_dict(session.to_dict())
    for each in (session, restored):
        facts = training_facts(each)
        assert facts["session"]["pages"] == 5
        assert {kind: counts["pages"] for kind, counts in facts["session"]["by_type"].items()} == \
            {"product": 1, "cart": 1, "checkout": 3}
    assert session_to_row(training_facts(restored), ordered=True)["Administrative"] == "4"


def test_a_session_without_an_order_is_described_when_last_seen():
    session = demo_checkout(buy=False)
    facts = training_facts(session)
    assert facts["session"]["by_type"]["checkout"]["pages"] == 3
    assert facts["session"]["by_type"]["checkout"]["seconds"] == pytest.approx(95)   # 40 + 15 + 40 on payment


def test_site_statistics_of_a_buyer_row_leave_out_the_order_page():
    def stats_after_earlier_orders() -> SiteStatsBook:
        book = SiteStatsBook(["demo"], min_sessions=1)
        for _ in range(3):                     # earlier buyers: the confirmation page is worth a lot
            book.add("demo", demo_checkout(buy=True))
        book.add("demo", demo_checkout(buy=False))
        return book

    buyer = exported_row(demo_checkout(buy=True), stats_after_earlier_orders())
    abandoner = exported_row(demo_checkout(buy=False), stats_after_earlier_orders())
    assert float(buyer["PageValues"]) > 0
    for column in ("BounceRates", "ExitRates", "PageValues"):
        assert buyer[column] == abandoner[column]
