"""Cart arithmetic on integer cents: lines, subtotal, shipping, total.

The cart itself is a ``{product_id: quantity}`` dict kept in the state cookie; these functions turn it
into priced lines and enforce the quantity bounds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from demo_shop.catalogue import PRODUCTS, Product

MAX_QUANTITY = 10


@dataclass(frozen=True)
class Line:
    product: Product
    quantity: int

    @property
    def total_cents(self) -> int:
        return self.product.price_cents * self.quantity


@dataclass(frozen=True)
class ShippingMethod:
    id: str
    name: str
    detail: str
    price_cents: int
    free_from_cents: int | None = None

    def cost(self, subtotal_cents: int) -> int:
        if self.free_from_cents is not None and subtotal_cents >= self.free_from_cents:
            return 0
        return self.price_cents


SHIPPING_METHODS: dict[str, ShippingMethod] = {m.id: m for m in (
    ShippingMethod("standard", "Standard delivery", "3-5 working days, free from €60", 490, free_from_cents=6000),
    ShippingMethod("express", "Express delivery", "1-2 working days", 990),
    ShippingMethod("next-day", "Next-day before noon", "Order by 8 pm, delivered tomorrow by 12:00", 1490),
    ShippingMethod("pickup", "Click & collect", "Pick up at our Hamburg store, ready in 2 hours", 0),
)}


def clamp_quantity(quantity: int) -> int:
    return max(0, min(MAX_QUANTITY, quantity))


def lines(cart: dict[str, int]) -> list[Line]:
    """Priced lines for the known products in ``cart`` (unknown ids from an old cookie are dropped)."""
    return [Line(PRODUCTS[pid], qty) for pid, qty in cart.items() if pid in PRODUCTS and qty > 0]


def subtotal_cents(cart: dict[str, int]) -> int:
    return sum(line.total_cents for line in lines(cart))


def item_count(cart: dict[str, int]) -> int:
    return sum(line.quantity for line in lines(cart))


def add(cart: dict[str, int], product_id: str, quantity: int = 1) -> dict[str, int]:
    updated = dict(cart)
    updated[product_id] = clamp_quantity(updated.get(product_id, 0) + quantity)
    return {pid: qty for pid, qty in updated.items() if qty > 0}


def set_quantity(cart: dict[str, int], product_id: str, quantity: int) -> dict[str, int]:
    updated = dict(cart)
    updated[product_id] = clamp_quantity(quantity)
    return {pid: qty for pid, qty in updated.items() if qty > 0}


def remove(cart: dict[str, int], product_id: str) -> dict[str, int]:
    return {pid: qty for pid, qty in cart.items() if pid != product_id}


def fingerprint(cart: dict[str, int], shipping_id: str | None) -> str:
    """A short digest of what a payment would charge (lines, shipping method, total): the payment form carries
    it, so a cart changed in another tab after the page showed "Pay €…" is noticed instead of charged."""
    subtotal = subtotal_cents(cart)
    method = SHIPPING_METHODS.get(shipping_id or "")
    total = subtotal + (method.cost(subtotal) if method else 0)
    charged = [sorted((line.product.id, line.quantity) for line in lines(cart)), shipping_id, total]
    return hashlib.sha256(json.dumps(charged).encode()).hexdigest()[:16]
