"""Cart: add, change quantity, remove, totals in euros, state in a signed cookie."""

from __future__ import annotations

from demo_shop import cart as carts
from demo_shop.state import StateCookie

from .conftest import add, body_attributes


def test_cart_math_in_cents():
    cart = carts.add({}, "1", 2)          # 2 x 189.00
    cart = carts.add(cart, "23")          # 24.00
    assert carts.subtotal_cents(cart) == 2 * 18900 + 2400
    assert carts.item_count(cart) == 3
    assert carts.set_quantity(cart, "1", 0) == {"23": 1}
    assert carts.add(cart, "1", 50)["1"] == carts.MAX_QUANTITY
    assert carts.remove(cart, "23") == {"1": 2}
    assert carts.lines({"999": 3, "1": 1})[0].product.id == "1"   # stale ids from an old cookie are dropped


def test_shipping_costs():
    standard = carts.SHIPPING_METHODS["standard"]
    assert standard.cost(5999) == 490 and standard.cost(6000) == 0
    assert carts.SHIPPING_METHODS["express"].cost(100000) == 990
    assert len(carts.SHIPPING_METHODS) >= 3


def test_add_update_remove_through_the_pages(client):
    response = add(client, "19", 2)                      # 2 x €38.90
    assert response.url.path == "/cart"
    assert "Added Ethiopia Yirgacheffe, 1 kg to your cart." in response.text
    assert "€77.80" in response.text
    attributes = body_attributes(response.text)
    assert attributes["cart-value"] == "77.80" and attributes["cart-items"] == "2"

    add(client, "21")                                   # + €139.00
    page = client.get("/cart")
    assert body_attributes(page.text)["cart-value"] == "216.80"
    assert 'data-testid="cart-subtotal">€216.80' in page.text

    client.post("/cart/update", data={"product_id": "19", "quantity": "5"})
    assert body_attributes(client.get("/cart").text)["cart-value"] == f"{5 * 38.90 + 139:.2f}"

    client.post("/cart/update", data={"product_id": "19", "quantity": "0"})
    assert body_attributes(client.get("/").text)["cart-items"] == "1"

    response = client.post("/cart/remove", data={"product_id": "21"})
    assert 'data-testid="cart-empty"' in response.text
    assert body_attributes(response.text)["cart-value"] == "0.00"


def test_bad_cart_input_never_breaks_the_cart_and_says_what_happened(client):
    assert "no longer available" in client.post("/cart/add", data={"product_id": "nope"}).text
    refused = add(client, "2", -4)
    assert refused.url.path == "/products/2" and "“-4” is not a quantity" in refused.text
    add(client, "2")
    unchanged = client.post("/cart/update", data={"product_id": "2", "quantity": "many"})
    assert "“many” is not a quantity" in unchanged.text and "Nothing was changed" in unchanged.text
    client.post("/cart/update", data={"product_id": "99", "quantity": "3"})     # not in the cart: ignored
    client.post("/cart/remove", data={})
    assert body_attributes(client.get("/cart").text)["cart-items"] == "1"


def test_quantities_above_the_limit_are_capped_and_said_so(client):
    capped = add(client, "2", 99999)
    assert f"At most {carts.MAX_QUANTITY} of a product per order" in capped.text
    assert body_attributes(capped.text)["cart-items"] == str(carts.MAX_QUANTITY)
    updated = client.post("/cart/update", data={"product_id": "2", "quantity": "12"})
    assert f"the quantity is now {carts.MAX_QUANTITY}" in updated.text
    huge = client.post("/cart/update", data={"product_id": "2", "quantity": "9" * 20})   # capped too, not "not a quantity"
    assert f"the quantity is now {carts.MAX_QUANTITY}" in huge.text
    assert "Your cart was updated." in client.post("/cart/update", data={"product_id": "2", "quantity": "3"}).text


def test_forms_use_post_and_redirect(client):
    response = client.post("/cart/add", data={"product_id": "1"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/cart"
    assert client.get("/cart/add").status_code == 405


def test_state_cookie_is_signed_and_tamper_proof():
    cookie = StateCookie(b"k" * 32)
    value = cookie.encode({"cart": {"1": 2}})
    assert cookie.decode(value) == {"cart": {"1": 2}}
    payload, _, signature = value.rpartition(".")
    forged = StateCookie(b"x" * 32).encode({"cart": {"1": 10}})
    assert cookie.decode(forged) == {}
    assert cookie.decode(payload + "." + signature[::-1]) == {}
    assert cookie.decode("garbage") == {} and cookie.decode(None) == {} and cookie.decode("a.b.c") == {}


def test_each_browser_has_its_own_cart(client):
    from starlette.testclient import TestClient

    add(client, "5")
    with TestClient(client.app) as other:
        assert body_attributes(other.get("/cart").text)["cart-items"] == "0"
    assert body_attributes(client.get("/cart").text)["cart-items"] == "1"


def test_a_tampered_cookie_gives_an_empty_cart(client):
    add(client, "5")
    value = client.cookies.get("shop_state")
    client.cookies.set("shop_state", ("A" if value[0] != "A" else "B") + value[1:])
    assert body_attributes(client.get("/cart").text)["cart-items"] == "0"
