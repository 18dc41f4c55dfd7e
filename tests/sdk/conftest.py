"""Fixtures for the browser-tag tests (``test_tag*.py``): the tag harness as a real server, and a fresh page
that fails its test on any script error. pytest finds them here; the harness itself is ``tag_harness.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from clickto.testing import ServerThread
from tests.sdk.tag_harness import WAIT, Harness


def _start() -> tuple[Harness, Callable[[], None]]:
    """A harness in its own uvicorn; returns it and a function that stops it (streams first)."""
    harness = Harness()
    server = ServerThread(harness.app, timeout_graceful_shutdown=1).start()
    harness.url = server.url

    def stop() -> None:
        if server.thread.is_alive():
            harness.close_streams()
            server.stop()

    return harness, stop


@pytest.fixture(scope="module")
def served() -> Iterator[Harness]:
    """One harness server per test module (starting uvicorn per test would dominate the run time)."""
    harness, stop = _start()
    yield harness
    stop()


@pytest.fixture
def harness(served: Harness) -> Harness:
    """The module's harness, with what earlier tests recorded and set forgotten."""
    served.reset()
    return served


@pytest.fixture
def harness_down() -> Iterator[tuple[Harness, Callable[[], None]]]:
    """A harness of its own that the test may stop (``stop()``) to play a service that went down."""
    harness, stop = _start()
    yield harness, stop
    stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context and page; fails the test if the page logged a JS error or an uncaught one.

    Chromium's own "Failed to load resource" lines (a failed request, not a script error) are kept apart in
    ``page.network_errors``; a test that expects them sets ``page.expect_network_errors = True``."""
    expect.set_options(timeout=WAIT * 1000)
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    network: list[str] = []

    def console(message: Any) -> None:
        if message.text.startswith("Failed to load resource: "):
            network.append(message.text)
        elif message.type in ("error", "warning"):
            problems.append(f"console.{message.type}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.network_errors = network
    page.expect_network_errors = False
    page.expected_console = ()   # substrings of console lines the browser itself logs for what a test sets up
    yield page
    context.close()
    problems = [line for line in problems if not any(text in line for text in page.expected_console)]
    assert problems == [], problems
    if not page.expect_network_errors:
        assert network == [], network
