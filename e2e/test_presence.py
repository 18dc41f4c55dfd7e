"""Nobody available, no button: with no community expert online the community rule cannot show; when an
expert comes online (through the presence API, during the test) the button appears on the open page."""

from __future__ import annotations

from playwright.sync_api import Page

from e2e.pages import ProductPage
from e2e.servers import Stack

ONLINE = {"experts": [], "advisors": []}
RULES = """\
version: 1
channels:
  community: {label: "Ask our community", needs: experts}
  guide: {label: "Read the buying guide"}          # needs nobody: always available
rules:
  - id: advice-on-product-pages
    when: {page.type: product, page.dwell_seconds: {$gte: 1}}
    show: community
    priority: 50
  - id: buying-guide                               # a witness: shows that the dwell clock has passed 2 s
    when: {page.type: product, page.dwell_seconds: {$gte: 2}}
    show: guide
    priority: 10
"""


def test_no_button_when_nobody_is_available_then_it_appears_when_someone_comes_online(stack: Stack, page: Page):
    product = ProductPage(page, stack.url).open("2")
    guide = product.button("guide")

    guide.expect_visible()               # dwell >= 2 s: the community rule held for a second already...
    product.community.expect_absent()    # ...but nobody could answer it
    assert page.evaluate("() => window.clickto.decision.rule") == "buying-guide"

    counts = stack.set_online("experts", "ana", True)
    assert counts["counts"]["experts"] == 1
    product.community.expect_visible(timeout=3_000)
    guide.expect_absent()

    stack.set_online("experts", "ana", False)
    guide.expect_visible(timeout=3_000)
    product.community.expect_absent()
