"""A stand-in for the clickto service that the browser-tag tests fully control.

It serves a few HTML pages and the real ``sdk/js`` files, records every posted batch and conversation, answers
each batch with the decision the test sets, and pushes decisions on an SSE stream when the test says so.
Tests wait on what it records through ``wait_for`` (a condition variable the request handlers notify), so
they never sleep for a fixed time.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from sdk.assets import Asset

JS_DIR = Path(__file__).resolve().parents[2] / "sdk" / "js"
SITE = "test-shop"
WAIT = 15.0
"""Seconds any wait may take: generous because up to eight test suites share two cores; waits end as soon as
what they wait for happens, so the figure only matters when something is broken."""

COMMUNITY = {"channel": "community", "rule": "advice-on-product-pages", "label": "Ask the community",
             "reasons": ["page.type == product"], "scores": {}, "next_check": None, "held_out": False}
CHAT = {"channel": "chat", "rule": "reassure-at-shipping", "label": "Chat with an advisor",
        "reasons": ["checkout.step == shipping"], "scores": {}, "next_check": None, "held_out": False}
NOTHING = {"channel": None, "rule": None, "label": None, "reasons": [], "scores": {}, "next_check": None,
           "held_out": False}


def page_html(body: str = "", html_attrs: str = "", body_attrs: str = "", head: str = "", title: str = "Test page",
              tag: bool = True) -> str:
    """An HTML page that loads the tag the way a shop embeds it."""
    script = f'<script src="/clickto.js" data-site="{SITE}" async></script>' if tag else ""
    return (f"<!doctype html><html {html_attrs}><head><meta charset='utf-8'><title>{title}</title>{head}{script}"
            f"</head><body {body_attrs}>{body}</body></html>")


PAGES: dict[str, str] = {
    "home": page_html("<h1>Home</h1><a id='to-product' href='/page/product'>product</a>",
                      body_attrs='data-clickto-page-type="home"', title="Home"),
    "product": page_html(
        "<h1>Walking boots</h1><a id='to-cart' href='/page/cart'>cart</a>"
        "<button id='add' onclick=\"document.body.dataset.clicktoCartValue='129.90';"
        "document.body.dataset.clicktoCartItems='1'\">Add to cart</button>",
        body_attrs='data-clickto-page-type="product" data-clickto-product="boots-42"',
        head='<meta name="clickto:category" content="shoes"><meta name="clickto:price" content="129.90">'
             '<meta name="clickto:product" content="overridden-by-attribute">',
        title="Walking boots"),
    "cart": page_html("<h1>Cart</h1>", body_attrs='data-clickto-page-type="cart" data-clickto-cart-value="59.50" '
                                                   'data-clickto-cart-items="2"', title="Cart"),
    "checkout": page_html(
        "<h1>Shipping</h1><form id='f'><label>Email <input name='email' type='email' required></label>"
        "<label>Zip <input name='zip' required></label><select name='country'><option>FR</option></select>"
        "<button id='submit'>Continue</button></form>"
        "<input name='newsletter' id='outside'>",
        html_attrs='data-clickto-page-type="checkout"', body_attrs='data-clickto-checkout-step="shipping"',
        title="Checkout"),
    "spa": page_html(
        "<h1 id='h'>SPA</h1><script>function go(path, type){history.pushState({}, '', path);"
        "document.body.dataset.clicktoPageType = type;}</script>",
        body_attrs='data-clickto-page-type="home"', title="SPA"),
    "stub": page_html(
        "<h1>Stub</h1>",
        head="<script>window.clickto = window.clickto || []; clickto.push(['set', {segment: 'vip'}]);"
             "clickto.push(['cart', {value: 12.5, items: 1}]);</script>",
        body_attrs='data-clickto-page-type="info"', title="Stub"),
    "plain": page_html("<h1 id='plain'>Plain page</h1><p style='margin:0'>text</p>", title="Plain"),
    # a tagged page of the same shop in a frame (size chart, reviews, 3-D Secure)
    "framed": page_html("<h1>Product</h1><iframe id='chart' src='/page/home' title='size chart'></iframe>",
                        body_attrs='data-clickto-page-type="product"', title="Framed"),
    # a policy that requires Trusted Types: the browser refuses the button's markup
    "trusted-types": page_html("<h1>Product</h1>", body_attrs='data-clickto-page-type="product"',
                               head="<meta http-equiv='Content-Security-Policy' content=\"require-trusted-types-for "
                                    "'script'\">", title="Trusted Types"),
    # a shop stylesheet with blunt !important rules on every div
    "blunt-css": page_html("<h1>Product</h1>", head="<style>div{position:static!important;display:block!important;"
                           "margin:40px!important}</style>", body_attrs='data-clickto-page-type="product"',
                           title="Blunt CSS"),
    # a long page whose <body> has a transform (a containing block for position: fixed)
    "transformed": page_html("<h1>Product</h1><div style='height:4000px'>long</div>",
                             body_attrs='data-clickto-page-type="product" style="transform:translateZ(0)"',
                             title="Transformed"),
    # the tag loaded without async and an order tracked at once, while the document is still being parsed
    "order-early": page_html(
        "<h1>Thank you</h1>", tag=False, title="Order confirmed",
        head=f'<script src="/clickto.js" data-site="{SITE}"></script>'
             "<script>clickto.track('order', {value: 42})</script>",
        body_attrs='data-clickto-page-type="checkout" data-clickto-checkout-step="confirmation"'),
}


class Harness:
    """State shared between the test thread and the server's event loop."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.batches: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []        # method, content_type, body size per POST
        self.conversations: list[dict[str, Any]] = []
        self.seen_visitors: set[str] = set()
        self.stale_visitors: set[str] = set()            # visitors of earlier tests: ignored after reset()
        self.url = ""                                   # set by the fixtures once the server runs
        self.decision: dict[str, Any] | None = None     # answered to every batch
        self.events_status = 200
        self.conversation_status = 201
        self.streams: list[tuple[str, asyncio.Queue[str | None], asyncio.AbstractEventLoop]] = []
        self.app = Starlette(routes=[
            Route("/clickto.js", self._js("clickto.js")),
            Route("/clickto-panel.js", self._js("clickto-panel.js")),
            Route("/page/{name}", self._page),
            Route("/v1/events", self._events, methods=["POST"]),
            Route("/v1/stream", self._stream),
            Route("/v1/conversations", self._conversation, methods=["POST"]),
            Route("/favicon.ico", lambda request: Response(status_code=204)),
        ])

    # ---------------------------------------------------------------- test side

    def reset(self) -> None:
        with self.cond:
            self.batches.clear()
            self.stale_visitors |= self.seen_visitors
            self.requests.clear()
            self.conversations.clear()
            self.decision = None
            self.events_status = 200
            self.conversation_status = 201

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        with self.cond:
            return [e for b in self.batches for e in b["events"] if kind is None or e["type"] == kind]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = WAIT) -> Any:
        """Block until ``predicate()`` is truthy (re-checked whenever the server records something)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out after {timeout}s; events so far: "
                                         f"{[e['type'] for b in self.batches for e in b['events']]}")
                self.cond.wait(remaining)

    def keep_doing(self, step: Callable[[], bool], timeout: float = WAIT) -> None:
        """Call ``step()`` (which acts in the browser) until it returns True; between calls, wait at most
        50 ms for the server to record something, so the loop follows the tag instead of a fixed clock."""
        deadline = time.monotonic() + timeout
        while not step():
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up after {timeout}s; events so far: {[e['type'] for e in self.events()]}")
            with self.cond:
                self.cond.wait(0.05)

    def wait_event(self, kind: str, where: Callable[[dict[str, Any]], bool] = lambda e: True,
                   count: int = 1, timeout: float = WAIT) -> list[dict[str, Any]]:
        def enough() -> list[dict[str, Any]] | None:
            found = [e for e in self.events(kind) if where(e)]
            return found if len(found) >= count else None

        return self.wait_for(enough, timeout)

    def wait_stream(self, session: str, timeout: float = WAIT) -> None:
        """Until the page of ``session`` has its SSE stream open."""
        self.wait_for(lambda: any(entry[0] == session for entry in self.streams), timeout)

    def push_decision(self, decision: dict[str, Any]) -> None:
        """Send ``decision`` as an ``event: decision`` on every open stream, and answer later batches with it
        too, as the real service does (its answer is always the current decision)."""
        data = f"event: decision\ndata: {json.dumps(decision)}\n\n"
        with self.cond:
            self.decision = decision
            streams = list(self.streams)
        for _, queue, loop in streams:
            loop.call_soon_threadsafe(queue.put_nowait, data)

    def close_streams(self) -> None:
        with self.cond:
            streams = list(self.streams)
        for _, queue, loop in streams:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    # ---------------------------------------------------------------- server side

    def _js(self, name: str) -> Callable[[Request], Any]:
        async def serve(request: Request) -> Response:
            # what the service serves (compacted), read per request: the tests always run the current file
            return Response(Asset.read(JS_DIR / name).body, media_type="application/javascript",
                            headers={"Cache-Control": "no-store"})
        return serve

    async def _page(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in PAGES:
            return HTMLResponse("not found", status_code=404)
        return HTMLResponse(PAGES[name], headers={"Cache-Control": "no-store"})

    async def _events(self, request: Request) -> Response:
        body = await request.body()
        data = json.loads(body)
        with self.cond:
            if data.get("visitor") in self.stale_visitors:   # a late beacon from an earlier test's page
                return JSONResponse({"session": data.get("session"), "decision": None})
            self.seen_visitors.add(data.get("visitor"))
            self.requests.append({"content_type": request.headers.get("content-type", ""), "size": len(body),
                                  "sec_fetch_mode": request.headers.get("sec-fetch-mode", "")})
            status = self.events_status
            if status == 200:
                self.batches.append(data)
            decision = self.decision
            self.cond.notify_all()
        if status != 200:
            return JSONResponse({"error": "refused by the test"}, status_code=status)
        return JSONResponse({"session": data["session"], "decision": decision})

    async def _stream(self, request: Request) -> Response:
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        entry = (request.query_params.get("session", ""), queue, asyncio.get_running_loop())
        with self.cond:
            self.streams.append(entry)
            self.cond.notify_all()

        async def body():
            try:
                yield ": hello\n\n"
                while True:
                    item = await queue.get()
                    if item is None:
                        return
                    yield item
            finally:
                with self.cond:
                    if entry in self.streams:
                        self.streams.remove(entry)
                    self.cond.notify_all()

        return StreamingResponse(body(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    async def _conversation(self, request: Request) -> Response:
        data = json.loads(await request.body())

        with self.cond:
            status = self.conversation_status
            if status < 300:
                self.conversations.append({"content_type": request.headers.get("content-type", ""), **data})
            self.cond.notify_all()
        if status >= 300:
            return JSONResponse({"error": "refused by the test"}, status_code=status)
        return JSONResponse({"id": f"c{len(self.conversations)}"}, status_code=201)
