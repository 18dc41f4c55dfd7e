"""The demo shop's routes: catalogue, cart, three-step checkout, confirmation.

The shop only describes its pages to the tag (``data-clickto-*`` on ``<body>``) and embeds the tag
when given a ``tag_src``; it holds no targeting logic. Forms are classic POST + redirect, parsed with
the standard library (no python-multipart needed).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from markupsafe import Markup
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from demo_shop import cart as carts
from demo_shop.art import product_svg
from demo_shop.catalogue import (
    CATEGORIES,
    PRODUCTS,
    SORTS,
    decimal_euros,
    euros,
    featured,
    products_in,
    search,
    sort_products,
)
from demo_shop.checkout import COUNTRIES, MAX_LENGTH, validate_address, validate_payment
from demo_shop.state import StateCookie

HERE = Path(__file__).parent
MAX_FORM_BYTES = 16 * 1024
STEPS = ("address", "shipping", "payment")
QUANTITY = re.compile(r"-?[0-9]{1,30}")      # ASCII digits only: int() would also take "٣" or "1_0"
FLASH_RESERVE = 400                          # bytes: more than the longest message the shop shows
CART_CHANGED = "Your cart changed (in another tab or window): please check the new total before you pay."


class Shop:
    """Request handlers bound to one shop configuration (tag, site key, state cookie)."""

    def __init__(self, tag_src: str | None, site_key: str, extra_head: str, online_path: str | None,
                 secret: bytes | None) -> None:
        self.tag_src = tag_src
        self.site_key = site_key
        self.extra_head = Markup(extra_head)
        self.online_path = online_path
        self.cookie = StateCookie(secret)
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.globals.update(euros=euros, art=product_svg, categories=CATEGORIES, steps=STEPS,
                                          max_length=MAX_LENGTH)

    # -- helpers ---------------------------------------------------------------------------------------------
    def page(self, request: Request, state: dict[str, Any], template: str, describes: dict[str, Any],
             status_code: int = 200, **context: Any) -> Response:
        """Render ``template`` with the page's self-description for the tag (``describes``: type, category,
        product, price, checkout-step; the cart is added here), and save the (changed) state."""
        cart = state.get("cart", {})
        flash = state.pop("flash", None)
        attributes = {"page-type": describes.get("type", "other"),
                      "cart-value": decimal_euros(carts.subtotal_cents(cart)), "cart-items": str(carts.item_count(cart))}
        for key in ("category", "product", "price", "checkout-step"):
            if describes.get(key) is not None:
                attributes[key] = str(describes[key])
        context.update(request=request, clickto=attributes, tag_src=self.tag_src, site_key=self.site_key,
                       extra_head=self.extra_head, online_path=self.online_path, flash=flash,
                       cart_items=carts.item_count(cart), query=request.query_params.get("q", ""))
        response = self.templates.TemplateResponse(request, template, context, status_code=status_code)
        # pages show the cart: a copy the browser kept would show (and tell the tag) a cart that has changed since,
        # e.g. on Back after "Add to cart", or after paying, on Back to a payment step answered with errors; Back
        # then loads the page again (the tag still counts it as a back), and to a form's answer the browser
        # first asks whether to send the form again
        response.headers["Cache-Control"] = "no-store"
        return self.cookie.save(response, state)

    def redirect(self, url: str, state: dict[str, Any]) -> Response:
        return self.cookie.save(RedirectResponse(url, status_code=303), state)

    @staticmethod
    async def form(request: Request) -> dict[str, str]:
        body = b""
        async for chunk in request.stream():   # stop reading at the cap instead of buffering any size
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                raise HTTPException(413, f"form too large (over {MAX_FORM_BYTES // 1024} KB)")
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))

    @staticmethod
    def quantity(value: str) -> int | None:
        """The quantity typed in a form, or None when it is not a whole number in ASCII digits."""
        text = value.strip() if isinstance(value, str) else ""
        return int(text) if QUANTITY.fullmatch(text) else None

    # -- catalogue -------------------------------------------------------------------------------------------
    async def home(self, request: Request) -> Response:
        state = self.cookie.load(request)
        return self.page(request, state, "home.html", {"type": "home"}, products=featured())

    async def category(self, request: Request) -> Response:
        state = self.cookie.load(request)
        slug = request.path_params["slug"]
        if slug not in CATEGORIES:
            return self.not_found(request, state, f"There is no category “{slug}”.")
        sort = request.query_params.get("sort", "featured")
        products = sort_products(products_in(slug), sort if sort in SORTS else "featured")
        return self.page(request, state, "category.html", {"type": "category", "category": slug},
                         category=CATEGORIES[slug], products=products, sort=sort)

    async def search_page(self, request: Request) -> Response:
        state = self.cookie.load(request)
        query = request.query_params.get("q", "").strip()[:100]
        return self.page(request, state, "search.html", {"type": "search"}, products=search(query), q=query)

    async def product(self, request: Request) -> Response:
        state = self.cookie.load(request)
        product = PRODUCTS.get(request.path_params["id"])
        if product is None:
            return self.not_found(request, state, "This product does not exist or is no longer sold.")
        related = [p for p in products_in(product.category) if p.id != product.id][:3]
        return self.page(request, state, "product.html",
                         {"type": "product", "category": product.category, "product": product.id,
                          "price": decimal_euros(product.price_cents)},
                         product=product, category=CATEGORIES[product.category], related=related)

    def not_found(self, request: Request, state: dict[str, Any], message: str) -> Response:
        return self.page(request, state, "not_found.html", {"type": "other"}, status_code=404, message=message)

    async def delivery_info(self, request: Request) -> Response:
        state = self.cookie.load(request)
        return self.page(request, state, "delivery.html", {"type": "info"}, methods=carts.SHIPPING_METHODS.values())

    # -- cart ------------------------------------------------------------------------------------------------
    async def cart_page(self, request: Request) -> Response:
        state = self.cookie.load(request)
        cart = state.get("cart", {})
        return self.page(request, state, "cart.html", {"type": "cart"}, lines=carts.lines(cart),
                         subtotal=carts.subtotal_cents(cart), max_quantity=carts.MAX_QUANTITY)

    async def cart_add(self, request: Request) -> Response:
        state = self.cookie.load(request)
        form = await self.form(request)
        product = PRODUCTS.get(form.get("product_id", ""))
        if product is None:
            state["flash"] = "That product is no longer available."
            return self.redirect("/cart", state)
        wanted = self.quantity(form.get("quantity", "1"))
        if wanted is None or wanted < 1:
            state["flash"] = f"“{form.get('quantity', '')[:20]}” is not a quantity: type a whole number from 1."
            return self.redirect(f"/products/{product.id}", state)
        before = state.get("cart", {}).get(product.id, 0)
        state["cart"] = carts.add(state.get("cart", {}), product.id, wanted)
        added = state["cart"][product.id] - before
        if added < wanted:
            state["flash"] = (f"At most {carts.MAX_QUANTITY} of a product per order: your cart has "
                              f"{state['cart'][product.id]} × {product.name}.")
        else:
            state["flash"] = f"Added {product.name} to your cart."
        return self.redirect("/cart", state)

    async def cart_update(self, request: Request) -> Response:
        state = self.cookie.load(request)
        form = await self.form(request)
        product_id = form.get("product_id", "")
        if product_id in state.get("cart", {}):
            quantity = self.quantity(form.get("quantity", ""))
            if quantity is None or quantity < 0:
                state["flash"] = (f"“{form.get('quantity', '')[:20]}” is not a quantity: type a whole number "
                                  f"(0 removes the item). Nothing was changed.")
            else:
                state["cart"] = carts.set_quantity(state["cart"], product_id, quantity)
                state["flash"] = ("Your cart was updated." if quantity <= carts.MAX_QUANTITY else
                                  f"At most {carts.MAX_QUANTITY} of a product per order: the quantity is now "
                                  f"{carts.MAX_QUANTITY}.")
        return self.redirect("/cart", state)

    async def cart_remove(self, request: Request) -> Response:
        state = self.cookie.load(request)
        form = await self.form(request)
        product_id = form.get("product_id", "")
        if product_id in state.get("cart", {}):
            state["cart"] = carts.remove(state["cart"], product_id)
            state["flash"] = f"Removed {PRODUCTS[product_id].name if product_id in PRODUCTS else 'the item'}."
        return self.redirect("/cart", state)

    # -- checkout --------------------------------------------------------------------------------------------
    def checkout_page(self, request: Request, state: dict[str, Any], step: str, status_code: int = 200,
                      **context: Any) -> Response:
        cart = state.get("cart", {})
        subtotal = carts.subtotal_cents(cart)
        method = carts.SHIPPING_METHODS.get(state.get("shipping", ""))
        shipping = method.cost(subtotal) if method else None
        return self.page(request, state, f"checkout_{step}.html", {"type": "checkout", "checkout-step": step},
                         status_code=status_code, step=step, lines=carts.lines(cart), subtotal=subtotal,
                         method=method, shipping=shipping, total=subtotal + (shipping or 0),
                         cart_check=carts.fingerprint(cart, state.get("shipping")), **context)

    def guard(self, state: dict[str, Any], step: str) -> str | None:
        """Where to send a visitor who skipped ahead: empty cart → cart, missing earlier step → that step."""
        if not carts.lines(state.get("cart", {})):
            return "/cart"
        if step in ("shipping", "payment") and "address" not in state:
            return "/checkout/address"
        if step == "payment" and state.get("shipping") not in carts.SHIPPING_METHODS:
            return "/checkout/shipping"
        return None

    async def checkout_address(self, request: Request) -> Response:
        state = self.cookie.load(request)
        if (target := self.guard(state, "address")):
            return self.redirect(target, state)
        if request.method == "POST":
            result = validate_address(await self.form(request))
            if result.ok and not self.cookie.fits(self.fullest_state(state, result.values)):
                result.errors[roomiest_field(result.values)] = (
                    "Your address is too long for your browser to keep: please shorten this field. Letters "
                    "beyond A-Z take 2 to 4 times the room, emoji 4 times.")
            if result.ok:
                state["address"] = result.values
                return self.redirect("/checkout/shipping", state)
            return self.checkout_page(request, state, "address", 422, values=result.values, errors=result.errors,
                                      countries=COUNTRIES)
        values = state.get("address", {"country": "DE"})
        return self.checkout_page(request, state, "address", values=values, errors={}, countries=COUNTRIES)

    async def checkout_shipping(self, request: Request) -> Response:
        state = self.cookie.load(request)
        if (target := self.guard(state, "shipping")):
            return self.redirect(target, state)
        errors: dict[str, str] = {}
        if request.method == "POST":
            choice = (await self.form(request)).get("method", "")
            if choice in carts.SHIPPING_METHODS:
                state["shipping"] = choice
                return self.redirect("/checkout/payment", state)
            errors["method"] = "Choose how you would like your order delivered."
        subtotal = carts.subtotal_cents(state.get("cart", {}))
        options = [(m, m.cost(subtotal)) for m in carts.SHIPPING_METHODS.values()]
        return self.checkout_page(request, state, "shipping", 422 if errors else 200, options=options, errors=errors,
                                  selected=state.get("shipping", "standard"), address=state["address"],
                                  countries=COUNTRIES)

    async def checkout_payment(self, request: Request) -> Response:
        state = self.cookie.load(request)
        if (target := self.guard(state, "payment")):
            return self.redirect(target, state)
        if request.method == "POST":
            form = await self.form(request)
            result = validate_payment(form)
            changed = form.get("cart_check") != carts.fingerprint(state["cart"], state["shipping"])
            if result.ok and not changed:
                return self.redirect("/checkout/confirmation", self.place_order(state, result.values["card_last4"]))
            safe = {k: v for k, v in result.values.items() if k in ("card_name", "expiry")}
            if changed:                         # show the new total; charge nothing the visitor did not see
                state["flash"] = CART_CHANGED
            return self.checkout_page(request, state, "payment", 409 if changed else 422, values=safe,
                                      errors=result.errors)
        return self.checkout_page(request, state, "payment", values={"card_name": state["address"]["name"]},
                                  errors={})

    def fullest_state(self, state: dict[str, Any], address: dict[str, str]) -> dict[str, Any]:
        """The largest state a visitor with ``address`` can reach: an order placed with it, then every product
        at the quantity limit in a new cart, the longest shipping method and a message. If that fits in the
        cookie, no later step can push it over the browser's limit (where it would be dropped silently)."""
        full_cart = {"cart": dict.fromkeys(PRODUCTS, carts.MAX_QUANTITY),
                     "shipping": max(carts.SHIPPING_METHODS, key=len)}
        ordered = self.place_order({**state, "address": address, **full_cart}, "0000")
        return {**ordered, **full_cart, "flash": "x" * FLASH_RESERVE}

    def place_order(self, state: dict[str, Any], card_last4: str) -> dict[str, Any]:
        cart = state.get("cart", {})
        subtotal = carts.subtotal_cents(cart)
        method = carts.SHIPPING_METHODS[state["shipping"]]
        state["order"] = {
            "number": "NW-" + "".join(secrets.choice("0123456789") for _ in range(8)),
            "subtotal": subtotal, "shipping": method.cost(subtotal), "total": subtotal + method.cost(subtotal),
            "items": carts.item_count(cart), "method": method.name, "email": state["address"]["email"],
            "card_last4": card_last4, "recorded": False,
        }
        for key in ("cart", "shipping"):
            state.pop(key, None)
        return state

    async def checkout_confirmation(self, request: Request) -> Response:
        state = self.cookie.load(request)
        order = state.get("order")
        if not order:
            return self.redirect("/cart", state)
        # the order event goes to the tag once: a reload or a later visit must not count the order again
        record = order.get("recorded") is False
        if record:
            state["order"] = {**order, "recorded": True}
        return self.page(request, state, "checkout_confirmation.html",
                         {"type": "checkout", "checkout-step": "confirmation"}, order=order, step="confirmation",
                         record_order=record)

    async def checkout_start(self, request: Request) -> Response:
        return RedirectResponse("/checkout/address", status_code=303)

    async def robots(self, request: Request) -> Response:
        return PlainTextResponse("User-agent: *\nDisallow: /checkout/\n")

    async def http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            return self.not_found(request, self.cookie.load(request), "There is nothing at this address.")
        return PlainTextResponse(exc.detail, status_code=exc.status_code)

    def routes(self) -> list[Route | Mount]:
        return [
            Route("/", self.home),
            Route("/category/{slug}", self.category),
            Route("/search", self.search_page),
            Route("/products/{id}", self.product),
            Route("/help/delivery", self.delivery_info),
            Route("/cart", self.cart_page),
            Route("/cart/add", self.cart_add, methods=["POST"]),
            Route("/cart/update", self.cart_update, methods=["POST"]),
            Route("/cart/remove", self.cart_remove, methods=["POST"]),
            Route("/checkout", self.checkout_start),
            Route("/checkout/address", self.checkout_address, methods=["GET", "POST"]),
            Route("/checkout/shipping", self.checkout_shipping, methods=["GET", "POST"]),
            Route("/checkout/payment", self.checkout_payment, methods=["GET", "POST"]),
            Route("/checkout/confirmation", self.checkout_confirmation),
            Route("/robots.txt", self.robots),
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ]


def roomiest_field(address: dict[str, str]) -> str:
    """The address field that takes the most bytes in the cookie: the one worth shortening."""
    return max((name for name in address if name != "country"), key=lambda name: len(address[name].encode()))


def create_app(tag_src: str | None, site_key: str = "demo", extra_head: str = "", *,
               online_path: str | None = None, secret: bytes | None = None) -> Starlette:
    """The shop as an ASGI app.

    ``tag_src``: URL of ``clickto.js`` to embed, or None for a shop without the tag (e.g. behind the proxy,
    which injects it). ``extra_head``: raw HTML added to ``<head>``. ``online_path``: when set, the footer
    links to the demo's "who is online" page. ``secret``: key that signs the state cookie (random if None,
    so carts do not survive a restart unless one is given).
    """
    shop = Shop(tag_src, site_key, extra_head, online_path, secret)
    app = Starlette(routes=shop.routes(), exception_handlers={HTTPException: shop.http_error})
    app.state.shop = shop
    return app

