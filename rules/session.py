"""A visitor session: SDK events folded into the facts that conditions read.

The session keeps the state events move (page, cart, checkout, counters) and the clocks (engaged dwell,
idle, session and checkout-step time) as start times, so ``facts(now)`` can be asked at any moment, past
or future, without new events: that is what lets ``decide()`` say when a rule could start to hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

from rules.errors import EventError
from rules.facts import CHECKOUT_STEPS, DEVICE_TYPES, PAGE_TYPES

MAX_STRING = 2048
MAX_NUMBER = 1e300       # JSON integers may have hundreds of digits; beyond this, float() would overflow
MAX_LIST = 50            # distinct paths, products, fields kept per session (oldest dropped first)
MAX_CUSTOM_KEYS = 50
MAX_CUSTOM_BYTES = 4096

SEARCH_HOSTS = ("google.", "bing.", "duckduckgo.", "yahoo.", "ecosia.", "qwant.", "baidu.", "yandex.", "startpage.")
SOCIAL_HOSTS = ("facebook.", "instagram.", "twitter.", "t.co", "x.com", "linkedin.", "pinterest.", "tiktok.",
                "reddit.", "youtube.", "threads.net", "mastodon.")
PAID_MEDIUMS = {"cpc", "ppc", "paid", "paidsearch", "display", "banner", "cpm", "affiliate", "campaign"}
ACTIVE_EVENTS = {"activity", "cart", "field_focus", "form_error", "exit_intent", "button_click", "custom"}

# --------------------------------------------------------------------------- event validation

_STR = "string"
_NUM = "number"
_INT = "integer"
_BOOL = "boolean"
_OBJ = "object"

EVENT_FIELDS: dict[str, dict[str, str]] = {
    "page_view": {"url": _STR, "path": _STR, "title": _STR, "referrer": _STR, "page_type": _STR, "category": _STR,
                  "product": _STR, "price": _NUM, "checkout_step": _STR, "spa": _BOOL, "device": _STR,
                  "visit_count": _INT, "visible": _BOOL, "cart_value": _NUM, "cart_items": _INT},
    "back": {"url": _STR},
    "visibility": {"visible": _BOOL},
    "activity": {},
    "cart": {"value": _NUM, "items": _INT},
    "checkout_step": {"step": _STR},
    "field_focus": {"field": _STR},
    "form_error": {"field": _STR, "message": _STR},
    "exit_intent": {},
    "custom": {"data": _OBJ},
    "button_shown": {"channel": _STR, "rule": _STR},
    "button_click": {"channel": _STR, "rule": _STR},
    "order": {"value": _NUM},
}
"""Known fields per event type and their JSON types. Unknown fields are ignored (a newer tag may send more)."""

REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "page_view": ("url",),
    "visibility": ("visible",),
    "cart": ("value",),
    "checkout_step": ("step",),
    "field_focus": ("field",),
    "form_error": ("field",),
    "custom": ("data",),
}
EVENT_TYPES: frozenset[str] = frozenset(EVENT_FIELDS)
_HANDLERS = {kind: f"_on_{kind}" for kind in EVENT_FIELDS}   # Session method per event type
ENUMS: dict[str, tuple[str, ...]] = {
    "page_type": PAGE_TYPES,
    "checkout_step": CHECKOUT_STEPS,
    "step": CHECKOUT_STEPS,
    "device": DEVICE_TYPES,
}
NON_NEGATIVE = {"price", "value", "items", "visit_count", "cart_value", "cart_items"}


def _check_type(name: str, value: Any, expected: str) -> None:
    if expected == _STR:
        if not isinstance(value, str):
            raise EventError(name, f"must be a string, got {type(value).__name__}")
        if len(value) > MAX_STRING:
            raise EventError(name, f"is longer than {MAX_STRING} characters")
    elif expected in (_NUM, _INT):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise EventError(name, f"must be a {expected}, got {type(value).__name__}")
        if not -MAX_NUMBER <= value <= MAX_NUMBER:   # NaN, inf and integers too large for a float
            raise EventError(name, "must be a finite number" if isinstance(value, float) else "is too large")
        if expected == _INT and value != int(value):
            raise EventError(name, f"must be an integer, got {value}")
        if name in NON_NEGATIVE and value < 0:
            raise EventError(name, f"must not be negative, got {value}")
    elif expected == _BOOL:
        if not isinstance(value, bool):
            raise EventError(name, f"must be true or false, got {type(value).__name__}")
    elif expected == _OBJ:
        if not isinstance(value, dict):
            raise EventError(name, f"must be an object, got {type(value).__name__}")


def _check_custom(data: Mapping[str, Any]) -> None:
    if len(data) > MAX_CUSTOM_KEYS:
        raise EventError("data", f"has more than {MAX_CUSTOM_KEYS} keys")
    for key, value in data.items():
        if not isinstance(key, str) or not key or "." in key:
            raise EventError(f"data.{key}", "keys must be non-empty strings without dots")
        _check_json_value(f"data.{key}", value, depth=0)
    if len(repr(data)) > MAX_CUSTOM_BYTES:
        raise EventError("data", f"is larger than {MAX_CUSTOM_BYTES} bytes")


def _check_json_value(name: str, value: Any, depth: int) -> None:
    if depth > 3:
        raise EventError(name, "is nested more than 3 levels deep")
    if value is None or isinstance(value, (bool, str)):
        if isinstance(value, str) and len(value) > MAX_STRING:
            raise EventError(name, f"is longer than {MAX_STRING} characters")
        return
    if isinstance(value, (int, float)):
        if not -MAX_NUMBER <= value <= MAX_NUMBER:
            raise EventError(name, "must be a finite number" if isinstance(value, float) else "is too large")
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_json_value(f"{name}[{index}]", item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise EventError(name, "object keys must be strings")
            _check_json_value(f"{name}.{key}", item, depth + 1)
        return
    raise EventError(name, f"must be a JSON value, got {type(value).__name__}")


_FAST_STR, _FAST_ENUM, _FAST_NUM, _FAST_INT, _FAST_BOOL, _FAST_NEVER = range(6)


def _fast_checks(fields: Mapping[str, str]) -> dict[str, tuple[int, Any]]:
    """Per field, (kind of check, its argument) for ``event_is_clean``: enum values accepted, or the minimum."""
    checks: dict[str, tuple[int, Any]] = {}
    for name, expected in fields.items():
        minimum = 0 if name in NON_NEGATIVE else -MAX_NUMBER
        if expected == _STR:
            allowed = ENUMS.get(name)
            checks[name] = (_FAST_STR, None) if allowed is None else \
                (_FAST_ENUM, frozenset(allowed + (("",) if name == "page_type" else ())))
        elif expected == _NUM:
            checks[name] = (_FAST_NUM, minimum)
        elif expected == _INT:
            checks[name] = (_FAST_INT, minimum)
        elif expected == _BOOL:
            checks[name] = (_FAST_BOOL, None)
        else:
            checks[name] = (_FAST_NEVER, None)   # objects (custom data) always get the full check
    checks["t"] = (_FAST_NUM, -MAX_NUMBER)
    return checks


_FAST: dict[str, tuple[tuple[str, ...], dict[str, tuple[int, Any]]]] = {
    kind: (REQUIRED_FIELDS.get(kind, ()), _fast_checks(fields)) for kind, fields in EVENT_FIELDS.items()}


def event_is_clean(event: Any) -> bool:
    """True when ``validate_event`` would surely accept ``event``: the cheap check of the service's hot path.

    False means "look closer", not "invalid": ``validate_event`` then decides and names the field. (A whole
    number sent as a float, for instance, takes the long way and is accepted there.)
    """
    if event.__class__ is not dict:
        return False
    kind = event.get("type")
    if kind.__class__ is not str or kind not in _FAST:
        return False
    required, checks = _FAST[kind]
    for name in required:
        if event.get(name) is None:
            return False
    for name, value in event.items():
        check = checks.get(name)
        if check is None:
            continue   # "type" and fields a newer tag may send
        if value is None:
            if name == "t":
                return False
            continue
        how, argument = check
        cls = value.__class__
        if how == _FAST_STR:
            if cls is not str or len(value) > MAX_STRING:
                return False
        elif how == _FAST_ENUM:
            if cls is not str or value not in argument:
                return False
        elif how == _FAST_NUM:
            if not (cls is int or cls is float) or not argument <= value <= MAX_NUMBER:   # also NaN and inf
                return False
        elif how == _FAST_INT:
            if cls is not int or not argument <= value <= MAX_NUMBER:
                return False
        elif how == _FAST_BOOL:
            if cls is not bool:
                return False
        else:
            return False
    return True


def validate_event(event: Any) -> None:
    """Raise ``EventError`` naming the field when ``event`` cannot be folded; never mutates anything.

    Validating a whole batch before applying any of it is what keeps a session intact on bad input.
    """
    if not event_is_clean(event):
        check_event(event)


def check_event(event: Any) -> None:
    """The full check behind ``validate_event``, field by field in schema order (names the first problem)."""
    if not isinstance(event, dict):
        raise EventError("", f"an event must be an object, got {type(event).__name__}")
    kind = event.get("type")
    if not isinstance(kind, str):
        raise EventError("type", "is required and must be a string")
    if kind not in EVENT_TYPES:
        import difflib

        close = difflib.get_close_matches(kind, EVENT_TYPES, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise EventError("type", f"unknown event type '{kind}'{hint}; known: {', '.join(sorted(EVENT_TYPES))}")
    if "t" in event:
        _check_type("t", event["t"], _NUM)
    fields = EVENT_FIELDS[kind]
    for name in REQUIRED_FIELDS.get(kind, ()):
        if event.get(name) is None:
            raise EventError(name, f"is required for '{kind}' events")
    for name, expected in fields.items():
        value = event.get(name)
        if value is None:
            continue
        _check_type(name, value, expected)
        allowed = ENUMS.get(name)
        if allowed and value not in allowed and not (name == "page_type" and value == ""):
            raise EventError(name, f"must be one of {', '.join(allowed)}, got '{value}'")
    if kind == "custom":
        _check_custom(event["data"])


# --------------------------------------------------------------------------- derived facts


def infer_page_type(path: str) -> str:
    """A page type for pages that do not describe themselves, from common URL shapes."""
    lowered = path.lower()
    if lowered in ("", "/", "/index.html", "/home"):
        return "home"
    for prefix, kind in (("/checkout", "checkout"), ("/cart", "cart"), ("/basket", "cart"), ("/search", "search"),
                         ("/product", "product"), ("/p/", "product"), ("/category", "category"), ("/c/", "category"),
                         ("/collections", "category"), ("/account", "account"), ("/login", "account"),
                         ("/about", "info"), ("/contact", "info"), ("/help", "info"), ("/faq", "info")):
        if lowered.startswith(prefix):
            return kind
    return "other"


def traffic_source(url: str, referrer: str) -> str:
    """Where a visit came from: utm_* parameters first, then the referrer's host."""
    try:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        ref_host = (urlsplit(referrer).hostname or "").lower() if referrer else ""
    except ValueError:
        return "direct"
    medium = (query.get("utm_medium", [""])[0] or "").lower()
    source = (query.get("utm_source", [""])[0] or "").lower()
    if medium in ("email", "e-mail", "newsletter"):
        return "email"
    if medium in ("social", "social-media", "sm") or any(host in source for host in SOCIAL_HOSTS):
        return "social"
    if medium in PAID_MEDIUMS or (medium and source):
        return "campaign"
    if not ref_host:
        return "direct"
    if parts.hostname and ref_host == parts.hostname.lower():
        return "internal"
    if any(host in ref_host for host in SEARCH_HOSTS):
        return "search"
    if any(ref_host == host.rstrip(".") or host in ref_host for host in SOCIAL_HOSTS):
        return "social"
    return "referral"


def _remember(items: list[Any], item: Any) -> None:
    """Append ``item`` once, keeping at most MAX_LIST entries (oldest dropped)."""
    if item in items:
        return
    items.append(item)
    if len(items) > MAX_LIST:
        del items[0]


_TIME_CACHE: dict[int, dict[str, Any]] = {}


def time_facts(now: float) -> dict[str, Any]:
    """``time.*`` facts in UTC, cached per minute (they only change on the minute); read-only."""
    minute = int(now // 60)
    cached = _TIME_CACHE.get(minute)
    if cached is None:
        moment = datetime.fromtimestamp(minute * 60, tz=timezone.utc)
        cached = {"hour": moment.hour, "weekday": moment.weekday(), "weekend": moment.weekday() >= 5,
                  "month": moment.month}
        if len(_TIME_CACHE) > 1024:
            _TIME_CACHE.clear()
        _TIME_CACHE[minute] = cached
    return cached


# --------------------------------------------------------------------------- the session

_STATE_FIELDS = (
    "session_id", "site", "started_at", "last_event_at", "version",
    "url", "path", "title", "page_type", "category", "product", "price", "page_started", "dwell_done",
    "engaged_since", "last_activity",
    "pages", "back_navigations", "visit_count", "referrer", "source", "landing_path", "paths", "path_views",
    "categories", "products", "exit_intents", "button_clicks", "buttons_shown", "ordered", "order_value", "by_type",
    "device", "cart_value", "cart_items",
    "step", "step_started", "steps_seen", "field_focus", "fields_focused", "errors", "error_fields",
    "custom", "display", "order_snapshot",
)


class Session:
    """One visitor session. ``apply`` folds events; ``facts(now)`` reads them with the clocks run to ``now``.

    ``version`` grows with every applied event, so caches (learned scores) know when facts changed;
    ``display`` is free-form, JSON-safe state owned by ``RuleSet.decide`` for cooldowns.
    ``site_stats`` is the one hook for facts from outside the session: when the service sets it (a dict,
    not stored with the session), ``facts()`` returns it as ``facts["stats"]`` (``sdk.sitestats``).
    """

    __slots__ = _STATE_FIELDS + ("_static", "_static_version", "site_stats")

    def __init__(self, session_id: str, site: str = "", now: float = 0.0) -> None:
        self.session_id = session_id
        self.site = site
        self.started_at = float(now)
        self.last_event_at = float(now)
        self.version = 0
        self.url = ""
        self.path = ""
        self.title = ""
        self.page_type = ""
        self.category = ""
        self.product = ""
        self.price: float | None = None
        self.page_started = float(now)
        self.dwell_done = 0.0                  # engaged seconds banked on this page before engaged_since
        self.engaged_since: float | None = None
        self.last_activity = float(now)
        self.pages = 0
        self.back_navigations = 0
        self.visit_count = 1
        self.referrer = ""
        self.source = "direct"
        self.landing_path = ""
        self.paths: list[str] = []
        self.path_views: dict[str, int] = {}
        self.categories: list[str] = []
        self.products: list[str] = []
        self.exit_intents = 0
        self.button_clicks = 0
        self.buttons_shown = 0
        self.ordered = False
        self.order_value = 0.0                 # sum of the `order` events' values (site statistics)
        self.by_type: dict[str, list[float]] = {}   # page type -> [pages, engaged seconds banked]
        self.device = ""
        self.cart_value = 0.0
        self.cart_items = 0
        self.step = ""
        self.step_started = float(now)
        self.steps_seen: list[str] = []
        self.field_focus = ""
        self.fields_focused: list[str] = []
        self.errors = 0
        self.error_fields: list[str] = []
        self.custom: dict[str, Any] = {}
        self.display: dict[str, Any] = {}
        self.order_snapshot: dict[str, Any] | None = None   # see _on_order
        self._static: dict[str, Any] | None = None
        self._static_version = -1
        self.site_stats: dict[str, float] | None = None

    # ------------------------------------------------------------------ folding events

    def apply(self, event: Mapping[str, Any], now: float) -> None:
        """Fold one validated event (see ``validate_event``) that happened at ``now``.

        Times never run backwards inside a session: an event stamped before the last one is taken as
        happening at the last one, so no clock goes negative.
        """
        now = max(float(now), self.last_event_at)
        kind = event["type"]
        getattr(self, _HANDLERS[kind])(event, now)
        if kind in ACTIVE_EVENTS:
            self.last_activity = now
        self.last_event_at = now
        self.version += 1

    def _bank_dwell(self, now: float) -> None:
        """Move the running engaged time into ``dwell_done`` and the page type's total."""
        if self.engaged_since is not None:
            spent = max(0.0, now - self.engaged_since)
            self.dwell_done += spent
            if self.page_type:
                self.by_type[self.page_type][1] += spent
            self.engaged_since = now

    def _on_page_view(self, event: Mapping[str, Any], now: float) -> None:
        self._bank_dwell(now)
        url = event["url"]
        path = event.get("path") or (urlsplit(url).path or "/")
        first = self.pages == 0
        self.pages += 1
        self.url = url
        self.path = path
        self.title = event.get("title") or ""
        self.page_type = event.get("page_type") or infer_page_type(path)
        self.category = event.get("category") or ""
        self.product = event.get("product") or ""
        self.price = event.get("price")
        self.page_started = now
        self.dwell_done = 0.0
        self.engaged_since = now if event.get("visible", True) else None
        self.last_activity = now
        counts = self.by_type.get(self.page_type)
        if counts is None:
            counts = self.by_type[self.page_type] = [0, 0.0]
        counts[0] += 1
        _remember(self.paths, path)
        self.path_views[path] = self.path_views.get(path, 0) + 1
        if len(self.path_views) > MAX_LIST:
            self.path_views.pop(next(iter(self.path_views)))
        if self.category:
            _remember(self.categories, self.category)
        if self.product:
            _remember(self.products, self.product)
        if first:
            self.referrer = event.get("referrer") or ""
            self.landing_path = path
            self.source = traffic_source(url, self.referrer)
        if event.get("device"):
            self.device = event["device"]
        if event.get("visit_count"):
            self.visit_count = int(event["visit_count"])
        if event.get("cart_value") is not None:
            self.cart_value = float(event["cart_value"])
        if event.get("cart_items") is not None:
            self.cart_items = int(event["cart_items"])
        if self.page_type == "checkout" and event.get("checkout_step"):
            self._enter_step(event["checkout_step"], now)
        elif self.page_type != "checkout":
            self.step = ""
            self.fields_focused = []

    def _enter_step(self, step: str, now: float) -> None:
        if step != self.step:
            self.step = step
            self.step_started = now
            self.fields_focused = []
            _remember(self.steps_seen, step)

    def _on_back(self, event: Mapping[str, Any], now: float) -> None:
        self.back_navigations += 1

    def _on_visibility(self, event: Mapping[str, Any], now: float) -> None:
        if event["visible"]:
            if self.engaged_since is None:
                self.engaged_since = now
            self.last_activity = now
        else:
            self._bank_dwell(now)
            self.engaged_since = None

    def _on_activity(self, event: Mapping[str, Any], now: float) -> None:
        pass  # moves only the idle clock (see ACTIVE_EVENTS)

    def _on_cart(self, event: Mapping[str, Any], now: float) -> None:
        self.cart_value = float(event["value"])
        if event.get("items") is not None:
            self.cart_items = int(event["items"])

    def _on_checkout_step(self, event: Mapping[str, Any], now: float) -> None:
        self._enter_step(event["step"], now)

    def _on_field_focus(self, event: Mapping[str, Any], now: float) -> None:
        self.field_focus = event["field"]
        _remember(self.fields_focused, event["field"])

    def _on_form_error(self, event: Mapping[str, Any], now: float) -> None:
        self.errors += 1
        _remember(self.error_fields, event["field"])

    def _on_exit_intent(self, event: Mapping[str, Any], now: float) -> None:
        self.exit_intents += 1

    def _on_custom(self, event: Mapping[str, Any], now: float) -> None:
        for key, value in event["data"].items():
            if value is None:
                self.custom.pop(key, None)
            elif key in self.custom or len(self.custom) < MAX_CUSTOM_KEYS:
                self.custom[key] = value

    def _on_button_shown(self, event: Mapping[str, Any], now: float) -> None:
        self.buttons_shown += 1

    def _on_button_click(self, event: Mapping[str, Any], now: float) -> None:
        self.button_clicks += 1

    def _on_order(self, event: Mapping[str, Any], now: float) -> None:
        if not self.ordered:
            self.order_snapshot = self._page_start_snapshot()
        self.ordered = True
        self.order_value += float(event.get("value") or 0.0)

    def _page_start_snapshot(self) -> dict[str, Any]:
        """The page counts and engaged seconds per page type as they were when the current page began.

        Taken at the first ``order``: a training row describes the visit up to the page the order arrived on
        (the confirmation page and whatever follows would tell a model the outcome). Cheap: orders are rare.
        """
        by_type = {kind: [counts[0], counts[1]] for kind, counts in self.by_type.items()}
        views = dict(self.path_views)
        current = by_type.get(self.page_type) if self.pages else None
        if current is not None:
            current[0] = max(0, current[0] - 1)
            current[1] = max(0.0, round(current[1] - self.dwell_done, 6))
            if current[0] == 0 and current[1] == 0.0:
                del by_type[self.page_type]
            if views.get(self.path, 0) > 1:
                views[self.path] -= 1
            else:
                views.pop(self.path, None)
        return {"at": self.page_started, "by_type": by_type, "path_views": views}

    # ------------------------------------------------------------------ reading facts

    def dwell_seconds(self, now: float) -> float:
        running = max(0.0, now - self.engaged_since) if self.engaged_since is not None else 0.0
        return self.dwell_done + running

    def clock_rates(self, now: float) -> dict[str, float]:
        """How fast each clock fact grows per second from ``now`` if no event arrives (1.0 or 0.0)."""
        engaged = 1.0 if self.engaged_since is not None else 0.0
        rates = {
            "page.dwell_seconds": engaged,
            "page.idle_seconds": 1.0 if self.pages else 0.0,
            "session.seconds": 1.0,
            "checkout.step_seconds": 1.0 if self.step else 0.0,
        }
        for page_type in self.by_type:
            rates[f"session.by_type.{page_type}.seconds"] = engaged if page_type == self.page_type else 0.0
        return rates

    def _static_facts(self) -> dict[str, Any]:
        """The facts that only events change, rebuilt once per ``version``."""
        if self._static is not None and self._static_version == self.version:
            return self._static
        page: dict[str, Any] = {}
        if self.pages:
            page = {"url": self.url, "path": self.path, "title": self.title, "type": self.page_type,
                    "views": self.path_views.get(self.path, 1)}
            if self.category:
                page["category"] = self.category
            if self.product:
                page["product"] = self.product
            if self.price is not None:
                page["price"] = self.price
        session = {
            "pages": self.pages, "back_navigations": self.back_navigations, "visit_count": self.visit_count,
            "returning": self.visit_count > 1, "referrer": self.referrer, "traffic_source": self.source,
            "landing_path": self.landing_path, "paths": list(self.paths), "categories": list(self.categories),
            "products": list(self.products), "exit_intents": self.exit_intents,
            "button_clicks": self.button_clicks, "buttons_shown": self.buttons_shown, "ordered": self.ordered,
            "by_type": {kind: {"pages": int(counts[0]), "seconds": counts[1]} for kind, counts in self.by_type.items()},
        }
        checkout: dict[str, Any] = {"steps_seen": list(self.steps_seen), "errors": self.errors,
                                    "error_fields": list(self.error_fields),
                                    "fields_focused": list(self.fields_focused)}
        if self.field_focus:
            checkout["field_focus"] = self.field_focus
        if self.step:
            checkout["step"] = self.step
        static = {
            "page": page,
            "session": session,
            "device": {"type": self.device} if self.device else {},
            "cart": {"value": self.cart_value, "items": self.cart_items},
            "checkout": checkout,
            "custom": dict(self.custom),
        }
        self._static = static
        self._static_version = self.version
        return static

    def facts(self, now: float) -> dict[str, Any]:
        """The nested facts at ``now`` (a fresh dict each call: callers may add keys such as ``score``).

        Only the sub-dicts that hold clocks are copied; the rest is shared with the per-version cache,
        so callers must treat nested dicts as read-only.
        """
        static = self._static_facts()
        facts = static.copy()
        running = now - self.engaged_since if self.engaged_since is not None and now > self.engaged_since else 0.0
        if self.pages:
            page = static["page"].copy()
            page["dwell_seconds"] = self.dwell_done + running
            page["idle_seconds"] = now - self.last_activity if now > self.last_activity else 0.0
            facts["page"] = page
        session = static["session"].copy()
        session["seconds"] = now - self.started_at if now > self.started_at else 0.0
        if running and self.page_type:
            by_type = session["by_type"].copy()
            current = by_type[self.page_type].copy()
            current["seconds"] += running
            by_type[self.page_type] = current
            session["by_type"] = by_type
        facts["session"] = session
        if self.step:
            checkout = static["checkout"].copy()
            checkout["step_seconds"] = now - self.step_started if now > self.step_started else 0.0
            facts["checkout"] = checkout
        facts["time"] = time_facts(now)
        if self.site_stats is not None:
            facts["stats"] = self.site_stats
        return facts

    # ------------------------------------------------------------------ storage

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe copy of the whole state (for stores and for ``clickto explain``)."""
        return {name: _copy(getattr(self, name)) for name in _STATE_FIELDS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Session":
        """Rebuild a session from ``to_dict()``; unknown keys are ignored, missing ones keep defaults."""
        if not isinstance(data, Mapping) or not isinstance(data.get("session_id"), str):
            raise EventError("session_id", "a stored session needs a string session_id")
        session = cls(data["session_id"], str(data.get("site", "")), float(data.get("started_at", 0.0)))
        for name in _STATE_FIELDS:
            if name in data:
                setattr(session, name, _copy(data[name]))
        session.by_type = {kind: [counts[0], counts[1]] for kind, counts in session.by_type.items()}
        return session

    @classmethod
    def from_values(cls, names: tuple[str, ...], values: tuple[Any, ...]) -> Session:
        """Rebuild a session from state values taken, in ``names`` order, from a session of this class.

        For in-process stores (``sdk.store.MemoryStore``): no validation and no copies, so the values must
        be private to the new session (freshly decoded). ``names`` must be the ``to_dict()`` keys.
        """
        session = cls.__new__(cls)
        if cls is Session and names == _STATE_FIELDS:   # every slot is about to be set: skip the defaults
            session._static = None
            session._static_version = -1
            session.site_stats = None
            _restore_state(session, values)
            return session
        session.__init__(values[names.index("session_id")])  # type: ignore[misc]
        for name, value in zip(names, values):
            setattr(session, name, value)
        return session


def _compile_restore(names: tuple[str, ...]) -> Any:
    """``restore(session, values)`` assigning ``values`` to the attributes ``names`` in one unpacking statement
    (several times faster than a ``setattr`` loop; the names are our own identifiers, checked below)."""
    if not all(name.isidentifier() for name in names):
        raise ValueError("state field names must be identifiers")
    namespace: dict[str, Any] = {}
    targets = ", ".join(f"session.{name}" for name in names)
    exec(f"def restore(session, values):\n    {targets}, = values\n", namespace)  # noqa: S102
    return namespace["restore"]


_restore_state = _compile_restore(_STATE_FIELDS)


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy(item) for item in value]
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    return value
