"""The catalogue: enough believable products, every page renders, search and sorting work."""

from __future__ import annotations

import re

from demo_shop.art import DRAWINGS, product_svg
from demo_shop.catalogue import (
    CATEGORIES,
    PRODUCTS,
    decimal_euros,
    euros,
    featured,
    products_in,
    search,
    sort_products,
)


def test_catalogue_has_20_plus_products_in_several_categories_including_community_ones():
    assert len(PRODUCTS) >= 20
    assert {"fishing", "cameras", "hiking", "coffee"} <= set(CATEGORIES)
    for slug in CATEGORIES:
        assert len(products_in(slug)) >= 4, slug
    assert all(p.category in CATEGORIES and p.art in DRAWINGS and p.price_cents > 0 for p in PRODUCTS.values())
    assert len({p.name for p in PRODUCTS.values()}) == len(PRODUCTS)
    assert featured()


def test_prices_format_for_people_and_for_the_tag():
    assert euros(129900) == "€1,299.00"
    assert euros(490) == "€4.90"
    assert decimal_euros(129900) == "1299.00"


def test_product_art_is_inline_svg_without_external_references():
    for product in PRODUCTS.values():
        svg = str(product_svg(product))
        assert svg.startswith("<svg") and 'aria-hidden="true"' in svg
        assert "href" not in svg and "url(" not in svg and "{" not in svg


def test_search_matches_every_word_case_insensitively():
    names = {p.name for p in search("CARBON rod")}
    assert names == {"Tidewater 9' Carbon Fly Rod"}
    assert search("") == [] and search("   ") == []
    assert search("submarine") == []
    assert {p.category for p in search("coffee")} == {"coffee"}


def test_sorting():
    fishing = products_in("fishing")
    prices = [p.price_cents for p in sort_products(fishing, "price-asc")]
    assert prices == sorted(prices)
    assert [p.price_cents for p in sort_products(fishing, "price-desc")] == sorted(prices, reverse=True)
    assert sort_products(fishing, "bogus") == sort_products(fishing, "featured")


def test_every_page_renders(client):
    paths = ["/", "/search?q=lens", "/search", "/cart", "/help/delivery"]
    paths += [f"/category/{slug}" for slug in CATEGORIES] + [f"/products/{pid}" for pid in PRODUCTS]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "<main" in response.text and "/static/shop.css" in response.text


def test_home_lists_featured_products_and_categories(client):
    html = client.get("/").text
    for product in featured():
        assert f'href="/products/{product.id}"' in html
    for slug in CATEGORIES:
        assert f'href="/category/{slug}"' in html


def test_category_page_lists_its_products_sorted(client):
    html = client.get("/category/cameras?sort=price-asc").text
    ids = re.findall(r'<li class="card">\s*<a href="/products/(\d+)"', html)
    assert ids == [p.id for p in sort_products(products_in("cameras"), "price-asc")]


def test_product_page_shows_name_price_specs_and_add_to_cart(client):
    html = client.get("/products/1").text
    assert "Tidewater 9&#39; Carbon Fly Rod" in html or "Tidewater 9' Carbon Fly Rod" in html
    assert "€189.00" in html and "Line weight" in html
    assert 'action="/cart/add"' in html and 'name="product_id" value="1"' in html


def test_unknown_product_category_and_path_are_friendly_404s(client):
    for path in ("/products/999", "/category/boats", "/no/such/page"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.text


def test_search_escapes_the_query(client):
    html = client.get("/search", params={"q": "<script>alert(1)</script>"}).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_static_css_is_served(client):
    response = client.get("/static/shop.css")
    assert response.status_code == 200 and "text/css" in response.headers["content-type"]
