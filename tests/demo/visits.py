"""Simulated demo-shop visits for checking the demo's rules with the engine (no browser)."""

from __future__ import annotations

from typing import Any

import rules
from demo_shop.demo import DEFAULT_RULES

EVERYONE = {"experts": 1, "advisors": 1}


def page_view(path: str, page_type: str, **fields: Any) -> dict[str, Any]:
    """A page_view event as the tag sends it from the demo shop on port 8000."""
    return {"type": "page_view", "url": f"http://127.0.0.1:8000{path}", "path": path, "page_type": page_type,
            "visible": True, **fields}


def simulate(start: float, *events: tuple[float, dict[str, Any]]) -> rules.Session:
    """A session that received each ``(offset, event)`` at ``start + offset`` (events validated first)."""
    session = rules.Session(session_id="s1", site="demo", now=start)
    for offset, event in events:
        rules.validate_event(event)
        session.apply(event, start + offset)
    return session


def demo_ruleset() -> rules.RuleSet:
    return rules.load(DEFAULT_RULES)
