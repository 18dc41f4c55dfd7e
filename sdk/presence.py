"""Who can answer right now, per site and pool ("experts", "advisors"), and change notifications.

A button is only offered when its channel's pool has someone online; the counts are the ``availability``
the rules engine decides with. Every change emits ``"change"`` on ``events`` (a pyee emitter) so the
service can push fresh decisions to every open page of the site.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping

from pyee import EventEmitter

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
"""Pool and person names: short, printable, safe in logs and URLs."""


class Presence:
    """People online per site and pool. Thread-safe: a demo toggle may call ``set`` from another thread.

    ``events`` emits ``"change"`` with ``(site, pool, person, online)`` after each effective change, on the
    thread that made it.
    """

    def __init__(self, initial: Mapping[str, Mapping[str, Iterable[str]]] | None = None,
                 pools: Mapping[str, Iterable[str]] | None = None) -> None:
        self.events = EventEmitter()
        self._lock = threading.Lock()
        self._online: dict[str, dict[str, set[str]]] = {}
        for site, names in (pools or {}).items():
            for pool in names:
                self._online.setdefault(site, {}).setdefault(pool, set())
        for site, by_pool in (initial or {}).items():
            for pool, people in by_pool.items():
                check_name("pool", pool)
                online = self._online.setdefault(site, {}).setdefault(pool, set())
                for person in people:
                    check_name("person", person)
                    online.add(person)

    def declare_pools(self, site: str, pools: Iterable[str]) -> None:
        """Make ``pools`` appear (with 0) in counts, e.g. every ``needs:`` of the rule file's channels."""
        with self._lock:
            by_pool = self._online.setdefault(site, {})
            for pool in pools:
                by_pool.setdefault(pool, set())

    def set(self, site: str, pool: str, person: str, online: bool) -> bool:
        """Switch ``person`` in ``pool`` on or off; True when that changed anything."""
        check_name("pool", pool)
        check_name("person", person)
        with self._lock:
            people = self._online.setdefault(site, {}).setdefault(pool, set())
            if (person in people) == bool(online):
                return False
            if online:
                people.add(person)
            else:
                people.discard(person)
        self.events.emit("change", site, pool, person, bool(online))
        return True

    def get(self, site: str) -> dict[str, list[str]]:
        """People online per pool (sorted), pools with nobody included."""
        with self._lock:
            return {pool: sorted(people) for pool, people in self._online.get(site, {}).items()}

    def is_online(self, site: str, pool: str, person: str) -> bool:
        with self._lock:
            return person in self._online.get(site, {}).get(pool, ())

    def counts(self, site: str) -> dict[str, int]:
        """``{pool: people online}``: the availability passed to ``RuleSet.decide``."""
        with self._lock:
            return {pool: len(people) for pool, people in self._online.get(site, {}).items()}

    def pools(self, site: str) -> list[str]:
        with self._lock:
            return sorted(self._online.get(site, {}))


def check_name(what: str, value: object) -> None:
    """Raise ValueError (naming ``what``) unless ``value`` is an acceptable pool or person name."""
    if not isinstance(value, str) or not NAME.match(value):
        raise ValueError(f"{what} must be 1-64 characters of ASCII letters, digits, '_', '.', '@' or '-', got {value!r}")
