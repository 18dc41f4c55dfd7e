"""The servers an end-to-end test drives: the SDK service and the demo shop, each on its own loopback port,
and the handles a test needs to inspect them (presence API, the service's session store)."""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clickto.testing import ServerThread, run_coroutine

SITE = "demo"

CHANNELS = """\
version: 1
channels:
  community: {label: "Ask our community", needs: experts}
  chat: {label: "Chat with an advisor", needs: advisors}
"""
"""The head of most test rule files: the two channels of the demo, with the demo's labels."""


@dataclass
class Stack:
    """A running service + shop pair, and the handles a test needs to drive and inspect them."""

    service_app: Any
    service: ServerThread
    shop: ServerThread
    admin_token: str
    rules_path: Path

    @property
    def url(self) -> str:
        return self.shop.url

    def stop_service(self) -> None:
        self.service.stop()

    def set_online(self, pool: str, person: str, online: bool = True) -> dict[str, Any]:
        """Switch someone on or off through the real presence API, as the online toggle does."""
        request = urllib.request.Request(
            f"{self.service.url}/v1/presence", method="PUT",
            data=json.dumps({"pool": pool, "person": person, "online": online}).encode(),
            headers={"Authorization": f"Bearer {self.admin_token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def session(self, session_id: str) -> Any:
        """The service's stored ``rules.Session`` for ``session_id`` (None when it has none)."""
        store = self.service_app.state.store
        return run_coroutine(store.get((SITE, session_id), time.time()), timeout=5)
