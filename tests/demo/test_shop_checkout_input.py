"""Checkout input the validators once let through or crashed on: non-ASCII digits, past expiry years written
with four digits, malformed emails, over-long fields, and addresses too big for the state cookie."""

from __future__ import annotations

import re
from datetime import date

import pytest

from demo_shop.checkout import MAX_LENGTH, validate_address, validate_payment
from demo_shop.state import BROWSER_LIMIT

from .conftest import ADDRESS, CARD, add, pay, to_payment

TODAY = date(2026, 11, 23)
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def test_a_superscript_digit_in_the_card_number_is_a_field_error_not_a_crash(client):
    assert "²".isdigit()                                                  # why str.isdigit was the wrong check
    assert validate_payment({**CARD, "card_number": "4242424242424²42"}, TODAY).errors == {
        "card_number": "Enter the 13 to 19 digits of the card number."}
    to_payment(client)
    response = pay(client, card_number="4242424242424²42")
    assert response.status_code == 422
    assert '<p class="error" id="f-card_number-error">Enter the 13 to 19 digits' in response.text


@pytest.mark.parametrize("field", ["card_number", "cvc", "expiry"])
def test_arabic_indic_digits_do_not_pass_the_card_checks(field):
    card = {**CARD, field: CARD[field].translate(ARABIC_INDIC)}
    assert set(validate_payment(card, TODAY).errors) == {field}


def test_arabic_indic_digits_do_not_pass_the_postcode_or_street_checks():
    assert set(validate_address({**ADDRESS, "postcode": "٢٠٠٩٥"}).errors) == {"postcode"}
    assert set(validate_address({**ADDRESS, "country": "PT", "postcode": "١١٠٠-١٤٨"}).errors) == {"postcode"}
    assert set(validate_address({**ADDRESS, "street": "Hauptstraße ٥"}).errors) == {"street"}
    assert validate_address({**ADDRESS, "country": "PT", "postcode": "1100-148"}).ok


def test_quantities_take_ascii_digits_only(client):
    page = client.post("/cart/add", data={"product_id": "1", "quantity": "٣"}).text    # int("٣") == 3
    assert "“٣” is not a quantity" in page and 'data-clickto-cart-items="0"' in page
    client.post("/cart/add", data={"product_id": "1", "quantity": "3"})
    assert 'data-clickto-cart-items="3"' in client.get("/cart").text


@pytest.mark.parametrize("expiry, problem", [
    ("12/1999", "This card has expired."),           # was read as 12/2099
    ("10/2026", "This card has expired."),
    ("10/26", "This card has expired."),
    ("12/2099", "Check the year: a card is valid for at most 20 years."),
    ("12/99", "Check the year: a card is valid for at most 20 years."),
    ("00/30", "Enter the expiry date as MM/YY."),
    ("12/030", "Enter the expiry date as MM/YY."),
])
def test_expiry_years_are_taken_as_written(expiry, problem):
    assert validate_payment({**CARD, "expiry": expiry}, TODAY).errors == {"expiry": problem}


@pytest.mark.parametrize("expiry", ["11/26", "11/2026", "12 / 2030", "1/46", "12/2046"])
def test_current_and_future_expiry_dates_pass(expiry):
    assert validate_payment({**CARD, "expiry": expiry}, TODAY).ok


@pytest.mark.parametrize("email", ["a@b..com", "a@.b.com", "a@b.com.", ".a@b.com", "a..b@c.com", "a.@b.com",
                                   "a@b.c", "a@b", "a b@c.com", "a@b@c.com"])
def test_malformed_emails_are_refused(email):
    assert set(validate_address({**ADDRESS, "email": email}).errors) == {"email"}


@pytest.mark.parametrize("email", ["ana@example.com", "ana.silva+shop@mail.example.de", "zoë@bücher.de"])
def test_ordinary_emails_pass(email):
    assert validate_address({**ADDRESS, "email": email}).ok


def test_a_too_long_name_is_refused_not_cut(client):
    add(client, "1")
    response = client.post("/checkout/address", data={**ADDRESS, "name": "A" * 5000})
    assert response.status_code == 422
    assert (f'<p class="error" id="f-name-error">Full name is too long (at most {MAX_LENGTH["name"]} characters).</p>'
            in response.text)
    assert response.url.path == "/checkout/address"
    assert client.get("/checkout/shipping").url.path == "/checkout/address"     # nothing was stored
    assert validate_address({**ADDRESS, "name": "A" * MAX_LENGTH["name"]}).ok       # the limit itself is fine


def test_every_text_field_has_a_limit_and_a_matching_maxlength(client):
    for field in ("card_name", "card_number", "expiry", "cvc"):
        errors = validate_payment({**CARD, field: "1" * (MAX_LENGTH[field] + 1)}, TODAY).errors
        assert errors[field].endswith(f"is too long (at most {MAX_LENGTH[field]} characters).")
    add(client, "1")
    html = client.get("/checkout/address").text
    for field in ("name", "email", "street", "postcode", "city", "phone"):
        assert re.search(rf'<input id="f-{field}" [^>]*maxlength="{MAX_LENGTH[field]}"', html), field
    client.post("/checkout/address", data=ADDRESS)
    client.post("/checkout/shipping", data={"method": "standard"})
    html = client.get("/checkout/payment").text
    for field in ("card_name", "card_number", "expiry", "cvc"):
        assert re.search(rf'<input id="f-{field}" [^>]*maxlength="{MAX_LENGTH[field]}"', html), field


def cookie_bytes(response) -> int:
    header = next(h for h in response.headers.get_list("set-cookie") if h.startswith("shop_state="))
    return len(header.split(";")[0].encode()) - 1            # name + value, as the browser counts them


def test_a_long_non_ascii_address_is_stored_compactly(client):
    """The auditor's address (umlauts, 100 emoji in street and city) lost the state: the cookie was over 4 KB
    with \\u escapes. As UTF-8 it fits, and the visitor moves on to shipping with everything kept."""
    add(client, "7")
    address = {**ADDRESS, "name": "Zoë " + "ü" * 96, "street": "Hauptstraße 5 " + "😀" * 86,
               "city": "Hamburg " + "😀" * 52}
    response = client.post("/checkout/address", data=address, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/checkout/shipping"
    assert cookie_bytes(response) <= BROWSER_LIMIT
    page = client.get("/checkout/shipping").text
    assert "Zoë üü" in page and "😀😀" in page


def test_an_address_too_big_for_the_cookie_is_refused_with_a_message(client):
    add(client, "7")
    huge = {**ADDRESS, "name": "😀" * 100, "email": "😀" * 240 + "@example.com", "street": "Weg 5 " + "😀" * 94,
            "city": "😀" * 60}
    response = client.post("/checkout/address", data=huge)
    assert response.status_code == 422
    assert '<p class="error" id="f-email-error">Your address is too long for your browser to keep' in response.text
    assert 'value="' + "😀" * 100 in response.text                        # what was typed is still there
    assert cookie_bytes(response) <= BROWSER_LIMIT
    assert 'data-clickto-cart-items="1"' in response.text                 # the cart survived
    assert client.get("/checkout/shipping").url.path == "/checkout/address"


def test_an_accepted_address_leaves_room_for_a_full_cart_and_an_order(client):
    """Whatever the address form accepts, no later step pushes the cookie over the limit: a big address,
    an order, then every product at the quantity limit."""
    from demo_shop.catalogue import PRODUCTS

    to_payment(client)
    near_limit = {**ADDRESS, "name": "ü" * 100, "email": "ü" * 240 + "@example.com", "street": "Weg 5 " + "ü" * 94,
                  "city": "ü" * 60}
    assert client.post("/checkout/address", data=near_limit).url.path == "/checkout/shipping"
    assert pay(client).url.path == "/checkout/confirmation"
    for product_id in PRODUCTS:
        response = client.post("/cart/add", data={"product_id": product_id, "quantity": "10"},
                               follow_redirects=False)
        assert cookie_bytes(response) <= BROWSER_LIMIT
    assert client.get("/checkout/confirmation").url.path == "/checkout/confirmation"   # the order is still there
