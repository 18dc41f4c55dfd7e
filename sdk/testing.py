"""Helpers for tests and QA scripts that need a service: a config from rule text, SSE reading.

``service_config(tmp_path, RULES)`` writes the rules (and stand-in browser files when the real ones are
not wanted) and returns a ``ServiceConfig`` for site ``demo``; ``SSEReader`` reads decisions off a stream.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sdk.config import DEFAULT_ASSETS_DIR, ServiceConfig, SiteConfig

SHOP = "http://shop.test"
ADMIN = "admin-secret"
ANA_TOKEN = "ana-token"

RULES = """\
version: 1
channels:
  community: {label: "Ask the community", needs: experts}
  chat: {label: "Chat with an advisor", needs: advisors}
rules:
  - id: big-cart
    when: {cart.value: {$gte: 80}}
    show: chat
    priority: 10
  - id: product-dwell
    when: {page.type: product, page.dwell_seconds: {$gte: 1}}
    show: community
"""


def service_config(folder: Path, rules_text: str = RULES, real_assets: bool = False, **options: Any) -> ServiceConfig:
    """A config for site ``demo`` (origin ``SHOP``, admin token ``ADMIN``, ana's token ``ANA_TOKEN``)."""
    rules_path = folder / "rules.yaml"
    rules_path.write_text(rules_text)
    assets = DEFAULT_ASSETS_DIR
    if not real_assets:
        assets = folder / "js"
        assets.mkdir(exist_ok=True)
        (assets / "clickto.js").write_text("/* clickto tag stand-in */ window.clicktoLoaded = true;\n" * 20)
        (assets / "clickto-panel.js").write_text("/* panel stand-in */\n")
    options.setdefault("presence", {"demo": {"experts": ["ana"], "advisors": []}})
    options.setdefault("reload_interval", 0.1)
    site = SiteConfig("demo", [SHOP], ADMIN, {ANA_TOKEN: ("experts", "ana")})
    return ServiceConfig(rules_path=rules_path, sites=[site], assets_dir=assets, **options)


def batch(session: str, *events: dict[str, Any], site: str = "demo", sent_at: float | None = None) -> dict[str, Any]:
    """An event batch as the tag sends it; events without ``t`` happen at ``sent_at``."""
    sent = time.time() * 1000 if sent_at is None else sent_at
    return {"site": site, "session": session, "visitor": "v1", "sent_at": sent,
            "events": [{"t": sent, **event} for event in events]}


def page_view(path: str = "/product/1", page_type: str = "product", **fields: Any) -> dict[str, Any]:
    return {"type": "page_view", "url": f"{SHOP}{path}", "path": path, "page_type": page_type, **fields}


class SSEReader:
    """Reads ``event: decision`` messages from an httpx streaming response."""

    def __init__(self, response: Any) -> None:
        self.response = response
        self.lines: Iterator[str] = response.iter_lines()

    def next_decision(self) -> dict[str, Any]:
        """The next decision (blocks until it comes or the client's read timeout fires)."""
        event = None
        for line in self.lines:
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event == "decision":
                return json.loads(line.split(":", 1)[1])
        raise EOFError("the stream ended")
