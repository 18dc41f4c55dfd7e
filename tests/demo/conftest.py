"""Shop test helpers: a TestClient per test and shortcuts through the cart and checkout."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from demo_shop import create_app

ADDRESS = {"name": "Ana Silva", "email": "ana@example.com", "street": "Hauptstraße 5", "postcode": "20095",
           "city": "Hamburg", "country": "DE", "phone": ""}
CARD = {"card_name": "Ana Silva", "card_number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123"}


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(None), follow_redirects=True) as test_client:
        yield test_client


def body_attributes(html: str) -> dict[str, str]:
    """The data-clickto-* attributes of <body>, without the prefix."""
    tag = re.search(r"<body([^>]*)>", html)
    assert tag, "no <body> tag"
    return dict(re.findall(r'data-clickto-([a-z-]+)="([^"]*)"', tag.group(1)))


def add(client: TestClient, product_id: str, quantity: int = 1):
    return client.post("/cart/add", data={"product_id": product_id, "quantity": str(quantity)})


def to_payment(client: TestClient, product_id: str = "7", method: str = "standard") -> None:
    add(client, product_id)
    assert client.post("/checkout/address", data=ADDRESS).url.path == "/checkout/shipping"
    assert client.post("/checkout/shipping", data={"method": method}).url.path == "/checkout/payment"


def cart_check(html: str) -> str:
    """The cart fingerprint a payment page's form carries (what its "Pay" button charges)."""
    found = re.search(r'name="cart_check" value="([0-9a-f]+)"', html)
    assert found, "no cart_check in the payment form"
    return found.group(1)


def pay(client: TestClient, **card: str):
    """Submit the payment form as the browser would: the page's own cart_check plus ``CARD`` with ``card``."""
    check = cart_check(client.get("/checkout/payment").text)
    return client.post("/checkout/payment", data={**CARD, **card, "cart_check": check})
