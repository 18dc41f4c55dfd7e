"""The demo's "who is online" control: switch community experts and advisors on and off.

The page lists the demo's people with their current state (read from the service's in-process presence)
and each toggle calls the service's real presence API (``PUT /v1/presence`` with the demo's admin token),
exactly as an expert or advisor console would, so every open shop page sees the change within a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    role: str


ROSTER: dict[str, tuple[Person, ...]] = {
    "experts": (
        Person("ana", "Ana Petrović", "fly-fishing guide on the Elbe and the Baltic coast"),
        Person("jonas", "Jonas Berg", "wildlife photographer, shoots Micro Four Thirds"),
    ),
    "advisors": (
        Person("ben", "Ben Okafor", "customer advisor: orders, delivery, returns"),
        Person("clara", "Clara Nowak", "customer advisor and home barista"),
    ),
}
POOL_TITLES = {"experts": "Community experts (for “Ask our community”)", "advisors": "Advisors (for “Chat with an advisor”)"}
ONLINE_AT_START: dict[str, list[str]] = {"experts": ["ana"], "advisors": ["ben"]}


class OnlinePage:
    """The toggle page (``page`` is the GET handler); ``presence`` is the service's ``app.state.presence``."""

    def __init__(self, templates: Jinja2Templates, presence: Any, site_key: str, admin_token: str,
                 service_base: str) -> None:
        self.templates = templates
        self.presence = presence
        self.site_key = site_key
        self.admin_token = admin_token
        self.service_base = service_base.rstrip("/")

    async def page(self, request: Request) -> Response:
        online = self.presence.get(self.site_key)
        pools = []
        for pool in sorted(set(ROSTER) | set(online), key=lambda name: (name not in ROSTER, name)):
            # pools of a custom rule file (``needs: stylists``) get the people online and an "add someone" field
            people = ROSTER.get(pool) or tuple(Person(person, person, "") for person in online.get(pool, []))
            pools.append((pool, POOL_TITLES.get(pool, pool.capitalize()),
                          [(person, person.id in online.get(pool, [])) for person in people], pool not in ROSTER))
        response = self.templates.TemplateResponse(request, "online.html", {
            "pools": pools, "site_key": self.site_key, "admin_token": self.admin_token,
            "service_base": self.service_base,
        })
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response
