"""The tag on pages that do unusual things to it: full storage, wrapped or missing browser APIs, frames,
transformed or swapped bodies, a visit that ends while the page sits in the back/forward cache."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.sdk.tag_harness import COMMUNITY

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

HOST = 'div[data-clickto-button="community"]'


def test_full_storage_holding_an_old_session_does_not_restart_the_visit_on_every_event(harness, page):
    """The shop's own data filled the origin's storage quota: writes fail, reads still return a session last
    saved over 30 minutes ago. The tag keeps the session it holds in memory (it once started a new session,
    and a page view, for every event: thousands a second)."""
    page.goto(harness.url + "/page/plain")
    harness.wait_event("page_view")
    full = page.evaluate("""() => {
        localStorage.setItem('clickto:test-shop:s', JSON.stringify({id: 'old', at: Date.now() - 31 * 60e3, n: 1}));
        const chunk = 'x'.repeat(1 << 20);
        let i = 0;
        try { for (;;) localStorage.setItem('fill' + i++, chunk); } catch (e) {}
        for (const size of [1024, 32, 1]) try { for (;;) localStorage.setItem('f' + i++, 'y'.repeat(size)); } catch (e) {}
        try { localStorage.setItem('clickto:test-shop:probe', '{"id":"new","at":1}'); return false; } catch (e) { return e.name; }
    }""")
    assert full == "QuotaExceededError"
    page.goto(harness.url + "/page/product")
    harness.wait_event("page_view", lambda e: e["path"] == "/page/product")
    for n in range(1, 4):
        page.evaluate(f"clickto.set({{n: {n}}})")
        harness.wait_event("custom", count=n)
    views = [e["path"] for e in harness.events("page_view")]
    assert views == ["/page/plain", "/page/product"]
    assert len({b["session"] for b in harness.batches if b["events"]}) == 2   # the first page's, then one more
    page.evaluate("localStorage.clear()")


def test_a_fetch_wrapper_that_throws_once_does_not_silence_the_tag(harness, page):
    """Shops wrap ``fetch`` (analytics, error trackers); one synchronous throw is a failed send, retried."""
    page.add_init_script("""
        const realFetch = window.fetch;
        let thrown = false;
        window.fetch = function (...args) {
            if (!thrown && String(args[0]).includes('/v1/events')) { thrown = true; throw new TypeError('wrapper'); }
            return realFetch.apply(this, args);
        };
    """)
    page.goto(harness.url + "/page/product")
    assert harness.wait_event("page_view")[0]["path"] == "/page/product"


def test_without_send_beacon_what_is_left_at_pagehide_goes_with_a_keepalive_fetch(harness, page):
    page.add_init_script("delete Navigator.prototype.sendBeacon")
    page.goto(harness.url + "/page/home")
    harness.wait_event("page_view")
    assert page.evaluate("typeof navigator.sendBeacon") == "undefined"
    # queued, then the page is hidden at once: the 60 ms flush timer has not fired, pagehide sends it
    page.evaluate("clickto.set({leaving: true}); window.dispatchEvent(new PageTransitionEvent('pagehide'))")
    assert harness.wait_event("custom")[0]["data"] == {"leaving": True}


def test_the_tag_stays_out_of_frames(harness, page):
    """A tagged page of the shop shown in a frame would report its own page view and become the visit's
    current page (removing the top page's button): the tag runs in the top window only."""
    harness.decision = COMMUNITY
    page.goto(harness.url + "/page/framed")
    expect(page.frame_locator("#chart").locator("h1")).to_have_text("Home")
    expect(page.locator(HOST)).to_be_visible()
    page.evaluate("clickto.set({after_frame: true})")
    harness.wait_event("custom")
    assert [e["path"] for e in harness.events("page_view")] == ["/page/framed"]
    assert page.frame_locator("#chart").locator("[data-clickto-button]").count() == 0
    assert page.frame_locator("#chart").locator("body").evaluate("() => typeof window.clickto") == "undefined"


def test_the_button_stays_on_screen_over_a_transformed_body_and_a_swapped_one(harness, page):
    """A transform on <body> makes it the containing block of fixed elements, and Turbo or htmx replace the
    whole <body>: the button's host lives outside it, on <html>."""
    harness.decision = COMMUNITY
    page.goto(harness.url + "/page/transformed")
    host = page.locator(HOST)
    expect(host).to_be_in_viewport()
    page.evaluate("document.body = Object.assign(document.createElement('body'), {innerHTML: '<h1>Next</h1>'})")
    expect(host).to_be_in_viewport()
    expect(page.get_by_role("button", name="Ask the community")).to_be_visible()


def test_blunt_important_rules_of_the_shop_do_not_move_the_button(harness, page):
    harness.decision = COMMUNITY
    page.goto(harness.url + "/page/blunt-css")
    host = page.locator(HOST)
    expect(host).to_be_in_viewport()
    assert host.evaluate("h => [getComputedStyle(h).position, getComputedStyle(h).right]") == ["fixed", "16px"]


def test_a_back_forward_cache_restore_after_the_visit_ended_is_one_page_view(harness, page):
    """Restored after 31 idle minutes: one page view, the first of the new visit (there were two)."""
    page.clock.install()
    page.goto(harness.url + "/page/product")
    first = harness.wait_event("page_view")[0]
    page.clock.fast_forward("31:00")
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    harness.wait_event("back")
    page.evaluate("clickto.set({after: 1})")
    page.clock.run_for(1000)
    harness.wait_event("custom")
    views = harness.events("page_view")
    assert [v["visit_count"] for v in views] == [first["visit_count"], first["visit_count"] + 1]


def test_a_new_visit_starting_under_a_shown_button_records_its_own_button_shown(harness, page):
    """After 31 idle minutes the next event starts a new session: the old visit's button goes, and when the
    new visit's decision shows one, ``button_shown`` is recorded for the new session (``session.buttons_shown``)."""
    harness.decision = COMMUNITY
    page.clock.install()
    page.goto(harness.url + "/page/product")
    page.clock.run_for(100)
    expect(page.locator(HOST)).to_be_visible()
    page.clock.run_for(1100)                      # button_shown is sent within a second
    first = harness.wait_event("button_shown")
    page.clock.fast_forward("31:00")
    page.evaluate("clickto.set({back: true})")
    page.clock.run_for(1100)
    shown = harness.wait_event("button_shown", count=2)
    sessions = [b["session"] for b in harness.batches for e in b["events"] if e["type"] == "button_shown"]
    assert len(first) == 1 and len(shown) == 2 and sessions[0] != sessions[1]
    expect(page.locator(HOST)).to_have_count(1)


def test_decision_listeners_hear_every_decision_where_trusted_types_refuse_the_button(harness, page):
    """Under ``require-trusted-types-for 'script'`` the tag cannot draw its button (docs/proxy.md): a shop may
    draw its own from ``clickto.on('decision')``, which must therefore still be called."""
    page.expected_console = ("TrustedHTML",)
    harness.decision = COMMUNITY
    page.add_init_script("window.clickto = [['on', 'decision', d => "
                         "d.channel && (document.documentElement.dataset.heard = d.channel)]]")
    page.goto(harness.url + "/page/trusted-types")
    expect(page.locator("html")).to_have_attribute("data-heard", "community")
    assert page.locator(HOST).count() == 0


def test_after_giving_up_the_tag_tries_again_ten_minutes_later_on_the_same_page(harness, page):
    """Six failed sends in a row: the tag stops for ten minutes (service gone, or blocked). A single-page app
    stays on one page for the whole visit: the pause must end there too, not only on the next page."""
    page.expect_network_errors = True
    page.clock.install()
    harness.events_status = 503
    page.goto(harness.url + "/page/product")
    for _ in range(12):                                   # 1 + 2 + 4 + 8 + 16 s of backoff, and some
        page.clock.run_for(10_000)
        page.evaluate("new Promise(done => requestAnimationFrame(() => done()))")
    assert page.evaluate("localStorage['clickto:test-shop:off'] > Date.now()")
    refused = len(harness.requests)
    harness.events_status = 200
    page.clock.run_for(5 * 60_000)
    page.evaluate("clickto.set({during: 'the pause'})")
    page.clock.run_for(1000)
    assert len(harness.requests) == refused, "quiet during the pause"
    page.clock.run_for(6 * 60_000)
    page.evaluate("clickto.set({after: 'the pause'})")
    page.clock.run_for(1000)
    assert harness.wait_event("custom")[0]["data"] == {"after": "the pause"}


def test_offline_retries_back_off_instead_of_polling(harness, page):
    """Offline failures do not count towards giving up, but the tag still waits longer between tries."""
    page.expect_network_errors = True
    page.add_init_script("""
        window.__tries = 0;
        const realFetch = window.fetch;
        window.fetch = function (...args) {
            if (String(args[0]).includes('/v1/events')) window.__tries++;
            return realFetch.apply(this, args);
        };
    """)
    page.clock.install()
    page.goto(harness.url + "/page/product")
    page.clock.run_for(100)
    harness.wait_event("page_view")
    page.context.set_offline(True)
    start = page.evaluate("__tries")
    page.evaluate("clickto.set({offline: true})")
    for _ in range(40):                                   # 20 seconds offline
        page.clock.run_for(500)
        page.evaluate("new Promise(done => requestAnimationFrame(() => done()))")
    tries = page.evaluate("__tries") - start
    assert 3 <= tries <= 7, f"{tries} tries in 20 s offline"   # about 1, 2, 4, 8 s apart (it was 40)
    page.context.set_offline(False)
    page.clock.run_for(60_000)
    assert harness.wait_event("custom")[0]["data"] == {"offline": True}


PAUSED = "localStorage['clickto:test-shop:off'] = JSON.stringify(Date.now() + 60000)"
"""What a tab that gave up leaves in storage: a pause of the tag until then (a minute here)."""


def test_a_page_opened_during_the_pause_stays_quiet_and_the_next_page_reports(harness, page):
    """A page that loads while the tag is paused cannot report its page view; what it would send after the pause
    would be taken for the previous page's, so it stays quiet. The next page load reports as usual."""
    page.clock.install()
    page.add_init_script(PAUSED)
    page.goto(harness.url + "/page/product")
    page.evaluate("clickto.set({during: 'the pause'})")
    page.clock.run_for(61_000)                                 # the pause is over, this page stays quiet
    page.evaluate("clickto.set({after: 'the pause'})")
    page.clock.run_for(1000)
    assert harness.requests == []
    page.evaluate("localStorage.removeItem('clickto:test-shop:off')")
    page.goto(harness.url + "/page/home")                      # a page that loads after the pause
    page.clock.run_for(1000)
    assert harness.wait_event("page_view")[0]["path"] == "/page/home"


def test_another_tab_giving_up_does_not_silence_a_tab_that_works(harness, page):
    page.goto(harness.url + "/page/home")
    harness.wait_event("page_view")
    page.evaluate(PAUSED)                      # another tab of the site gave up just now
    page.evaluate("clickto.set({still: 'working'})")
    assert harness.wait_event("custom")[0]["data"] == {"still": "working"}


def test_engines_without_object_has_own_keep_every_collector(harness, page):
    """Safari before 15.4 and Chrome before 93 have no Object.hasOwn: the tag must not depend on it (a throw in
    its start-up once left only the first page view)."""
    page.add_init_script("delete Object.hasOwn")
    page.goto(harness.url + "/page/spa")
    harness.wait_event("page_view")
    page.evaluate("go('/page/spa/products/7', 'product')")
    assert harness.wait_event("page_view", lambda e: e["spa"])[0]["path"] == "/page/spa/products/7"


def test_after_the_pause_one_failure_does_not_start_another(harness, page):
    """Giving up resets the failure count: when the pause ends, the tag again allows six failures in a row."""
    page.expect_network_errors = True
    page.clock.install()
    harness.events_status = 503
    page.goto(harness.url + "/page/product")
    for _ in range(12):
        page.clock.run_for(10_000)
        page.evaluate("new Promise(done => requestAnimationFrame(() => done()))")
    first_pause = page.evaluate("localStorage['clickto:test-shop:off']")
    assert first_pause and float(first_pause) > page.evaluate("Date.now()")
    page.clock.run_for(11 * 60_000)
    requests = len(harness.requests)
    page.evaluate("clickto.set({once: 'more'})")
    page.clock.run_for(1000)
    harness.wait_for(lambda: len(harness.requests) > requests)     # tried again, and refused again
    page.clock.run_for(100)
    assert page.evaluate("localStorage['clickto:test-shop:off']") == first_pause, "no new pause after one failure"


def test_a_new_visit_tells_decision_listeners_there_is_no_decision_yet(harness, page):
    """The button of the old visit goes when a new visit starts; listeners that draw their own UI hear it too."""
    harness.decision = COMMUNITY
    page.clock.install()
    page.add_init_script("window.clickto = [['on', 'decision', d => "
                         "document.documentElement.dataset.heard = (d && d.channel) || 'nothing']]")
    page.goto(harness.url + "/page/product")
    page.clock.run_for(100)
    expect(page.locator("html")).to_have_attribute("data-heard", "community")
    page.expect_network_errors = True
    harness.events_status = 503                 # the new visit's answer does not come
    page.clock.fast_forward("31:00")
    page.evaluate("clickto.set({back: true})")
    expect(page.locator("html")).to_have_attribute("data-heard", "nothing")
    expect(page.locator(HOST)).to_have_count(0)


def test_a_listener_that_sends_on_a_new_visit_starts_it_once(harness, page):
    """A decision listener that reports the button going away (``track`` on null) once started the new visit
    again from inside the start of it, hundreds of times, filling the queue with page views."""
    harness.decision = COMMUNITY
    page.clock.install()
    page.add_init_script("window.clickto = [['on', 'decision', d => d || clickto.track('custom', {data: {gone: 1}})]]")
    page.goto(harness.url + "/page/product")
    page.clock.run_for(100)
    expect(page.locator(HOST)).to_be_visible()
    page.clock.fast_forward("31:00")
    page.evaluate("clickto.set({back: true})")
    page.clock.run_for(2000)
    harness.wait_event("custom", lambda e: e["data"] == {"back": True})
    page.clock.run_for(2000)
    assert len(harness.events("page_view")) == 2, [e["type"] for e in harness.events()]
    assert len({b["session"] for b in harness.batches}) == 2
