"""Server-Sent Events: pushing decisions to open pages without polling.

``StreamHub`` keeps the open streams per session and per site. A decision is pushed when it differs from
the last one that stream received (channel, rule, label, holdout). Three things make the service decide
again without a new event: the wake-up timer at the decision's ``next_check`` (``loop.call_at``, one per
session with an open stream), a presence change on the site, and a rules reload.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sdk.errors import json_bytes

from sdk.store import SessionKey

log = logging.getLogger("clickto.sdk")

MIN_WAKE = 0.005     # seconds after next_check: the rule surely holds by then
STALE_WAKE = 1.0     # when the engine names a moment already past, look again after this
REFRESH_SLICE = 50   # sessions decided again between two yields to the event loop (a pass over thousands
                     # of open pages must not hold up the batches and timers of everyone else)
EVERY_SITE = ""      # in a pending pass: every open page (rules reloaded), not one site's

Decide = Callable[[SessionKey], Awaitable["dict[str, Any] | None"]]
"""Decide for a stored session (and store it); None when the session is gone."""


ENDED: dict[str, Any] = {"channel": None, "rule": None, "label": None,
                         "reasons": ["the session ended (idle for longer than the session timeout)"],
                         "scores": {}, "next_check": None, "held_out": False}
"""Pushed to a page whose session ended in the store while its stream stayed open."""


def signature(decision: dict[str, Any] | None) -> tuple | None:
    """What makes a decision different for the page: the button to show, not its scores or reasons."""
    if decision is None:
        return None
    return (decision.get("channel"), decision.get("rule"), decision.get("label"), decision.get("held_out"))


def sse_message(decision: dict[str, Any]) -> bytes:
    return b"event: decision\ndata: " + json_bytes(decision) + b"\n\n"


class Subscriber:
    """One open stream: its queue of SSE messages (None closes it) and what it was last sent."""

    __slots__ = ("queue", "last")

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=64)
        self.last: tuple | None = None

    def offer(self, decision: dict[str, Any], force: bool = False) -> None:
        sig = signature(decision)
        if not force and sig == self.last:
            return
        self.last = sig
        try:
            self.queue.put_nowait(sse_message(decision))
        except asyncio.QueueFull:   # a page that stopped reading: drop it rather than grow without bound
            self.close()

    def close(self) -> None:
        while True:
            try:
                self.queue.put_nowait(None)
                return
            except asyncio.QueueFull:
                self.queue.get_nowait()


class StreamHub:
    """Open streams, their wake-up timers, and fan-out of fresh decisions."""

    def __init__(self, decide: Decide, max_streams: int, max_per_session: int) -> None:
        self._decide = decide
        self.max_streams = max_streams
        self.max_per_session = max_per_session
        self._subscribers: dict[SessionKey, list[Subscriber]] = {}
        self._by_site: dict[str, set[SessionKey]] = {}
        self._timers: dict[SessionKey, asyncio.TimerHandle] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task] = set()
        self._pending: set[str] = set()            # sites (or EVERY_SITE) whose pages need deciding again
        self._passes: asyncio.Task | None = None   # the task working through ``_pending``
        self.count = 0

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    # ------------------------------------------------------------------ subscriptions

    def can_subscribe(self, key: SessionKey) -> str | None:
        """Why a new stream cannot open now (None when it can)."""
        if self.count >= self.max_streams:
            return f"too many open streams on this server ({self.max_streams})"
        if len(self._subscribers.get(key, ())) >= self.max_per_session:
            return f"too many open streams for this session ({self.max_per_session})"
        return None

    def subscribe(self, key: SessionKey) -> Subscriber:
        subscriber = Subscriber()
        self._subscribers.setdefault(key, []).append(subscriber)
        self._by_site.setdefault(key[0], set()).add(key)
        self.count += 1
        return subscriber

    def unsubscribe(self, key: SessionKey, subscriber: Subscriber) -> None:
        subscribers = self._subscribers.get(key)
        if not subscribers or subscriber not in subscribers:
            return
        subscribers.remove(subscriber)
        self.count -= 1
        if not subscribers:
            del self._subscribers[key]
            site_keys = self._by_site.get(key[0])
            if site_keys is not None:
                site_keys.discard(key)
                if not site_keys:
                    del self._by_site[key[0]]
            timer = self._timers.pop(key, None)
            if timer is not None:
                timer.cancel()

    def has_streams(self, key: SessionKey) -> bool:
        return key in self._subscribers

    # ------------------------------------------------------------------ publishing

    def publish(self, key: SessionKey, decision: dict[str, Any], force: bool = False) -> None:
        """Offer ``decision`` to the session's streams and (re)arm its wake-up at ``next_check``."""
        subscribers = self._subscribers.get(key)
        if not subscribers:
            return
        for subscriber in list(subscribers):
            subscriber.offer(decision, force)
        self._arm(key, decision.get("next_check"))

    def end(self, key: SessionKey) -> None:
        """The session is gone from the store: its open pages get "no button" and its wake-up stops."""
        if key in self._subscribers:
            self.publish(key, ENDED)

    def _arm(self, key: SessionKey, next_check: float | None) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        if next_check is None or self._loop is None:
            return
        delay = next_check - time.time()
        delay = STALE_WAKE if delay < 0 else delay + MIN_WAKE
        self._timers[key] = self._loop.call_at(self._loop.time() + delay, self._wake, key)

    def _wake(self, key: SessionKey) -> None:
        self._timers.pop(key, None)
        self._spawn(self.refresh([key]))

    async def refresh(self, keys: Iterable[SessionKey]) -> None:
        """Decide again for ``keys`` (those still streaming) and push what changed, letting the event loop
        run other work every ``REFRESH_SLICE`` sessions."""
        for index, key in enumerate(list(keys)):
            if index and index % REFRESH_SLICE == 0:
                await asyncio.sleep(0)
            if key not in self._subscribers:
                continue
            try:
                decision = await self._decide(key)
            except Exception:   # one broken session must not stop the others
                log.exception("deciding for session %s of site %s failed", key[1], key[0])
                continue
            if decision is not None:
                self.publish(key, decision)

    def refresh_site(self, site: str) -> None:
        """Decide again for every open page of ``site`` (presence changed). Safe from any thread."""
        self._call_in_loop(lambda: self._request_pass(site))

    def refresh_all(self) -> None:
        """Decide again for every open page (rules reloaded). Safe from any thread."""
        self._call_in_loop(lambda: self._request_pass(EVERY_SITE))

    def _request_pass(self, site: str) -> None:
        """Changes that arrive while a pass runs are merged into one more pass after it: ten people coming
        online at once cost two passes over the site's pages, not ten."""
        self._pending.add(site)
        if self._passes is None or self._passes.done():
            self._passes = self._spawn(self._run_passes())

    async def _run_passes(self) -> None:
        while self._pending:
            sites, self._pending = self._pending, set()
            if EVERY_SITE in sites:
                keys = list(self._subscribers)
            else:
                keys = [key for site in sites for key in self._by_site.get(site, ())]
            await self.refresh(keys)

    def _call_in_loop(self, callback: Callable[[], None]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            callback()
        else:
            loop.call_soon_threadsafe(callback)

    def _spawn(self, coroutine: Awaitable[None]) -> asyncio.Task:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def close(self) -> None:
        """End every stream and timer (service shutdown)."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for subscribers in self._subscribers.values():
            for subscriber in subscribers:
                subscriber.close()
        for task in self._tasks:
            task.cancel()
