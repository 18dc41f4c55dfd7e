"""What pages tell the tag (data-clickto-* on <body>) and how the tag is embedded."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from demo_shop import create_app

from .conftest import ADDRESS, add, body_attributes, pay, to_payment


def test_each_page_describes_itself(client):
    assert body_attributes(client.get("/").text) == {"page-type": "home", "cart-value": "0.00", "cart-items": "0"}
    assert body_attributes(client.get("/category/fishing").text)["category"] == "fishing"
    assert body_attributes(client.get("/search?q=rod").text)["page-type"] == "search"
    assert body_attributes(client.get("/products/10").text) == {
        "page-type": "product", "category": "cameras", "product": "10", "price": "1299.00",
        "cart-value": "0.00", "cart-items": "0"}
    assert body_attributes(client.get("/cart").text)["page-type"] == "cart"
    assert body_attributes(client.get("/help/delivery").text)["page-type"] == "info"
    assert body_attributes(client.get("/products/404").text)["page-type"] == "other"


def test_checkout_pages_name_their_step_and_carry_the_cart(client):
    add(client, "8")                                  # €1,699.00
    pages = {"address": client.get("/checkout/address")}
    client.post("/checkout/address", data=ADDRESS)
    pages["shipping"] = client.get("/checkout/shipping")
    client.post("/checkout/shipping", data={"method": "standard"})
    pages["payment"] = client.get("/checkout/payment")
    for step, response in pages.items():
        attributes = body_attributes(response.text)
        assert attributes["page-type"] == "checkout" and attributes["checkout-step"] == step
        assert attributes["cart-value"] == "1699.00" and attributes["cart-items"] == "1"
    confirmation = pay(client)
    assert body_attributes(confirmation.text)["checkout-step"] == "confirmation"


def test_no_tag_when_tag_src_is_none(client):
    for path in ("/", "/category/fishing", "/search?q=rod", "/products/1", "/cart"):
        html = client.get(path).text
        assert "clickto.js" not in html and "<script" not in html
        assert not re.search(r"\son[a-z]+=", html), f"inline event handler on {path} (breaks strict CSPs)"
    to_payment(client)
    assert "<script" not in client.get("/checkout/payment").text


def test_tag_is_embedded_with_site_key_and_extra_head():
    app = create_app("https://cdn.example/clickto.js", site_key="shop-42", extra_head='<meta name="x-test" content="1">')
    with TestClient(app) as test_client:
        html = test_client.get("/products/3").text
    assert '<script src="https://cdn.example/clickto.js" data-site="shop-42" async></script>' in html
    assert '<meta name="x-test" content="1">' in html
    assert html.index("clickto.js") < html.index("</head>")


def test_online_link_only_when_asked_for(client):
    assert "Who is online" not in client.get("/").text
    with TestClient(create_app(None, online_path="/admin/online")) as test_client:
        assert 'href="/admin/online"' in test_client.get("/").text


def test_markup_is_accessible_basics(client):
    html = client.get("/").text
    assert '<html lang="en">' in html and 'class="skip-link" href="#main"' in html
    assert 'role="search"' in html and '<label class="visually-hidden" for="search-q">' in html
    assert '<nav class="categories" aria-label="Categories">' in html
    html = client.get("/category/coffee").text
    assert 'aria-current="page"' in html
