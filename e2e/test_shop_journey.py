"""The shop itself in a real browser, with the tag running: search, cart changes, checkout validation.

Keeps the page objects honest and shows the tag does not disturb the shop (no script errors, no buttons
while no rule holds)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.pages import HomePage, ProductPage
from e2e.servers import Stack


def test_search_cart_and_checkout_validation_with_the_tag_running(stack: Stack, page: Page):
    home = HomePage(page, stack.url).open()
    assert "Tidewater 9' Carbon Fly Rod" in home.featured_names()

    results = home.search("prime lens")
    assert results.product_names() == ["25mm f/1.7 Prime Lens"]
    cart = results.open_product("25mm f/1.7 Prime Lens").add_to_cart(2)
    expect(cart.subtotal()).to_have_text("€498.00")
    ProductPage(page, stack.url).open("23").add_to_cart()
    expect(cart.subtotal()).to_have_text("€522.00")
    cart.remove("25mm f/1.7 Prime Lens")
    expect(cart.line("25mm f/1.7 Prime Lens")).to_have_count(0)
    expect(cart.subtotal()).to_have_text("€24.00")
    assert cart.cart_count() == 1

    address = cart.checkout().fill({"name": "Ana Silva", "email": "ana(at)example.com", "street": "Hauptstraße 5",
                                    "postcode": "2009", "city": "Hamburg"})
    address.submit()
    expect(address.error_for("email")).to_have_text("Enter an email address like name@example.com.")
    email = page.get_by_label("Email", exact=True)
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description("Enter an email address like name@example.com. "
                                                 "We send the order confirmation here.")
    expect(page.get_by_role("alert")).to_contain_text("Please check these 2 fields")
    expect(page.get_by_label("Full name", exact=True)).to_have_value("Ana Silva")

    shipping = address.fill({"email": "ana@example.com", "postcode": "20095"}).submit().expect_loaded()
    expect(page.get_by_role("radio", name="Standard delivery")).to_be_checked()
    payment = shipping.choose("Click & collect").submit()
    expect(page.get_by_test_id("checkout-total")).to_have_text("€24.00")
    payment.fill({"card_number": "4242 4242 4242 4241"}).pay_expecting_errors()
    expect(payment.page.locator("#f-card_number-error")).to_have_text("This card number is not valid; check for a typo.")

    assert page.script_errors == []
    expect(page.locator("[data-clickto-button]")).to_have_count(0)
