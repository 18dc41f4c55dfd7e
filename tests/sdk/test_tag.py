"""The browser tag in a real Chromium: what it collects and how it sends it (against tests/sdk/tag_harness.py)."""

from __future__ import annotations

import gzip

import pytest
from playwright.sync_api import expect

from sdk.assets import Asset
from tests.sdk.tag_harness import JS_DIR, SITE

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


BUDGET = 5000
"""Bytes of ``gzip -9`` for the tag every page loads: "under 5 KB" read strictly (5 KB = 5,000 bytes)."""


def test_tag_stays_under_5kb_gzip(capsys):
    """What every page loads is what the service serves: the source compacted (``sdk.assets.compact_js``)."""
    source = (JS_DIR / "clickto.js").read_bytes()
    served = Asset.read(JS_DIR / "clickto.js").body
    assert served != source, "the tag is served compacted"
    size = len(gzip.compress(served, 9, mtime=0))
    panel = len(gzip.compress(Asset.read(JS_DIR / "clickto-panel.js").body, 9, mtime=0))
    with capsys.disabled():
        print(f"\nclickto.js: {size} bytes gzip -9 as served (budget < {BUDGET}; the commented source: "
              f"{len(gzip.compress(source, 9, mtime=0))}); clickto-panel.js (lazy): {panel} bytes")
    assert size < BUDGET, f"clickto.js is {size} bytes gzip -9; the budget is < {BUDGET}"


def test_first_page_view_batched_as_text_plain_with_page_attributes_and_meta(harness, page):
    page.goto(harness.url + "/page/product")
    view = harness.wait_event("page_view")[0]
    batch = harness.batches[0]
    assert batch["site"] == SITE and batch["session"] and batch["visitor"] and batch["sent_at"] > 0
    assert harness.requests[0]["content_type"].startswith("text/plain")
    assert view["url"] == harness.url + "/page/product" and view["path"] == "/page/product"
    assert view["title"] == "Walking boots"
    assert view["page_type"] == "product"
    assert view["product"] == "boots-42", "the body attribute wins over <meta>"
    assert view["category"] == "shoes" and view["price"] == 129.9, "meta fills what attributes do not say"
    assert view["device"] == "desktop" and view["visit_count"] == 1 and view["spa"] is False
    assert view["visible"] is True
    assert isinstance(view["t"], int)


def test_several_events_travel_in_one_batch(harness, page):
    page.goto(harness.url + "/page/checkout")
    harness.wait_event("page_view")
    first = len(harness.requests)
    page.evaluate("""() => {
        clickto.track('exit_intent');
        clickto.cart({value: '42,50', items: 3});
        clickto.set({segment: 'vip'});
        clickto.track('order', {value: 42.5});
    }""")
    harness.wait_event("order")
    later = [b for b in harness.batches[first:]]
    assert len(later) == 1, [[e["type"] for e in b["events"]] for b in later]
    assert [e["type"] for e in later[0]["events"]] == ["exit_intent", "cart", "custom", "order"]
    cart = later[0]["events"][1]
    assert cart["value"] == 42.5 and cart["items"] == 3
    assert later[0]["events"][2]["data"] == {"segment": "vip"}


def test_posts_use_keepalive_without_credentials_and_split_under_64kb(harness, page):
    page.add_init_script("""
        window.__posts = [];
        const realFetch = window.fetch;
        window.fetch = function (url, init) {     // a spy: the real fetch still does the work
            if (String(url).includes('/v1/events')) window.__posts.push({keepalive: init.keepalive,
                credentials: init.credentials, type: init.headers['Content-Type'], bytes: new Blob([init.body]).size});
            return realFetch.apply(this, arguments);
        };
    """)
    page.goto(harness.url + "/page/home")
    harness.wait_event("page_view")
    page.evaluate("""() => {
        const text = 'é'.repeat(1500);                    // 3000 bytes of UTF-8 per event
        for (let i = 0; i < 60; i++) clickto.set({['k' + i]: text});
    }""")
    harness.wait_event("custom", count=60)
    posts = page.evaluate("window.__posts")
    assert all(p["keepalive"] is True and p["credentials"] == "omit" and p["type"] == "text/plain" for p in posts)
    assert len(posts) >= 3 and max(p["bytes"] for p in posts) < 64 * 1024
    assert [next(iter(e["data"])) for e in harness.events("custom")] == [f"k{i}" for i in range(60)]


def test_session_and_visitor_persist_across_pages_and_a_new_visit_after_30_idle_minutes(harness, page):
    page.clock.install()
    page.goto(harness.url + "/page/home")
    first = harness.wait_event("page_view")[0]
    page.click("#to-product")
    harness.wait_event("page_view", count=2)
    assert len({b["session"] for b in harness.batches}) == 1
    assert len({b["visitor"] for b in harness.batches}) == 1
    session, visitor = harness.batches[0]["session"], harness.batches[0]["visitor"]
    page.clock.fast_forward("31:00")
    page.evaluate("clickto.set({back_after_lunch: true})")
    view = harness.wait_event("page_view", count=3)[-1]
    assert first["visit_count"] == 1 and view["visit_count"] == 2
    assert view["path"] == "/page/product" and view["spa"] is False
    newer = harness.batches[-1]
    assert newer["session"] != session and newer["visitor"] == visitor
    assert harness.wait_event("custom")[0]["data"] == {"back_after_lunch": True}


def test_tabs_of_one_visit_share_its_session_while_any_of_them_is_active(harness, page):
    """Idle time is counted from the last event of any tab (first-party storage), not of this tab alone: a tab
    left open for 31 minutes while another tab was in use is still the same visit."""
    page.clock.install()                      # the context's clock: both tabs see the same time
    page.goto(harness.url + "/page/home")
    harness.wait_event("page_view")
    other = page.context.new_page()
    try:
        other.goto(harness.url + "/page/product")
        harness.wait_event("page_view", count=2)
        page.clock.fast_forward("20:00")
        other.evaluate("clickto.set({in_other_tab: true})")
        harness.wait_event("custom")
        page.clock.fast_forward("11:00")      # 31 minutes after the first tab's own last event
        page.evaluate("clickto.set({back_in_first_tab: true})")
        harness.wait_event("custom", count=2)
    finally:
        other.close()
    assert len({b["session"] for b in harness.batches}) == 1
    assert [e["visit_count"] for e in harness.events("page_view")] == [1, 1]


def test_a_visitor_offline_for_minutes_is_not_taken_for_a_blocked_tag(harness, page):
    """Failures while the browser says it is offline do not count towards giving up (which silences the tag for
    ten minutes): back online, what was queued is sent."""
    page.expect_network_errors = True
    page.clock.install()
    page.goto(harness.url + "/page/home")
    harness.wait_event("page_view")
    page.context.set_offline(True)
    assert page.evaluate("navigator.onLine") is False
    page.evaluate("clickto.track('order', {value: 9})")
    for _ in range(12):                                    # six minutes of retries, each failing at once
        page.clock.run_for(30_000)
        page.evaluate("new Promise(done => requestAnimationFrame(() => done()))")
    assert page.evaluate("localStorage['clickto:test-shop:off'] || null") is None
    page.context.set_offline(False)
    page.clock.run_for(60_000)
    assert harness.wait_event("order")[0]["value"] == 9


def test_stub_queue_calls_made_before_the_tag_loaded_are_replayed(harness, page):
    page.goto(harness.url + "/page/stub")
    custom = harness.wait_event("custom")[0]
    assert custom["data"] == {"segment": "vip"}
    cart = harness.wait_event("cart")[0]
    assert cart["value"] == 12.5 and cart["items"] == 1
    types = [e["type"] for e in harness.events()]
    assert types.index("page_view") < types.index("custom")


def test_an_event_tracked_before_the_page_was_read_follows_its_page_view(harness, page):
    """The confirmation page tracks the order while it is still being parsed: the order must still come after
    that page's page view, or the service would file it under the previous page (training rows, docs/intent.md)."""
    page.goto(harness.url + "/page/order-early")
    harness.wait_event("order")
    assert [e["type"] for e in harness.events()][:2] == ["page_view", "order"]
    assert harness.events("page_view")[0]["checkout_step"] == "confirmation"


def test_an_event_tracked_right_after_an_spa_route_change_follows_the_new_page_view(harness, page):
    """Frameworks change the URL first and render the new page a moment later: the call waits for the new page
    view, and that page view describes the new page (its attributes), not the one before."""
    page.goto(harness.url + "/page/spa")
    harness.wait_event("page_view")
    page.evaluate("history.pushState({}, '', '/page/spa/confirmation'); clickto.track('order', {value: 42});"
                  "setTimeout(() => document.body.dataset.clicktoPageType = 'checkout', 0)")
    harness.wait_event("order")
    seen = [(e["type"], e.get("path"), e.get("page_type")) for e in harness.events() if e["type"] in ("page_view", "order")]
    assert seen == [("page_view", "/page/spa", "home"), ("page_view", "/page/spa/confirmation", "checkout"),
                    ("order", None, None)]


def test_spa_navigation_with_push_state_and_dedupe(harness, page):
    page.goto(harness.url + "/page/spa")
    harness.wait_event("page_view")
    page.evaluate("go('/page/spa/products/7', 'product')")
    view = harness.wait_event("page_view", lambda e: e["spa"])[0]
    assert view["path"] == "/page/spa/products/7" and view["page_type"] == "product"
    assert view["referrer"] == harness.url + "/page/spa"
    page.evaluate("history.replaceState({x: 1}, '')")          # same URL: no new page view
    page.evaluate("location.hash = 'reviews'")                   # a plain anchor is no new page
    page.evaluate("go('/page/spa/cart', 'cart')")
    harness.wait_event("page_view", lambda e: e["spa"], count=2)
    page.go_back()                                               # popstate to an earlier entry
    back = harness.wait_event("back")[0]
    assert back["url"].endswith("/page/spa/products/7#reviews")
    spa_views = [e["path"] for e in harness.events("page_view") if e["spa"]]
    assert spa_views == ["/page/spa/products/7", "/page/spa/cart", "/page/spa/products/7"]


def test_replace_state_of_the_query_alone_is_the_same_page(harness, page):
    """Search-as-you-type boxes and filters rewrite the query with ``replaceState`` on every keystroke: that is
    the same page (its dwell keeps running), not a page view per keystroke. ``replaceState`` to another path,
    and ``pushState`` even of a query alone (a new history entry), are new pages."""
    page.goto(harness.url + "/page/spa")
    harness.wait_event("page_view")
    page.evaluate("for (const q of ['b', 'bo', 'boo', 'boot']) history.replaceState({}, '', '?q=' + q);"
                  "clickto.set({typed: 'boot'})")
    harness.wait_event("custom")                  # sent once the tag took the new query as the same page
    page.evaluate("history.replaceState({}, '', '/page/spa/products/7')")
    view = harness.wait_event("page_view", lambda e: e["spa"])[0]
    assert view["path"] == "/page/spa/products/7"
    assert view["referrer"] == harness.url + "/page/spa?q=boot", "the referrer is the page as it was left"
    page.evaluate("history.pushState({}, '', '?page=2')")
    view = harness.wait_event("page_view", lambda e: e["spa"], count=2)[1]
    assert view["url"] == harness.url + "/page/spa/products/7?page=2"
    assert [e["path"] for e in harness.events("page_view")] == ["/page/spa", "/page/spa/products/7",
                                                                "/page/spa/products/7"]
    assert [e["type"] for e in harness.events()].count("custom") == 1


def test_hash_router_routes_are_pages_and_back_between_them_is_a_back(harness, page):
    page.goto(harness.url + "/page/spa")
    harness.wait_event("page_view")
    page.evaluate("location.hash = '#/shoes'")
    harness.wait_event("page_view", lambda e: e["spa"])
    page.evaluate("location.hash = '#/shoes/boots'")
    harness.wait_event("page_view", lambda e: e["spa"], count=2)
    page.go_back()
    assert harness.wait_event("back")[0]["url"] == harness.url + "/page/spa#/shoes"
    views = harness.wait_event("page_view", lambda e: e["spa"], count=3)
    assert [v["url"].split("#")[1] for v in views] == ["/shoes", "/shoes/boots", "/shoes"]


def test_a_history_entry_of_the_same_page_is_no_back(harness, page):
    """A modal or a drawer opened with ``pushState`` of the same URL and closed with Back: the visitor did not
    go back to another page."""
    page.clock.install()
    page.goto(harness.url + "/page/product")
    page.clock.run_for(100)
    harness.wait_event("page_view")
    page.evaluate("history.pushState({modal: 1}, '')")
    page.evaluate("new Promise(done => { addEventListener('popstate', done, {once: true}); history.back(); })")
    page.clock.run_for(100)                       # the tag looks at the route 30 ms after the popstate
    page.evaluate("clickto.set({closed: true})")
    page.clock.run_for(100)
    harness.wait_event("custom")
    assert [e["type"] for e in harness.events()].count("back") == 0
    assert len(harness.events("page_view")) == 1


@pytest.mark.parametrize("when", ["before the tag, on history", "after the tag, on History.prototype"])
def test_a_router_library_patching_push_state_still_runs(harness, page, when):
    """Router libraries wrap ``history.pushState`` (often before the tag loads) or ``History.prototype.pushState``
    (possibly after): the tag's own wrapper must neither hide theirs nor be skipped by it."""
    patch = """(() => {
        window.__calls = 0;
        const target = TARGET, real = target.pushState;
        target.pushState = function (...a) { __calls++; return real.apply(this, a); };
    })()"""
    if when.startswith("before"):
        page.add_init_script(patch.replace("TARGET", "history"))
    page.goto(harness.url + "/page/spa")
    harness.wait_event("page_view")
    if when.startswith("after"):
        page.evaluate(patch.replace("TARGET", "History.prototype"))
    page.evaluate("go('/page/spa/products/7', 'product')")
    assert harness.wait_event("page_view", lambda e: e["spa"])[0]["path"] == "/page/spa/products/7"
    assert page.evaluate("__calls") == 1


def test_back_navigation_between_documents(harness, page):
    page.goto(harness.url + "/page/home")
    harness.wait_event("page_view")
    page.click("#to-product")
    harness.wait_event("page_view", lambda e: e["path"] == "/page/product")
    page.go_back()
    back = harness.wait_event("back")[0]
    assert back["url"] == harness.url + "/page/home"
    assert [e["path"] for e in harness.events("page_view")][-1] == "/page/home"


def test_back_forward_cache_restore_is_a_page_view_and_a_back(harness, page):
    page.goto(harness.url + "/page/product")
    harness.wait_event("page_view")
    # Chromium's headless bfcache is not reliable under Playwright: fire what the browser fires on a restore
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    back = harness.wait_event("back")[0]
    assert back["url"] == harness.url + "/page/product"
    views = harness.wait_event("page_view", count=2)
    assert views[1]["path"] == "/page/product" and views[1]["spa"] is False
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: false}))")
    page.evaluate("clickto.track('custom', {data: {after: 1}})")
    harness.wait_event("custom")
    assert len(harness.events("back")) == 1, "a fresh load (persisted false) is no back-navigation"


def test_queue_is_bounded_and_drops_activity_first(harness, page):
    """While the service refuses (503), the tag keeps at most 300 events; when full it drops the oldest
    ``activity`` first, then the oldest events; once the service is back, the rest arrives in order."""
    page.expect_network_errors = True          # Chromium logs the 503 answers itself
    page.clock.install()
    page.goto(harness.url + "/page/home")
    harness.wait_event("page_view")
    harness.events_status = 503
    page.evaluate("""() => {
        for (let i = 0; i < 150; i++) clickto.set({['k' + i]: i});
        clickto.track('activity');
        for (let i = 150; i < 400; i++) clickto.set({['k' + i]: i});
        clickto.flush();
    }""")
    page.clock.run_for(100)
    harness.wait_for(lambda: len(harness.requests) >= 2)     # the page view, then the refused batch
    harness.events_status = 200

    def delivered() -> bool:  # run the page's clock through the jittered backoff until all has arrived
        page.clock.run_for(1_000)
        return len(harness.events("custom")) >= 300

    harness.keep_doing(delivered)
    keys = [next(iter(e["data"])) for e in harness.events("custom")]
    assert keys == [f"k{i}" for i in range(100, 400)], "the 100 oldest dropped, after the activity"
    assert harness.events("activity") == []


def test_mobile_visitor_has_no_exit_intent(harness, browser):
    context = browser.new_context(user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
                                             "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
                                  has_touch=True)
    try:
        page = context.new_page()
        page.goto(harness.url + "/page/product")
        assert harness.wait_event("page_view")[0]["device"] == "mobile"
        page.evaluate("""() => {
            document.dispatchEvent(new MouseEvent('mouseout', {clientY: -2, relatedTarget: null, bubbles: true}));
            clickto.track('custom', {data: {after: 1}});
        }""")
        harness.wait_event("custom")
        assert harness.events("exit_intent") == []
    finally:
        context.close()


def test_visibility_pauses_and_resumes_engaged_dwell(harness, page):
    page.goto(harness.url + "/page/product")
    harness.wait_event("page_view")
    # headless pages are always visible and focused: tell the page it lost focus, as a real blur would
    page.evaluate("""() => {
        window.__focused = true;
        document.hasFocus = () => window.__focused;
        window.__focused = false; window.dispatchEvent(new Event('blur'));
    }""")
    hidden = harness.wait_event("visibility")[0]
    assert hidden["visible"] is False
    page.evaluate("window.__focused = true; window.dispatchEvent(new Event('focus'))")
    shown = harness.wait_event("visibility", count=2)[1]
    assert shown["visible"] is True and shown["t"] >= hidden["t"]
    page.evaluate("""() => {
        // what a real tab switch changes (headless pages never hide)
        Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
        Object.defineProperty(document, 'hidden', {value: true, configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    assert harness.wait_event("visibility", count=3)[2]["visible"] is False
    # a repeated signal with no change sends nothing new
    page.evaluate("document.dispatchEvent(new Event('visibilitychange')); clickto.track('custom', {data: {x: 1}})")
    harness.wait_event("custom")
    assert len(harness.events("visibility")) == 3


def test_activity_is_throttled_to_one_every_two_seconds(harness, page):
    """Pointer activity is reported at most once every 2 s (by the page's clock, driven by the test)."""
    page.clock.install()
    page.goto(harness.url + "/page/product")
    page.clock.run_for(100)
    harness.wait_event("page_view")

    def busy(moves: int) -> None:
        for n in range(moves):
            page.mouse.move(10 + n * 7, 10 + n * 3)

    busy(10)                       # the first move is reported, the other nine fall in its 2 s
    page.clock.run_for(1_100)      # activity is sent within 1 s
    harness.wait_event("activity")
    busy(10)                       # still within 2 s of the first report: nothing new
    page.clock.run_for(1_000)
    busy(10)                       # 2.1 s later: one more report
    page.clock.run_for(1_100)
    activity = harness.wait_event("activity", count=2)
    page.evaluate("clickto.track('custom', {data: {done: 1}}); clickto.flush()")
    page.clock.run_for(100)
    harness.wait_event("custom")
    assert len(harness.events("activity")) == 2, [e["t"] for e in harness.events("activity")]
    assert activity[1]["t"] - activity[0]["t"] >= 2000


def test_checkout_field_focus_and_validation_errors(harness, page):
    page.goto(harness.url + "/page/checkout")
    view = harness.wait_event("page_view")[0]
    assert view["page_type"] == "checkout" and view["checkout_step"] == "shipping"
    page.focus("input[name=email]")
    page.focus("input[name=zip]")
    page.focus("#outside")                      # not inside a form: not reported
    focus = harness.wait_event("field_focus", count=2)
    assert [e["field"] for e in focus] == ["email", "zip"]
    page.click("#submit")                       # native validation: 'invalid' events
    errors = harness.wait_event("form_error", count=2)
    assert {e["field"] for e in errors} == {"email", "zip"}
    assert all(e["message"] for e in errors)
    # errors that a script shows: aria-invalid and data-clickto-error appearing
    page.evaluate("""() => {
        document.querySelector('[name=country]').setAttribute('aria-invalid', 'true');
        const p = document.createElement('p');
        p.setAttribute('data-clickto-error', 'card'); p.textContent = 'Card number is incomplete';
        document.body.appendChild(p);
    }""")
    harness.wait_event("form_error", lambda e: e["field"] == "country")
    card = harness.wait_event("form_error", lambda e: e["field"] == "card")[0]
    assert card["message"] == "Card number is incomplete"
    # the step changes without a page load
    page.evaluate("document.body.dataset.clicktoCheckoutStep = 'payment'")
    assert harness.wait_event("checkout_step")[0]["step"] == "payment"


def test_no_checkout_events_outside_the_checkout(harness, page):
    page.goto(harness.url + "/page/product")
    harness.wait_event("page_view")
    page.evaluate("""() => {
        const f = document.createElement('form'); f.innerHTML = '<input name=q required>';
        document.body.appendChild(f); f.querySelector('input').focus(); f.reportValidity();
        clickto.track('custom', {data: {done: true}});
    }""")
    harness.wait_event("custom")
    assert harness.events("field_focus") == [] and harness.events("form_error") == []


def test_cart_changes_from_attributes(harness, page):
    page.goto(harness.url + "/page/product")
    harness.wait_event("page_view")
    page.click("#add")
    cart = harness.wait_event("cart")[0]
    assert cart["value"] == 129.9 and cart["items"] == 1
    page.click("#to-cart")
    view = harness.wait_event("page_view", lambda e: e["path"] == "/page/cart")[0]
    assert view["cart_value"] == 59.5 and view["cart_items"] == 2


def test_exit_intent_on_desktop_once_per_ten_seconds(harness, page):
    page.goto(harness.url + "/page/product")
    harness.wait_event("page_view")
    leave = "document.dispatchEvent(new MouseEvent('mouseout', {clientY: -2, relatedTarget: null, bubbles: true}))"
    page.evaluate(leave)
    harness.wait_event("exit_intent")
    page.evaluate(leave)
    page.evaluate("clickto.track('custom', {data: {after: 1}})")
    harness.wait_event("custom")
    assert len(harness.events("exit_intent")) == 1


def test_pagehide_sends_what_is_left_with_a_beacon(harness, page):
    page.goto(harness.url + "/page/home")
    harness.wait_event("page_view")
    # queued right before leaving: the 60 ms flush timer never fires, the pagehide beacon carries it
    page.evaluate("clickto.set({leaving: true}); location.href = '/page/product'")
    custom = harness.wait_event("custom")[0]
    assert custom["data"] == {"leaving": True}
    assert harness.wait_event("visibility", lambda e: e["visible"] is False)
    # let the next document finish loading: closing a context mid-navigation can hang Chromium
    harness.wait_event("page_view", lambda e: e["url"].endswith("/page/product"))


def test_service_down_keeps_the_page_quiet(harness_down, page):
    """The service stops (port closed) after the page loaded: no JS error, no unhandled rejection, the page
    works, and the tag gives up after a few jittered retries. Chromium itself logs one "Failed to load
    resource" line per failed request; the tag keeps those few and then stops asking."""
    harness, stop = harness_down
    page.expect_network_errors = True
    page.clock.install()
    page.goto(harness.url + "/page/checkout")
    harness.wait_event("page_view")
    stop()
    page.evaluate("""() => { for (let i = 0; i < 20; i++) clickto.track('custom', {data: {i}}); clickto.flush(); }""")
    page.fill("input[name=email]", "ana@example.com")
    expect(page.locator("input[name=email]")).to_have_value("ana@example.com")

    def gave_up() -> bool:  # run the page's clock through the backoff until the tag gives up
        page.clock.run_for(10_000)
        return page.evaluate("localStorage['clickto:test-shop:off'] > Date.now()")

    harness.keep_doing(gave_up, timeout=60)
    failures = len(page.network_errors)
    page.evaluate("clickto.track('custom', {data: {after: 1}}); clickto.cart({value: 1}); clickto.flush()")
    page.clock.run_for(60_000)
    expect(page.locator("input[name=email]")).to_have_value("ana@example.com")
    assert 1 <= failures <= 15, page.network_errors   # 6 batch attempts, a few stream reconnects
    assert len(page.network_errors) == failures, "after giving up the tag sends nothing"


def test_blocked_tag_leaves_the_page_as_it_was(harness, page):
    """The tag's URL is blocked (an ad blocker): the page renders the same, no errors from the page."""
    page.expect_network_errors = True      # Chromium logs the blocked script itself
    page.route("**/clickto.js", lambda route: route.abort("blockedbyclient"))
    page.goto(harness.url + "/page/plain")
    expect(page.locator("#plain")).to_have_text("Plain page")
    assert page.evaluate("typeof window.clickto") == "undefined"
