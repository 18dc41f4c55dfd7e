"""The decided button and the conversation panel, in a real Chromium (against tests/sdk/tag_harness.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.sdk.tag_harness import CHAT, COMMUNITY, NOTHING, SITE

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

COMMUNITY_BUTTON = '[data-clickto-button="community"]'
CHAT_BUTTON = '[data-clickto-button="chat"]'


def test_button_from_the_batch_response(harness, page):
    harness.decision = COMMUNITY
    page.goto(harness.url + "/page/product")
    button = page.get_by_role("button", name="Ask the community")
    expect(button).to_be_visible()
    expect(page.locator(COMMUNITY_BUTTON).first).to_be_visible()      # the light-DOM host carries the hook
    assert page.locator(f"div{COMMUNITY_BUTTON}").count() == 1
    assert page.locator(f"button{COMMUNITY_BUTTON}").count() == 1     # and so does the button in the shadow root
    shown = harness.wait_event("button_shown")[0]
    assert shown["channel"] == "community" and shown["rule"] == "advice-on-product-pages"
    assert page.evaluate("clickto.decision.rule") == "advice-on-product-pages"


ARRIVALS = """
    // notes when each stream message reaches the page, before the tag's own listener runs
    const RealEventSource = window.EventSource;
    window.__arrivals = [];
    window.EventSource = function (...args) {
        const source = new RealEventSource(...args);
        source.addEventListener('decision', () => window.__arrivals.push(performance.now()));
        return source;
    };
    window.EventSource.prototype = RealEventSource.prototype;
"""


def test_button_from_the_stream_shows_within_250ms_and_follows_changes(harness, page):
    page.add_init_script(ARRIVALS)
    page.goto(harness.url + "/page/product")
    harness.wait_event("page_view")
    harness.wait_stream(harness.batches[0]["session"])
    page.evaluate("""() => {
        window.__seen = [];
        window.__unsubscribed = [];
        const gone = d => window.__unsubscribed.push(d);
        clickto.on('decision', gone);
        clickto.off('decision', gone);
        clickto.on('decision', d => window.__seen.push([d && d.channel, performance.now()]));
        new MutationObserver(() => {
            const host = document.querySelector('div[data-clickto-button]');
            window.__shownAt = window.__shownAt || (host && performance.now());
        }).observe(document.documentElement, {childList: true});   // where the tag attaches its host
    }""")
    harness.push_decision(COMMUNITY)
    expect(page.locator(COMMUNITY_BUTTON).first).to_be_visible()
    arrived, shown = page.evaluate("[window.__arrivals[0], window.__shownAt]")
    assert 0 <= shown - arrived < 250, "from the decision reaching the page to the button attached"
    harness.push_decision(CHAT)
    expect(page.get_by_role("button", name="Chat with an advisor")).to_be_visible()
    expect(page.locator(COMMUNITY_BUTTON)).to_have_count(0)
    harness.push_decision({**CHAT, "label": "Talk to Ben"})
    expect(page.get_by_role("button", name="Talk to Ben")).to_be_visible()
    assert page.locator(CHAT_BUTTON).count() == 2                          # host + button, no duplicate
    harness.push_decision(NOTHING)
    expect(page.locator("[data-clickto-button]")).to_have_count(0)
    harness.push_decision({**COMMUNITY, "held_out": True})
    page.wait_for_function("clickto.decision && clickto.decision.held_out === true")
    expect(page.locator("[data-clickto-button]")).to_have_count(0)
    assert [c for c, _ in page.evaluate("window.__seen")] == ["community", "chat", "chat", None, "community"]
    assert page.evaluate("window.__unsubscribed") == [], "clickto.off removed the listener"


def test_button_is_accessible_and_keyboard_reachable(harness, page):
    harness.decision = CHAT
    page.goto(harness.url + "/page/plain")
    button = page.get_by_role("button", name="Chat with an advisor")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("type", "button")
    page.keyboard.press("Tab")
    expect(button).to_be_focused()
    outline = button.evaluate("b => getComputedStyle(b).outlineStyle")
    assert outline == "solid", "a visible focus ring"


def test_button_is_fixed_isolated_and_shifts_no_layout(harness, page):
    page.goto(harness.url + "/page/plain")
    harness.wait_event("page_view")
    harness.wait_stream(harness.batches[0]["session"])
    page.add_style_tag(content="button{display:none!important} *{color:red!important;font-size:40px}")
    before = page.locator("#plain").bounding_box()
    harness.push_decision(COMMUNITY)
    button = page.get_by_role("button", name="Ask the community")
    expect(button).to_be_visible()                  # the shop's CSS does not reach into the shadow root
    assert page.locator("#plain").bounding_box() == before
    host = page.locator(f"div{COMMUNITY_BUTTON}")
    assert host.evaluate("h => getComputedStyle(h).position") == "fixed"
    assert button.evaluate("b => getComputedStyle(b).color") == "rgb(255, 255, 255)"
    viewport = page.viewport_size
    box = button.bounding_box()
    assert box["x"] + box["width"] <= viewport["width"] and box["y"] + box["height"] <= viewport["height"]
    assert box["x"] > viewport["width"] / 2 and box["y"] > viewport["height"] / 2, "bottom-right"


def test_click_records_button_click_and_panel_sends_a_conversation(harness, page):
    harness.decision = COMMUNITY
    page.goto(harness.url + "/page/product")
    session = harness.wait_event("page_view") and harness.batches[0]["session"]
    page.get_by_role("button", name="Ask the community").click()
    click = harness.wait_event("button_click")[0]
    assert click["channel"] == "community" and click["rule"] == "advice-on-product-pages"
    dialog = page.get_by_role("dialog", name="Ask the community")
    expect(dialog).to_be_visible()
    expect(page.locator('[data-clickto-panel="community"]').first).to_be_attached()
    textbox = dialog.get_by_role("textbox", name="Your question")
    expect(textbox).to_be_focused()
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.get_by_role("status")).to_contain_text("Please write your question first.")
    textbox.fill("Are these boots waterproof?")
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.get_by_role("status")).to_contain_text("Thanks!")
    sent = harness.wait_for(lambda: harness.conversations)[0]
    assert sent["content_type"].startswith("text/plain")
    assert {k: sent[k] for k in ("site", "session", "channel", "rule", "message")} == {
        "site": SITE, "session": session, "channel": "community", "rule": "advice-on-product-pages",
        "message": "Are these boots waterproof?"}


def test_panel_error_state_escape_and_focus_return(harness, page):
    harness.decision = CHAT
    harness.conversation_status = 503
    page.expect_network_errors = True          # Chromium logs the 503 itself
    page.goto(harness.url + "/page/product")
    button = page.get_by_role("button", name="Chat with an advisor")
    button.click()
    dialog = page.get_by_role("dialog", name="Chat with an advisor")
    expect(dialog).to_be_visible()
    dialog.get_by_role("textbox", name="Your message").fill("Can I pay by invoice?")
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.get_by_role("status")).to_contain_text("could not be sent")
    expect(dialog.get_by_role("button", name="Send")).to_be_enabled()
    # focus stays inside the dialog: Tab from the last control wraps to the first
    dialog.get_by_role("button", name="Send").focus()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Send")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(button).to_be_focused()
    # a second try after the service recovered
    harness.conversation_status = 201
    button.click()
    dialog = page.get_by_role("dialog", name="Chat with an advisor")
    dialog.get_by_role("textbox", name="Your message").fill("Can I pay by invoice?")
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.get_by_role("status")).to_contain_text("Thanks!")
    assert harness.wait_event("button_click", count=2)
    assert page.evaluate("document.querySelectorAll('script[src$=\"clickto-panel.js\"]').length") == 1


def test_stream_reconnects_and_closes_on_pagehide(harness, page):
    page.goto(harness.url + "/page/home")
    harness.wait_event("page_view")
    session = harness.batches[0]["session"]
    harness.wait_stream(session)
    harness.close_streams()                         # the service ends the stream: the tag reconnects
    harness.wait_for(lambda: not any(entry[0] == session for entry in harness.streams))
    harness.wait_stream(session, timeout=30)
    page.click("#to-product")                       # pagehide closes it; the next page opens its own
    harness.wait_event("page_view", lambda e: e["path"] == "/page/product")
    harness.wait_for(lambda: [entry[0] for entry in harness.streams].count(session) == 1, timeout=30)
