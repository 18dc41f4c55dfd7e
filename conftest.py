"""Fixtures shared by every test folder: a real Chromium, launched once per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clickto.testing import chromium_launch_options


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance) -> Iterator[object]:
    browser = playwright_instance.chromium.launch(**chromium_launch_options())
    yield browser
    browser.close()
