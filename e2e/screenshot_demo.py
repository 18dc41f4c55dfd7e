"""Take the demo screenshot used by the docs and the README: a product page with the community button.

    python -m e2e.screenshot_demo [docs/demo.png]

Runs the real ``clickto demo`` app (example rules, so it waits the rules' 15 s of dwell) on a free port
and photographs it in Chromium; no sleeps, the button's appearance is what it waits for.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from clickto.testing import chromium_launch_options, free_port, serve_app

REPO = Path(__file__).resolve().parent.parent


def take(path: Path, product: str = "1") -> Path:
    from demo_shop.demo import DEFAULT_RULES, build_demo

    port = free_port()
    app = build_demo(DEFAULT_RULES, [f"http://127.0.0.1:{port}"], admin_token=secrets.token_urlsafe(16))
    with serve_app(app, port=port, timeout_graceful_shutdown=1) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_launch_options())
        page = browser.new_page(viewport={"width": 1280, "height": 800}, device_scale_factor=1)
        page.goto(f"{server.url}/products/{product}")
        expect(page.locator('button[data-clickto-button="community"]')).to_be_visible(timeout=40_000)
        page.locator('button[data-clickto-button="community"]').hover()
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path))
        browser.close()
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "demo.png"
    print(take(target))
