"""The service's state and its one job: fold a batch into its session, decide, store, push.

``Service`` owns the store, presence, the rules in force, the open streams and the background tasks
(hot reload, session expiry). The HTTP layer (``sdk.app``) only parses requests and calls it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Iterator
from typing import Any, NamedTuple

from rules.ruleset import RuleSet
from rules.session import Session
from sdk.assets import Asset, load_assets
from sdk.config import ServiceConfig
from sdk.conversations import Conversations
from sdk.export import TrainingExport
from sdk.intake import Batch
from sdk.presence import Presence
from sdk.reload import RulesHolder
from sdk.sitestats import SiteStatsBook
from sdk.store import MemoryStore, SessionKey, SessionStore
from sdk.stream import StreamHub

log = logging.getLogger("clickto.sdk")


class Folded(NamedTuple):
    """What folding a batch gives the events endpoint."""

    decision: dict[str, Any]
    page_known: bool


def decision_dict(decision: Any) -> dict[str, Any]:
    """The wire form of a ``rules.Decision`` (docs/architecture.md, DECISION).

    The same keys as ``Decision.to_dict()`` minus ``near_misses``: the page has no use for them, and
    working them out costs several times the decision itself (``clickto explain`` shows them).
    """
    return {"channel": decision.channel, "rule": decision.rule_id, "label": decision.label,
            "reasons": list(decision.reasons), "scores": dict(decision.scores),
            "next_check": decision.next_check, "held_out": decision.held_out}


@contextlib.contextmanager
def settled_heap() -> Iterator[None]:
    """While the service runs as the server's own app (its lifespan), keep what startup allocated (modules,
    compiled rules, assets) out of the garbage collector's sight: collect once, ``gc.freeze()``, and
    ``gc.unfreeze()`` at shutdown.

    Under load, full collections otherwise rescan those tens of thousands of long-lived objects again and
    again (several microseconds per batch). Objects freed by reference counting, as nearly all are, are
    unaffected; a reference cycle among the startup objects is collected after shutdown. Not used when the
    service is mounted into a host app (the host's lifespan runs, not ours).
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def needed_pools(ruleset: RuleSet) -> set[str]:
    """Pools the rule file's channels need (``needs: experts``), so presence counts list them at 0."""
    return set(ruleset.pools)


class Service:
    def __init__(self, config: ServiceConfig, store: SessionStore | None = None) -> None:
        self.config = config
        self.assets: dict[str, Asset] = load_assets(config.assets_dir)
        self.rules = RulesHolder(config.rules_path)
        self.store: SessionStore = store or MemoryStore(config.session_ttl, config.max_sessions)
        self.presence = Presence(config.presence)
        self.conversations = Conversations(config.max_conversations)
        self.hub = StreamHub(self.decide_stored, config.max_streams, config.max_streams_per_session)
        site_keys = [site.key for site in config.sites]
        self.site_stats = SiteStatsBook(site_keys, config.stats_min_sessions, config.stats_max_pages)
        self.export = TrainingExport(site_keys, config.export_dir, config.export_max_rows,
                                     config.export_memory_rows, self.site_stats)
        if hasattr(self.store, "on_finish"):   # sessions ending in the store: training rows, streams told
            self.store.on_finish = self._session_finished
        self._declare_pools(self.rules.ruleset)
        self.presence.events.on("change", lambda site, pool, person, online: self.hub.refresh_site(site))
        self.rules.events.on("reloaded", self._on_reload)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task] = []
        self._folding: set[SessionKey] = set()   # keys fold() is reading: an expiry there is followed at once

    def _session_finished(self, key: SessionKey, session: Session) -> None:
        """A session ended in the store (30 minutes idle, or pushed out by the cap): it becomes a training row,
        and a page still streaming for it loses its button (the session that decided it is gone)."""
        self.export.finish(key, session)
        if key not in self._folding:   # a batch is starting a new session under this key: its decision follows
            self.hub.end(key)

    def _declare_pools(self, ruleset: Any) -> None:
        pools = needed_pools(ruleset)
        for site in self.config.sites:
            self.presence.declare_pools(site.key, pools)

    def _on_reload(self, ruleset: Any) -> None:
        self._declare_pools(ruleset)
        self.hub.refresh_all()

    # ------------------------------------------------------------------ background tasks

    def ensure_running(self) -> None:
        """Start the reload watcher and the expiry sweeper on the running loop (once per loop).

        Called by the lifespan and by every request, because a mounted app gets no lifespan of its own.
        """
        loop = asyncio.get_running_loop()
        if loop is self._loop:
            return
        self._cancel_tasks()
        self._loop = loop
        self.hub.bind(loop)
        if self.config.reload_interval > 0:
            self._tasks.append(loop.create_task(self.rules.watch(self.config.reload_interval)))
        if self.config.sweep_interval > 0:
            self._tasks.append(loop.create_task(self._sweep(self.config.sweep_interval)))

    async def _sweep(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            dropped = await self.store.expire(time.time())
            if dropped:
                log.debug("expired %d idle sessions", dropped)

    def _cancel_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks = []

    async def aclose(self) -> None:
        """Stop background tasks, end open streams, write live sessions as training rows (lifespan shutdown)."""
        self.hub.close()
        sessions = getattr(self.store, "sessions", None)
        if sessions is not None:
            self.export.flush_live(sessions())
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._loop = None

    # ------------------------------------------------------------------ deciding

    def availability(self, site: str) -> dict[str, int]:
        return self.presence.counts(site)

    async def fold(self, batch: Batch) -> Folded:
        """Apply a validated batch to its session, decide, store, push to open streams; the decision dict, and
        whether the session knows its current page (after a restart or an expiry it may not: the tag then
        reports the page again)."""
        now = time.time()
        key: SessionKey = (batch.site, batch.session)
        times = batch.server_times(now, oldest=now - self.config.session_ttl)
        ruleset = self.rules.ruleset
        async with self.store.lock(key):
            self._folding.add(key)
            try:
                session = await self.store.get(key, now)
            finally:
                self._folding.discard(key)
            if session is None:
                session = Session(session_id=batch.session, site=batch.site, now=min(times, default=now))
            try:
                for event, at in zip(batch.events, times):
                    session.apply(event, at)
                self.site_stats.attach(session, ruleset)
                decision = decision_dict(ruleset.decide(session, now, self.availability(batch.site)))
            except Exception:
                # validated input cannot fail here, so this is an engine bug: never keep a half-applied batch
                await self.store.delete(key)
                raise
            await self.store.put(key, session, now)
            page_known = session.pages > 0
        self.hub.publish(key, decision)
        return Folded(decision, page_known)

    async def decide_stored(self, key: SessionKey) -> dict[str, Any] | None:
        """Decide for a stored session without a new event (timer, presence, reload, new stream)."""
        now = time.time()
        async with self.store.lock(key):
            session = await self.store.get(key, now)
            if session is None:
                return None
            try:
                self.site_stats.attach(session, self.rules.ruleset)
                decision = decision_dict(self.rules.ruleset.decide(session, now, self.availability(key[0])))
            except Exception:
                await self.store.delete(key)
                raise
            await self.store.put(key, session, None)
        return decision

    def status(self) -> dict[str, Any]:
        rules_status = self.rules.status()
        return {
            "status": "ok" if rules_status["ok"] else "degraded",
            "rules": rules_status,
            "sessions": len(self.store),
            "streams": self.hub.count,
            "sites": [site.key for site in self.config.sites],
        }
