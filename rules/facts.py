"""The catalogue of session facts: every path a condition may name, its type, and whether it is a clock.

One table serves three readers: the loader (unknown-fact errors with "did you mean"), the engine (which
facts run on by themselves, for next-check times) and the docs (docs/facts.md lists the same entries).
"""

from __future__ import annotations

from dataclasses import dataclass

PAGE_TYPES = ("home", "category", "product", "search", "cart", "checkout", "info", "account", "other")
CHECKOUT_STEPS = ("address", "shipping", "payment", "confirmation")
DEVICE_TYPES = ("desktop", "mobile", "tablet")
TRAFFIC_SOURCES = ("direct", "search", "social", "email", "campaign", "referral", "internal")

OPEN_PREFIXES = ("custom.", "score.")
"""Facts below these are open-ended: ``custom.*`` is whatever the site sends, ``score.*`` the file's scores."""


@dataclass(frozen=True)
class Fact:
    path: str
    type: str            # "string", "number", "integer", "boolean", "array"
    description: str
    clock: bool = False  # grows by itself while nothing happens (seconds), so rules on it can become true later
    values: tuple[str, ...] = ()
    bounds: tuple[int, int] | None = None   # the only numbers the fact takes (inclusive): time.hour is 0-23


def _facts(*items: Fact) -> dict[str, Fact]:
    return {item.path: item for item in items}


FACTS: dict[str, Fact] = _facts(
    Fact("page.url", "string", "full URL of the current page"),
    Fact("page.path", "string", "path of the current page, e.g. /products/12"),
    Fact("page.title", "string", "document title"),
    Fact("page.type", "string", "kind of page, as the page describes itself", values=PAGE_TYPES),
    Fact("page.category", "string", "catalogue category of the page (category and product pages)"),
    Fact("page.product", "string", "product id on a product page"),
    Fact("page.price", "number", "product price in euros on a product page"),
    Fact("page.dwell_seconds", "number", "engaged time on this page: counted only while visible and focused", clock=True),
    Fact("page.idle_seconds", "number", "time since the last pointer, key, scroll or touch on this page", clock=True),
    Fact("page.views", "integer", "how many times this path was viewed in the session (1 on a first view)"),
    Fact("session.seconds", "number", "time since the session started", clock=True),
    Fact("session.pages", "integer", "page views in the session (SPA navigations count)"),
    Fact("session.back_navigations", "integer", "back/forward navigations (bfcache restores and popstate)"),
    Fact("session.visit_count", "integer", "visits of this browser to the site, this one included"),
    Fact("session.returning", "boolean", "true when visit_count > 1"),
    Fact("session.referrer", "string", "document.referrer of the session's first page"),
    Fact("session.traffic_source", "string", "where the visit came from, derived from referrer and utm_* parameters", values=TRAFFIC_SOURCES),
    Fact("session.landing_path", "string", "path of the session's first page"),
    Fact("session.paths", "array", "distinct paths viewed in the session, in order of first view"),
    Fact("session.categories", "array", "distinct categories viewed in the session"),
    Fact("session.products", "array", "distinct product ids viewed in the session"),
    Fact("session.exit_intents", "integer", "times the pointer left the window towards the browser chrome (desktop)"),
    Fact("session.button_clicks", "integer", "clicks on a clickto button in the session"),
    Fact("session.buttons_shown", "integer", "buttons shown in the session"),
    Fact("session.ordered", "boolean", "an order was placed in the session"),
    Fact("session.by_type", "object", "per page type: {pages, seconds} (e.g. session.by_type.product.seconds)"),
    Fact("device.type", "string", "device class reported by the tag", values=DEVICE_TYPES),
    Fact("cart.value", "number", "cart value in euros"),
    Fact("cart.items", "integer", "number of items in the cart"),
    Fact("checkout.step", "string", "current checkout step, absent outside the checkout", values=CHECKOUT_STEPS),
    Fact("checkout.step_seconds", "number", "time on the current checkout step", clock=True),
    Fact("checkout.steps_seen", "array", "checkout steps reached in the session, in order"),
    Fact("checkout.field_focus", "string", "name of the last focused checkout form field"),
    Fact("checkout.fields_focused", "array", "names of the checkout form fields focused on this step"),
    Fact("checkout.errors", "integer", "form validation errors seen in the checkout during the session"),
    Fact("checkout.error_fields", "array", "names of the fields that showed validation errors"),
    Fact("time.hour", "integer", "hour of day in UTC, 0-23 (for local hours use a schedule with a timezone)",
         bounds=(0, 23)),
    Fact("time.weekday", "integer", "day of week, 0 = Monday", bounds=(0, 6)),
    Fact("time.weekend", "boolean", "Saturday or Sunday"),
    Fact("time.month", "integer", "month, 1-12", bounds=(1, 12)),
)

for _page_type in PAGE_TYPES:
    FACTS[f"session.by_type.{_page_type}.pages"] = Fact(
        f"session.by_type.{_page_type}.pages", "integer", f"{_page_type} pages viewed in the session")
    FACTS[f"session.by_type.{_page_type}.seconds"] = Fact(
        f"session.by_type.{_page_type}.seconds", "number", f"engaged seconds on {_page_type} pages in the session",
        clock=True)

CLOCK_FACTS: frozenset[str] = frozenset(path for path, fact in FACTS.items() if fact.clock)


def catalogued(path: str) -> Fact | None:
    """The catalogue entry of ``path``; a list fact's ``.length`` is a whole number (GrowthBook reads it so)."""
    fact = FACTS.get(path)
    if fact is None:
        parent, _, last = path.rpartition(".")
        if last == "length" and parent in FACTS and FACTS[parent].type == "array":
            return Fact(path, "integer", f"number of entries in {parent}")
    return fact


def is_known_fact(path: str, score_names: frozenset[str] | set[str] = frozenset()) -> bool:
    """True when ``path`` names a catalogued fact, a parent of one, a ``custom.*`` fact or a declared score."""
    if path in FACTS:
        return True
    if path.startswith("custom."):
        return len(path) > len("custom.")
    if path.startswith("score."):
        return path[len("score."):] in score_names
    parent, _, last = path.rpartition(".")
    if parent in FACTS and FACTS[parent].type == "array" and (last == "length" or last.isdigit()):
        return True     # session.paths.length, session.paths.0: list paths as GrowthBook reads them
    prefix = path + "."
    return any(known.startswith(prefix) for known in FACTS)
