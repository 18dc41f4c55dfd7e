"""Page objects for the demo shop and the clickto button, so scenarios read like what a visitor does.

Every wait is Playwright's auto-waiting (``expect``, locators, ``expect_navigation``); nothing sleeps.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

ADDRESS = {"name": "Ana Silva", "email": "ana@example.com", "street": "Hauptstraße 5", "postcode": "20095",
           "city": "Hamburg"}
CARD = {"card_name": "Ana Silva", "card_number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123"}


CLICKTO_CLOCK = """
(() => {  // in-page timestamps (Date.now(), the tag's own clock): the page view the tag sent, each button's arrival
  const clock = window.__clicktoClock = {pageView: null, shown: {}};
  const realFetch = window.fetch;
  window.fetch = function (url, init) {
    try {
      if (clock.pageView === null && String(url).includes('/v1/events')) {
        const view = JSON.parse(init.body).events.find((event) => event.type === 'page_view');
        if (view) clock.pageView = view.t;
      }
    } catch (error) {}
    return realFetch.apply(this, arguments);
  };
  new MutationObserver(() => {
    document.querySelectorAll('div[data-clickto-button]').forEach((host) => {
      const channel = host.getAttribute('data-clickto-button');
      if (!(channel in clock.shown)) clock.shown[channel] = Date.now();
    });
  }).observe(document, {childList: true, subtree: true});
})();
"""
"""Installed in every end-to-end page (``e2e/conftest.py``): lets a test prove a button came no earlier than
its threshold after the page view, measured by the browser's clock instead of the test's (which lags)."""


class ClicktoButton:
    """The floating button the tag shows for a channel (QA hook ``[data-clickto-button=CHANNEL]``).

    The tag puts the hook on its host element and on the ``<button>`` inside the shadow root; the button is
    the control a visitor sees and clicks, so the locator targets it.
    """

    def __init__(self, page: Page, channel: str) -> None:
        self.page = page
        self.channel = channel
        self.locator: Locator = page.locator(f'button[data-clickto-button="{channel}"]')

    def expect_visible(self, timeout: float = 10_000) -> ClicktoButton:
        expect(self.locator).to_be_visible(timeout=timeout)
        return self

    def expect_absent(self) -> ClicktoButton:
        expect(self.locator).to_have_count(0)
        return self

    def seconds_after_page_view(self) -> float:
        """How long after the page view the tag sent (its event time ``t``) this button was attached."""
        shown, viewed = self.page.evaluate(
            f"() => [window.__clicktoClock.shown[{self.channel!r}], window.__clicktoClock.pageView]")
        assert shown is not None and viewed is not None, (shown, viewed)
        return (shown - viewed) / 1000

    def label(self) -> str:
        return self.locator.inner_text().strip()

    def click(self) -> None:
        self.locator.click()


class ShopPage:
    """What every shop page has: header (search, cart count), the tag's decision, the clickto buttons."""

    path = "/"

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")

    def open(self, *args: Any) -> ShopPage:
        self.page.goto(self.base_url + self.path.format(*args))
        return self

    def button(self, channel: str) -> ClicktoButton:
        return ClicktoButton(self.page, channel)

    @property
    def community(self) -> ClicktoButton:
        return self.button("community")

    @property
    def chat(self) -> ClicktoButton:
        return self.button("chat")

    def first_decision(self, timeout: float = 10_000) -> dict[str, Any]:
        """Wait until the service answered this page's first events; the decision it sent."""
        self.page.wait_for_function("() => window.clickto && window.clickto.decision", timeout=timeout)
        return self.page.evaluate("() => window.clickto.decision")

    def tag_session(self) -> str:
        """The clickto session id the tag keeps in first-party storage."""
        return self.page.evaluate("() => JSON.parse(localStorage.getItem('clickto:demo:s')).id")

    def cart_count(self) -> int:
        return int(self.page.get_by_test_id("cart-count").inner_text())

    def search(self, query: str) -> CategoryPage:
        self.page.get_by_label("Search products").fill(query)
        self.page.get_by_role("button", name="Search").click()
        return CategoryPage(self.page, self.base_url)

    def go_to_category(self, name: str) -> CategoryPage:
        self.page.get_by_role("navigation", name="Categories").get_by_role("link", name=name).click()
        return CategoryPage(self.page, self.base_url)


class HomePage(ShopPage):
    path = "/"

    def featured_names(self) -> list[str]:
        return self.page.get_by_test_id("product-grid").locator("h3").all_inner_texts()


class CategoryPage(ShopPage):
    """A category listing (also the search results, which share the grid)."""

    path = "/category/{}"

    def product_names(self) -> list[str]:
        return self.page.get_by_test_id("product-grid").locator("h3").all_inner_texts()

    def open_product(self, name: str) -> ProductPage:
        self.page.get_by_role("link", name=name).click()
        return ProductPage(self.page, self.base_url)


class ProductPage(ShopPage):
    path = "/products/{}"

    def name(self) -> str:
        return self.page.get_by_role("heading", level=1).inner_text()

    def add_to_cart(self, quantity: int = 1) -> CartPage:
        if quantity != 1:
            self.page.get_by_label("Quantity").fill(str(quantity))
        self.page.get_by_role("button", name="Add to cart").click()
        expect(self.page).to_have_url(re.compile(r"/cart$"))
        return CartPage(self.page, self.base_url)


class CartPage(ShopPage):
    path = "/cart"

    def line(self, name: str) -> Locator:
        return self.page.get_by_test_id("cart-lines").locator("tbody tr").filter(has_text=name)

    def set_quantity(self, name: str, quantity: int) -> CartPage:
        self.page.get_by_label(f"Quantity of {name}", exact=True).fill(str(quantity))
        self.line(name).get_by_role("button", name="Update").click()
        return self

    def remove(self, name: str) -> CartPage:
        self.page.get_by_role("button", name=f"Remove {name}").click()
        return self

    def subtotal(self) -> Locator:
        return self.page.get_by_test_id("cart-subtotal")

    def checkout(self) -> CheckoutAddressPage:
        self.page.get_by_role("link", name="Go to checkout").click()
        expect(self.page).to_have_url(re.compile(r"/checkout/address$"))
        return CheckoutAddressPage(self.page, self.base_url)


class CheckoutAddressPage(ShopPage):
    path = "/checkout/address"

    def fill(self, address: dict[str, str] | None = None) -> CheckoutAddressPage:
        labels = {"name": "Full name", "email": "Email", "street": "Street and house number",
                  "postcode": "Postcode", "city": "Town or city"}
        for key, value in (address or ADDRESS).items():
            self.page.get_by_label(labels[key], exact=True).fill(value)
        return self

    def submit(self) -> CheckoutShippingPage:
        self.page.get_by_role("button", name="Continue to shipping").click()
        return CheckoutShippingPage(self.page, self.base_url)

    def error_for(self, field: str) -> Locator:
        return self.page.locator(f"#f-{field}-error")


class CheckoutShippingPage(ShopPage):
    path = "/checkout/shipping"

    def expect_loaded(self) -> CheckoutShippingPage:
        expect(self.page).to_have_url(re.compile(r"/checkout/shipping$"))
        return self

    def choose(self, method: str) -> CheckoutShippingPage:
        self.page.get_by_role("radio", name=re.compile(method)).check()
        return self

    def submit(self) -> CheckoutPaymentPage:
        self.page.get_by_role("button", name="Continue to payment").click()
        expect(self.page).to_have_url(re.compile(r"/checkout/payment$"))
        return CheckoutPaymentPage(self.page, self.base_url)


class CheckoutPaymentPage(ShopPage):
    path = "/checkout/payment"

    def fill(self, card: dict[str, str] | None = None) -> CheckoutPaymentPage:
        labels = {"card_name": "Name on card", "card_number": "Card number", "expiry": "Expiry (MM/YY)",
                  "cvc": "Security code"}
        for key, value in (card or CARD).items():
            self.page.get_by_label(labels[key]).fill(value)
        return self

    def pay_expecting_errors(self) -> CheckoutPaymentPage:
        self.page.get_by_role("button", name=re.compile(r"^Pay ")).click()
        expect(self.page.get_by_role("alert")).to_be_visible()
        return self

    def pay(self) -> ConfirmationPage:
        self.page.get_by_role("button", name=re.compile(r"^Pay ")).click()
        expect(self.page).to_have_url(re.compile(r"/checkout/confirmation$"))
        return ConfirmationPage(self.page, self.base_url)


class ConfirmationPage(ShopPage):
    path = "/checkout/confirmation"

    def order_number(self) -> str:
        return self.page.get_by_test_id("order-number").inner_text()
