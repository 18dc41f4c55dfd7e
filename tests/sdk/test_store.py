"""MemoryStore: idle expiry, LRU bound, private copies, the compact codec; expiry through the service."""

from __future__ import annotations

import marshal
import time

from starlette.testclient import TestClient

import rules
from sdk import create_app
from sdk.store import MemoryStore
from sdk.testing import batch, page_view, service_config
from clickto.testing import run_coroutine

T0 = 1_800_000_000.0


def session(sid: str, cart: float = 0.0) -> rules.Session:
    s = rules.Session(session_id=sid, site="demo", now=T0)
    s.apply({"type": "page_view", "url": "https://shop.test/p/1", "page_type": "product"}, T0)
    s.apply({"type": "cart", "value": cart, "items": 1}, T0 + 1)
    return s


def run(coroutine):
    return run_coroutine(coroutine)


def test_compact_round_trip_gives_private_copies():
    store = MemoryStore(ttl=60, max_sessions=10, hot_sessions=0)
    original = session("a", cart=30)
    run(store.put(("demo", "a"), original, T0))
    copy = run(store.get(("demo", "a"), T0 + 1))
    assert copy is not original and copy.to_dict() == original.to_dict()
    copy.apply({"type": "cart", "value": 99}, T0 + 2)      # changing the copy does not change the store
    assert run(store.get(("demo", "a"), T0 + 3)).cart_value == 30


def test_sessions_expire_after_idle_ttl():
    store = MemoryStore(ttl=1800, max_sessions=10)
    run(store.put(("demo", "a"), session("a"), T0))
    run(store.put(("demo", "b"), session("b"), T0 + 1000))
    assert run(store.get(("demo", "a"), T0 + 1799)) is not None
    assert run(store.get(("demo", "a"), T0 + 1801)) is None        # idle 30 min: gone
    assert run(store.get(("demo", "b"), T0 + 1801)) is not None
    assert run(store.expire(T0 + 2801)) == 1 and len(store) == 0


def test_touch_and_activity_keep_a_session_alive():
    store = MemoryStore(ttl=100, max_sessions=10)
    run(store.put(("demo", "a"), session("a"), T0))
    assert run(store.touch(("demo", "a"), T0 + 90)) is True
    assert run(store.touch(("demo", "zz"), T0 + 90)) is False
    assert run(store.expire(T0 + 150)) == 0
    run(store.put(("demo", "a"), session("a"), None))              # a timer decision is not activity
    assert run(store.expire(T0 + 191)) == 1


def test_timer_put_does_not_resurrect_an_expired_session():
    store = MemoryStore(ttl=100, max_sessions=10)
    run(store.put(("demo", "a"), session("a"), None))
    assert len(store) == 0


def test_lru_cap_bounds_memory():
    store = MemoryStore(ttl=1800, max_sessions=100)
    one = session("s")

    async def fill():
        for index in range(1000):
            await store.put(("demo", f"s{index}"), one, T0 + index)

    run(fill())
    assert len(store) == 100 and store.evicted == 900
    assert run(store.get(("demo", "s0"), T0 + 1000)) is None
    assert run(store.get(("demo", "s999"), T0 + 1000)) is not None
    run(store.touch(("demo", "s900"), T0 + 1001))                   # recently used survives the next eviction
    run(store.put(("demo", "new"), session("new"), T0 + 1002))
    assert run(store.get(("demo", "s900"), T0 + 1003)) is not None
    assert run(store.get(("demo", "s901"), T0 + 1003)) is None


def test_hot_sessions_stay_live_and_older_ones_are_compacted():
    store = MemoryStore(ttl=1800, max_sessions=10, hot_sessions=2)
    sessions = {sid: session(sid, cart=index) for index, sid in enumerate("abc")}
    for index, (sid, live) in enumerate(sessions.items()):
        run(store.put(("demo", sid), live, T0 + index))
    assert run(store.get(("demo", "c"), T0 + 5)) is sessions["c"]          # hot: no decoding
    assert isinstance(store._items[("demo", "a")][1], bytes)                # the oldest was compacted
    revived = run(store.get(("demo", "a"), T0 + 5))
    assert revived is not sessions["a"] and revived.to_dict() == sessions["a"].to_dict()


def test_a_scan_of_more_sessions_than_the_live_tier_keeps_part_of_them_live():
    """More active pages than live slots, each coming back after all the others (a busy service): the live
    tier keeps the same sessions, which are then hits every time, instead of trading one for another."""
    store = MemoryStore(ttl=1800, max_sessions=100, hot_sessions=2)
    keys = [("demo", sid) for sid in "abcd"]
    t = T0
    for key in keys:   # new sessions are admitted (nothing is known of them yet)
        t += 1
        run(store.put(key, session(key[1]), t))
    live_before = set(store._hot)
    for _ in range(3):   # round-robin
        for key in keys:
            t += 1
            current = run(store.get(key, t))
            current.apply({"type": "activity"}, t)
            run(store.put(key, current, t))
    assert set(store._hot) == live_before == {("demo", "c"), ("demo", "d")}
    assert run(store.get(("demo", "d"), t)) is run(store.get(("demo", "d"), t))       # live: no decoding
    assert run(store.get(("demo", "a"), t)).version == session("a").version + 3       # compact, intact
    t += 100
    run(store.put(("demo", "a"), run(store.get(("demo", "a"), t)), t))                # came back sooner
    run(store.put(("demo", "a"), run(store.get(("demo", "a"), t + 1)), t + 1))        # than c and d: live
    assert ("demo", "a") in store._hot


def test_compact_form_is_small():
    store = MemoryStore(ttl=1800, max_sessions=10, hot_sessions=0)
    run(store.put(("demo", "a"), session("a", cart=12.5), T0))
    payload = store._items[("demo", "a")][1]
    assert isinstance(payload, bytes) and len(payload) < 1000
    assert 12.5 in marshal.loads(payload)[1]   # the state values, in layout order
    assert b"cart_value" not in payload          # keys are stored once per layout, not per session


def test_service_forgets_idle_sessions(tmp_path):
    app = create_app(service_config(tmp_path, session_ttl=0.3, sweep_interval=0.1))
    with TestClient(app) as client:
        client.post("/v1/events", json=batch("s1", page_view(), {"type": "cart", "value": 10}))
        assert len(app.state.store) == 1
        deadline = time.monotonic() + 3
        while len(app.state.store) and time.monotonic() < deadline:
            time.sleep(0.05)      # the sweeper runs in the app's loop; wait for it, bounded
        assert len(app.state.store) == 0
        client.post("/v1/events", json=batch("s1", {"type": "activity"}))
        fresh = run_coroutine(app.state.store.get(("demo", "s1"), time.time()))
        assert fresh.cart_value == 0 and fresh.pages == 0     # a new session, not the old cart
