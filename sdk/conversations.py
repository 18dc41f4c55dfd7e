"""Questions visitors ask from the panel, kept per site until someone answers them.

In memory and bounded (oldest dropped first); ``events`` emits ``"created"`` with each new conversation
so a console in the same process can show it at once.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections import deque
from dataclasses import asdict, dataclass

from pyee import EventEmitter


@dataclass(frozen=True)
class Conversation:
    id: str
    site: str
    session: str
    channel: str
    rule: str | None
    message: str
    created_at: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class Conversations:
    def __init__(self, max_per_site: int = 10_000) -> None:
        self.max_per_site = max_per_site
        self.events = EventEmitter()
        self._by_site: dict[str, deque[Conversation]] = {}
        self._counter = itertools.count(1)

    def create(self, site: str, session: str, channel: str, rule: str | None, message: str,
               now: float | None = None) -> Conversation:
        conversation = Conversation(
            id=f"c{next(self._counter)}-{secrets.token_hex(4)}", site=site, session=session, channel=channel,
            rule=rule, message=message, created_at=time.time() if now is None else now)
        self._by_site.setdefault(site, deque(maxlen=self.max_per_site)).append(conversation)
        self.events.emit("created", conversation)
        return conversation

    def list(self, site: str) -> list[Conversation]:
        """Newest last."""
        return list(self._by_site.get(site, ()))
