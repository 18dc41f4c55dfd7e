"""The shop works with the service stopped: browsing, cart and the whole checkout, without script errors."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.pages import HomePage
from e2e.servers import Stack


def test_shop_works_with_the_service_stopped(stack: Stack, page: Page):
    home = HomePage(page, stack.url).open()
    assert home.first_decision()["channel"] is None      # the tag was working...
    stack.stop_service()                                 # ...and now its service is gone

    category = home.go_to_category("Coffee")
    assert "Conical Burr Hand Grinder" in category.product_names()
    product = category.open_product("Conical Burr Hand Grinder")
    cart = product.add_to_cart(2)
    expect(cart.subtotal()).to_have_text("€278.00")
    cart.set_quantity("Conical Burr Hand Grinder", 1)
    expect(cart.subtotal()).to_have_text("€139.00")
    assert cart.cart_count() == 1

    payment = cart.checkout().fill().submit().expect_loaded().choose("Standard delivery").submit()
    confirmation = payment.fill().pay()
    assert confirmation.order_number().startswith("NW-")
    expect(page.locator("[data-clickto-button]")).to_have_count(0)

    assert page.script_errors == []
    assert page.network_errors, "the tag's service was unreachable, so the browser should have said so"
