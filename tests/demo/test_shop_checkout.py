"""Checkout: three validated steps, guards against skipping ahead, confirmation with an order number."""

from __future__ import annotations

import re
from datetime import date

import pytest

from demo_shop.checkout import luhn_ok, validate_address, validate_payment

from .conftest import ADDRESS, CARD, add, body_attributes, cart_check, pay, to_payment


def test_address_validation_names_each_bad_field():
    result = validate_address({"name": "A", "email": "ana@", "street": "Main street", "postcode": "123",
                               "city": "", "country": "DE", "phone": "call me"})
    assert set(result.errors) == {"name", "email", "street", "postcode", "city", "phone"}
    assert "e.g. 20095" in result.errors["postcode"]
    assert validate_address(ADDRESS).ok
    assert validate_address({**ADDRESS, "country": "US"}).errors == {"country": "Choose a country we deliver to."}
    assert validate_address({**ADDRESS, "country": "NL", "postcode": "1012 ab"}).ok   # upper-cased
    assert validate_address({**ADDRESS, "phone": "+49 40 123456"}).ok


@pytest.mark.parametrize("number, ok", [("4242424242424242", True), ("4242424242424241", False),
                                         ("79927398713", True), ("79927398710", False)])
def test_luhn(number, ok):
    assert luhn_ok(number) is ok


def test_payment_validation():
    today = date(2026, 11, 23)
    assert validate_payment(CARD, today).ok
    assert validate_payment(CARD, today).values["card_last4"] == "4242"
    errors = validate_payment({"card_name": "", "card_number": "4242 4242 4242 4241", "expiry": "13/30",
                               "cvc": "12"}, today).errors
    assert set(errors) == {"card_name", "card_number", "expiry", "cvc"}
    assert "typo" in errors["card_number"]
    assert validate_payment({**CARD, "expiry": "10/26"}, today).errors == {"expiry": "This card has expired."}
    assert validate_payment({**CARD, "expiry": "11/2026"}, today).ok
    assert "digits" in validate_payment({**CARD, "card_number": "abcd"}, today).errors["card_number"]


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(client):
    for step in ("address", "shipping", "payment"):
        assert client.get(f"/checkout/{step}").url.path == "/cart"
    assert client.get("/checkout/confirmation").url.path == "/cart"


def test_skipping_ahead_goes_to_the_first_missing_step(client):
    add(client, "1")
    assert client.get("/checkout/payment").url.path == "/checkout/address"
    client.post("/checkout/address", data=ADDRESS)
    assert client.get("/checkout/payment").url.path == "/checkout/shipping"


def test_address_errors_are_shown_accessibly_and_keep_the_input(client):
    add(client, "1")
    response = client.post("/checkout/address", data={**ADDRESS, "email": "not-an-email", "postcode": "x"})
    assert response.status_code == 422
    # kept by no browser cache: after paying, Back must not show (nor report) the cart of this answer
    assert response.headers["cache-control"] == "no-store"
    assert client.get("/cart").headers["cache-control"] == "no-store"
    html = response.text
    email = re.search(r'<input id="f-email"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in email and 'aria-describedby="f-email-error' in email
    assert 'value="not-an-email"' in email
    assert '<p class="error" id="f-email-error">Enter an email address like name@example.com.</p>' in html
    assert 'id="f-postcode-error"' in html and 'role="alert"' in html
    name = re.search(r'<input id="f-name"[^>]*>', html).group(0)
    assert "aria-invalid" not in name and 'value="Ana Silva"' in name
    assert body_attributes(html)["checkout-step"] == "address"


def test_shipping_offers_several_methods_and_requires_one(client):
    add(client, "1")
    client.post("/checkout/address", data=ADDRESS)
    html = client.get("/checkout/shipping").text
    assert len(re.findall(r'type="radio" name="method"', html)) >= 3
    assert "Express delivery" in html and "Click &amp; collect" in html
    response = client.post("/checkout/shipping", data={"method": "teleport"})
    assert response.status_code == 422 and "Choose how you would like your order delivered." in response.text


def test_payment_errors_do_not_echo_card_number_or_cvc(client):
    to_payment(client)
    response = pay(client, card_number="4242 4242 4242 4241", cvc="99")
    assert response.status_code == 422
    assert "4242 4242 4242 4241" not in response.text
    assert 'id="f-card_number-error"' in response.text and 'id="f-cvc-error"' in response.text


def test_full_checkout_places_an_order_and_empties_the_cart(client):
    to_payment(client, product_id="7", method="express")          # €899.00 + €9.90
    payment = client.get("/checkout/payment").text
    assert 'data-testid="checkout-total">€908.90' in payment
    response = pay(client)
    assert response.url.path == "/checkout/confirmation"
    number = re.search(r'data-testid="order-number">(NW-\d{8})<', response.text)
    assert number, response.text
    assert 'data-testid="order-total">€908.90' in response.text
    assert "card ending 4242" in response.text
    attributes = body_attributes(response.text)
    assert attributes["checkout-step"] == "confirmation" and attributes["cart-items"] == "0"
    assert client.get("/checkout/address").url.path == "/cart"       # the cart is empty again


def test_free_standard_shipping_over_60_euros(client):
    to_payment(client, product_id="1", method="standard")          # €189.00
    assert 'data-testid="checkout-total">€189.00' in client.get("/checkout/payment").text


def test_oversized_form_is_refused(client):
    add(client, "1")
    response = client.post("/checkout/address", content=b"name=" + b"x" * 20000,
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


def test_a_cart_changed_in_another_tab_is_shown_again_not_charged(client):
    """Tab 1 shows "Pay €908.90"; tab 2 (same cookie) adds a camera; tab 1's Pay must not charge €2,607.90."""
    to_payment(client, product_id="7", method="express")             # €899.00 + €9.90
    tab1 = client.get("/checkout/payment").text
    assert "Pay €908.90" in tab1
    add(client, "8")                                                  # tab 2
    response = client.post("/checkout/payment", data={**CARD, "cart_check": cart_check(tab1)})
    assert response.status_code == 409 and response.url.path == "/checkout/payment"
    assert ('<p class="flash" role="status">Your cart changed (in another tab or window): please check the new '
            'total before you pay.</p>') in response.text
    assert "Pay €908.90" not in response.text and "Pay €2,607.90" in response.text
    assert 'value="Ana Silva"' in response.text and 'value="4242 4242 4242 4242"' not in response.text
    assert client.get("/checkout/confirmation").url.path == "/cart"   # no order was placed
    confirmation = client.post("/checkout/payment", data={**CARD, "cart_check": cart_check(response.text)})
    assert confirmation.url.path == "/checkout/confirmation"
    assert 'data-testid="order-total">€2,607.90' in confirmation.text


@pytest.mark.parametrize("change", ["quantity", "shipping", "removed"])
def test_any_change_to_what_pay_charges_is_caught(client, change):
    to_payment(client, product_id="7", method="express")
    add(client, "1")
    seen = cart_check(client.get("/checkout/payment").text)
    if change == "quantity":
        client.post("/cart/update", data={"product_id": "1", "quantity": "2"})
    elif change == "shipping":
        client.post("/checkout/shipping", data={"method": "next-day"})
    else:
        client.post("/cart/remove", data={"product_id": "1"})
    assert client.post("/checkout/payment", data={**CARD, "cart_check": seen}).status_code == 409
    assert client.get("/checkout/confirmation").url.path == "/cart"   # no order was placed


def test_a_payment_form_without_the_cart_check_is_not_charged(client):
    to_payment(client)
    response = client.post("/checkout/payment", data=CARD)
    assert response.status_code == 409 and "Your cart changed" in response.text
    assert pay(client).url.path == "/checkout/confirmation"
