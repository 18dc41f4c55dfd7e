"""Where live sessions are kept between event batches.

One small async interface (``SessionStore``) with an in-memory default (``MemoryStore``). The interface is
shaped for a shared store such as Redis, so several workers can serve one site:

* keys are ``(site, session_id)`` pairs (a Redis store would format them, e.g. ``clickto:demo:abc``);
* values are ``rules.Session`` objects; a shared store keeps ``ujson.dumps(session.to_dict())`` and rebuilds
  with ``rules.Session.from_dict`` (``MemoryStore`` keeps ``marshal`` bytes of the state of idle sessions);
* ``get`` hands out an object the service may change; only a successful batch is ``put`` back. After an
  unexpected engine failure the service ``delete``s the key, so a half-applied batch is never kept;
* ``put(..., now)`` marks activity: the idle TTL restarts (Redis: ``SET key value EX ttl``); ``now=None``
  stores without counting as activity (a timer-driven decision) and never recreates a vanished key;
* ``lock(key)`` guards one read-modify-write of a key. In one process the service never yields between
  ``get`` and ``put`` with ``MemoryStore``; a shared store must make the pair safe across workers
  (``WATCH``/``MULTI`` or a short ``SET NX PX`` lock) and return that from ``lock``;
* ``expire(now)`` drops idle sessions (Redis expires keys by itself and can return 0).

``MemoryStore.on_finish(key, session)``, when set, is called with every session that ends inside the store
(idle past the TTL, or pushed out by the LRU cap), but not for ``delete``: the service uses it to export
finished sessions as training rows (``sdk.export``). ``MemoryStore.sessions()`` lists what is still live,
for the shutdown flush.
"""

from __future__ import annotations

import contextlib
import marshal
import operator
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Protocol

from rules.session import Session

SessionKey = tuple[str, str]
"""``(site key, session id)``."""


class SessionStore(Protocol):
    """What the service needs from a session store (see the module docstring for the contract)."""

    async def get(self, key: SessionKey, now: float) -> Session | None:
        """The session, or None when unknown or idle for longer than the TTL at ``now``."""

    async def put(self, key: SessionKey, session: Session, now: float | None) -> None:
        """Store ``session``; ``now`` is the activity time (None keeps the previous one)."""

    async def delete(self, key: SessionKey) -> None:
        """Forget the session."""

    async def touch(self, key: SessionKey, now: float) -> bool:
        """Mark activity without changing the session; False when the key is unknown."""

    async def expire(self, now: float) -> int:
        """Drop sessions idle since before ``now - ttl``; returns how many were dropped."""

    def lock(self, key: SessionKey) -> contextlib.AbstractAsyncContextManager[None]:
        """Exclusive access to ``key`` for one read-modify-write."""

    def __len__(self) -> int:
        """Sessions held (approximate for shared stores)."""


class _NoLock:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


_NO_LOCK = _NoLock()


class MemoryStore:
    """In-process sessions with an idle TTL and an LRU cap on their number, in two tiers.

    The ``hot_sessions`` most recently active sessions stay live objects: a batch for them costs no
    decoding. Older ones are compacted to ``marshal`` bytes of their state values (the key list is kept once
    per layout, not per session), a third of the memory of a live object (see
    ``benchmarks/bench_session_memory.py``), and decoded again on their next batch. ``hot_sessions=0`` keeps
    everything compact (every ``get`` then returns a private copy). New sessions and sessions that come back
    sooner than the least recent live one go live; the others stay compact (see ``_admit``), so a scan of
    more active sessions than live slots does not turn every batch into a decode and an encode.
    """

    def __init__(self, ttl: float = 1800.0, max_sessions: int = 100_000, hot_sessions: int = 1024) -> None:
        if ttl <= 0 or max_sessions <= 0 or hot_sessions < 0:
            raise ValueError("MemoryStore needs a positive ttl and max_sessions, and hot_sessions >= 0")
        self.ttl = float(ttl)
        self.max_sessions = int(max_sessions)
        self.hot_sessions = int(hot_sessions)
        self.evicted = 0   # sessions dropped by the LRU cap (not by the TTL)
        self.on_finish: Callable[[SessionKey, Session], None] | None = None   # see the module docstring
        # key -> [last activity, Session (hot) or bytes (compact)]; in activity order, oldest first
        self._items: OrderedDict[SessionKey, list] = OrderedDict()
        self._hot: OrderedDict[SessionKey, None] = OrderedDict()   # keys whose payload is a live Session
        self._layouts: list[tuple[str, ...]] = []
        self._getters: list[Callable[[Session], tuple]] = []   # per layout: its attribute values, as a tuple
        self._layout_ids: dict[tuple[str, ...], int] = {}
        self._layout_cache: dict[type, tuple[str, ...]] = {}

    # ------------------------------------------------------------------ compact form

    def _encode(self, session: Session) -> bytes:
        layout_id = self._layout_of(session)
        if layout_id is None:   # a session type whose state is not plain attributes: the general path
            return marshal.dumps((-1, session.to_dict()))
        # marshal serialises the attribute values as they are (no intermediate copy of the state), in C,
        # twice as fast as JSON and smaller; the bytes never leave the process, so its format is no contract
        return marshal.dumps((layout_id, self._getters[layout_id](session)))

    def _decode(self, payload: bytes) -> Session:
        layout_id, values = marshal.loads(payload)
        if layout_id < 0:
            return Session.from_dict(values)
        # what Session.from_dict does, minus its defensive copies: the decoded values are already private
        return Session.from_values(self._layouts[layout_id], values)

    def _layout_of(self, session: Session) -> int | None:
        """The id of the session's state layout (``to_dict()`` keys), registered once after checking that
        storing attribute values round-trips exactly like ``to_dict``/``from_dict``."""
        layout = self._layout_cache.get(type(session))
        if layout == ():
            return None
        if layout is None:
            state = session.to_dict()
            layout = tuple(state)
            if not {"session_id", "site", "started_at"} <= set(layout) or \
                    any(not hasattr(session, name) for name in layout):
                return None
            self._layout_cache[type(session)] = layout
        layout_id = self._layout_ids.get(layout)
        if layout_id is None:
            layout_id = self._layout_ids[layout] = len(self._layouts)
            self._layouts.append(layout)
            self._getters.append(operator.attrgetter(*layout))
            try:
                same = self._decode(marshal.dumps((layout_id, self._getters[layout_id](session)))).to_dict() \
                    == Session.from_dict(session.to_dict()).to_dict()
            except ValueError:   # an attribute marshal cannot store
                same = False
            if not same:
                del self._layout_ids[layout]
                self._layouts.pop()
                self._getters.pop()
                self._layout_cache[type(session)] = ()
                return None
        return layout_id

    # ------------------------------------------------------------------ the interface

    async def get(self, key: SessionKey, now: float) -> Session | None:
        entry = self._items.get(key)
        if entry is None:
            return None
        if entry[0] < now - self.ttl:
            self._finish(key)
            return None
        payload = entry[1]
        return self._decode(payload) if isinstance(payload, bytes) else payload

    async def put(self, key: SessionKey, session: Session, now: float | None) -> None:
        entry = self._items.get(key)
        previous = None   # the session's activity before this put (None: new)
        if entry is None:
            if now is None:
                return  # gone (expired or evicted) meanwhile: a timer must not bring it back
            entry = self._items[key] = [now, None]
        else:
            previous = entry[0]
            if now is not None:
                entry[0] = max(entry[0], now)
                self._items.move_to_end(key)
        if self.hot_sessions and not self._admit(key, previous):
            entry[1] = self._encode(session)
        elif self.hot_sessions:
            entry[1] = session
            self._hot[key] = None
            self._hot.move_to_end(key)
            while len(self._hot) > self.hot_sessions:
                cold, _ = self._hot.popitem(last=False)
                cold_entry = self._items.get(cold)
                if cold_entry is not None and not isinstance(cold_entry[1], bytes):
                    cold_entry[1] = self._encode(cold_entry[1])
        else:
            entry[1] = self._encode(session)
        while len(self._items) > self.max_sessions:
            oldest = next(iter(self._items))
            self._finish(oldest)
            self.evicted += 1

    def _admit(self, key: SessionKey, previous: float | None) -> bool:
        """Whether a session being stored goes (or stays) live. A compact session whose previous batch came
        before the last activity of every live one stays compact: when more pages are active than the live
        tier holds, each comes back after all the others (a scan), and letting it push out a live session
        would only trade one decoding for another; kept live, those sessions are hits every time."""
        hot = self._hot
        if key in hot or len(hot) < self.hot_sessions or previous is None:
            return True
        oldest = self._items.get(next(iter(hot)))
        return oldest is None or previous > oldest[0]

    async def delete(self, key: SessionKey) -> None:
        self._drop(key)

    async def touch(self, key: SessionKey, now: float) -> bool:
        entry = self._items.get(key)
        if entry is None:
            return False
        entry[0] = max(entry[0], now)
        self._items.move_to_end(key)
        return True

    async def expire(self, now: float) -> int:
        cutoff = now - self.ttl
        dropped = 0
        items = self._items
        while items:
            key, entry = next(iter(items.items()))
            if entry[0] >= cutoff:
                break
            self._finish(key)
            dropped += 1
        return dropped

    def lock(self, key: SessionKey) -> contextlib.AbstractAsyncContextManager[None]:
        # get and put never suspend here, so one event loop cannot interleave two batches of a session
        return _NO_LOCK

    def _drop(self, key: SessionKey) -> None:
        self._items.pop(key, None)
        self._hot.pop(key, None)

    def _finish(self, key: SessionKey) -> None:
        """Drop a session that ended (TTL or LRU cap) and hand it to ``on_finish``."""
        entry = self._items.get(key)
        self._drop(key)
        if entry is not None and self.on_finish is not None:
            payload = entry[1]
            self.on_finish(key, self._decode(payload) if isinstance(payload, bytes) else payload)

    def sessions(self) -> Iterator[tuple[SessionKey, Session]]:
        """Every live session (compact ones decoded into private copies), oldest activity first."""
        for key, (_, payload) in list(self._items.items()):
            yield key, self._decode(payload) if isinstance(payload, bytes) else payload

    def __len__(self) -> int:
        return len(self._items)
