"""The demo's confirmation page records the order (``clickto.track('order', {value})`` through the tag's stub
queue) in a real Chromium, so the finished session becomes a training row with Revenue TRUE."""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
from playwright.sync_api import expect

from clickto.testing import free_port, run_coroutine, serve_app
from e2e.pages import ProductPage

from .conftest import pay, to_payment

pytestmark = pytest.mark.browser


def test_confirmation_page_records_the_order_and_the_session_becomes_a_row(browser):
    pytest.importorskip("sdk")
    from demo_shop.demo import DEFAULT_RULES, build_demo

    port = free_port()
    app = build_demo(DEFAULT_RULES, [f"http://127.0.0.1:{port}"], admin_token="demo-admin")
    service = app.state.service.state.service
    context = browser.new_context()
    try:
        with serve_app(app, port=port, timeout_graceful_shutdown=1) as server:
            page = context.new_page()
            payment = (ProductPage(page, server.url).open("7").add_to_cart().checkout().fill().submit()
                       .expect_loaded().choose("Express delivery").submit())

            def carries_order(response) -> bool:
                body = response.request.post_data or ""
                return response.url.endswith("/v1/events") and '"type":"order"' in body.replace(" ", "")

            with page.expect_response(carries_order) as answer:
                confirmation = payment.fill().pay()
            assert answer.value.ok
            total = confirmation.page.get_by_test_id("order-total").inner_text()
            expect(page).to_have_url(re.compile(r"/checkout/confirmation$"))
            session_id = confirmation.tag_session()
            session = run_coroutine(service.store.get(("demo", session_id), time.time()))
            assert session.ordered is True
            assert session.order_value == pytest.approx(float(total.lstrip("€").replace(",", "")))
    finally:
        context.close()
    # the server stopped: the shutdown flush wrote the live session as a row, with its outcome
    rows = list(csv.DictReader(io.StringIO("".join(service.export.lines("demo")))))
    assert [row["Revenue"] for row in rows] == ["TRUE"]
    assert int(rows[0]["Administrative"]) >= 4          # cart + address, shipping, payment (the row stops
                                                        # where the order page began: docs/intent.md)
    assert int(rows[0]["ProductRelated"]) >= 1


def test_confirmation_page_pushes_the_order_value(client):
    to_payment(client, product_id="7", method="express")          # €899.00 + €9.90
    page = pay(client).text
    assert "window.clickto = window.clickto || [];" in page
    assert "clickto.push(['track', 'order', {value: 908.9}]);" in page
    assert "'order'" not in client.get("/cart").text                # only the confirmation records an order


def test_the_order_is_recorded_once_not_on_every_reload_or_later_visit(client):
    """A reload of the confirmation or a visit days later (the cookie lives 14 days) showed the page again with
    the order event: the site statistics counted the order value twice and later sessions looked like buyers."""
    to_payment(client, product_id="7", method="express")
    first = pay(client).text
    assert first.count("clickto.push(['track', 'order'") == 1
    number = re.search(r'data-testid="order-number">(NW-\d{8})<', first).group(1)
    client.get("/")
    for later in (client.get("/checkout/confirmation"), client.get("/checkout/confirmation")):
        assert later.url.path == "/checkout/confirmation"
        assert number in later.text and 'data-testid="order-total">€908.90' in later.text   # still shown
        assert "'order'" not in later.text                                                   # not recorded again
    to_payment(client, product_id="1")                                 # a new order is recorded, once
    assert "clickto.push(['track', 'order', {value: 189.0}]);" in pay(client).text
    assert "'order'" not in client.get("/checkout/confirmation").text
