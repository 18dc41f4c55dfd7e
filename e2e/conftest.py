"""End-to-end fixtures: the SDK service and the demo shop on their own loopback ports, a fresh browser
context per test with tracing, and artifacts (screenshot + Playwright trace) kept for failed tests.

The service and the shop run in separate uvicorn servers (not the one-process ``clickto demo``) so a test
can stop the service alone and check that the shop keeps working. Each test module may set ``RULES``
(rule-file text, short thresholds so the suite stays fast) and ``ONLINE`` (who is online at start).
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from clickto.testing import ServerThread, free_port
from e2e.pages import CLICKTO_CLOCK
from e2e.servers import CHANNELS, SITE, Stack

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

DEFAULT_RULES = CHANNELS + """\
rules:
  - id: reassure-at-shipping
    when: {checkout.step: shipping, cart.value: {$gt: 100}, page.idle_seconds: {$gte: 2}}
    show: chat
    priority: 100
  - id: advice-on-product-pages
    when: {page.type: product, page.dwell_seconds: {$gte: 2}}
    show: community
    priority: 50
"""
DEFAULT_ONLINE = {"experts": ["ana"], "advisors": ["ben"]}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every end-to-end test drives a real Chromium."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def rules_path(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's rule file: its ``RULES`` text, or the short-threshold default."""
    path = tmp_path_factory.mktemp("rules") / "rules.yaml"
    path.write_text(getattr(request.module, "RULES", DEFAULT_RULES))
    return path


@pytest.fixture
def stack(request: pytest.FixtureRequest, rules_path: Path) -> Iterator[Stack]:
    """Service and shop on free loopback ports; the shop embeds the service's tag (cross-origin, as in production)."""
    import sdk
    from demo_shop import create_app as create_shop

    online = getattr(request.module, "ONLINE", DEFAULT_ONLINE)
    shop_port = free_port()
    admin_token = secrets.token_urlsafe(16)
    service_app = sdk.create_app(sdk.ServiceConfig(
        rules_path=rules_path,
        sites=[sdk.SiteConfig(key=SITE, origins=[f"http://127.0.0.1:{shop_port}"], admin_token=admin_token)],
        presence={SITE: {pool: list(people) for pool, people in online.items()}},
    ))
    service = ServerThread(service_app, timeout_graceful_shutdown=1).start()   # open SSE streams end fast
    shop = ServerThread(create_shop(f"{service.url}/clickto.js", SITE), port=shop_port).start()
    try:
        yield Stack(service_app, service, shop, admin_token, rules_path)
    finally:
        shop.stop()
        service.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Remember each phase's report on the item so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _failed(item: pytest.Item) -> bool:
    return any(getattr(getattr(item, f"report_{when}", None), "failed", False) for when in ("setup", "call"))


def artifact_dir(item: pytest.Item) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::", 1)[-1]).strip("_")
    module = Path(str(item.fspath)).stem
    return ARTIFACTS / f"{module}__{name}"


@pytest.fixture
def context(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context (own cookies and storage) traced while the test runs; on failure the trace
    and a screenshot of every open page go to test-artifacts/<module>__<test>/."""
    shutil.rmtree(artifact_dir(request.node), ignore_errors=True)   # no stale artifacts from an earlier failure
    ctx = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-GB")
    ctx.set_default_timeout(10_000)
    ctx.tracing.start(screenshots=True, snapshots=True, sources=True, title=request.node.nodeid)
    yield ctx
    if _failed(request.node):
        folder = artifact_dir(request.node)
        folder.mkdir(parents=True, exist_ok=True)
        for index, open_page in enumerate(ctx.pages):
            try:
                open_page.screenshot(path=str(folder / f"screenshot-{index}.png"), full_page=True)
            except PlaywrightError as error:  # a crashed page must not hide the test's own failure
                (folder / f"screenshot-{index}.txt").write_text(f"no screenshot: {error}\n")
        ctx.tracing.stop(path=str(folder / "trace.zip"))
        print(f"\nartifacts of the failed test: {folder} (open the trace with: playwright show-trace "
              f"{folder / 'trace.zip'})")
    else:
        ctx.tracing.stop()
    ctx.close()


NETWORK_NOISE = re.compile(r"^Failed to load resource: |net::ERR_")


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    """A page whose script errors are collected in ``page.script_errors`` (uncaught exceptions and
    console.error calls; the browser's own network lines, e.g. a refused connection, are collected
    apart in ``page.network_errors`` because no script can prevent them)."""
    expect.set_options(timeout=10_000)   # as the context's actions: waits end early, the figure is for a busy machine
    new_page = context.new_page()
    new_page.add_init_script(CLICKTO_CLOCK)
    new_page.script_errors = []
    new_page.network_errors = []

    def on_console(message: Any) -> None:
        if message.type == "error":
            target = new_page.network_errors if NETWORK_NOISE.search(message.text) else new_page.script_errors
            target.append(f"console.error at {message.location.get('url', '?')}: {message.text}")

    new_page.on("console", on_console)
    new_page.on("pageerror", lambda error: new_page.script_errors.append(f"uncaught: {error}"))
    yield new_page

