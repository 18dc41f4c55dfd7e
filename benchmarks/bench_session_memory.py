"""Memory per live session in the service's store (target: under 2 KB).

Fills a ``MemoryStore`` with realistic sessions (several product pages, categories, a cart, a checkout
step, a form error, custom data) and measures the store's growth with tracemalloc. Prints bytes per session
for the default store (the 1024 most recent sessions live, the rest compacted), for an all-compact store,
and, as the baseline in the same run, for keeping every session as a live object.

    python benchmarks/bench_session_memory.py [--sessions 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import rules  # noqa: E402
from sdk.store import MemoryStore  # noqa: E402

T0 = 1_800_000_000.0
CATEGORIES = ["cameras", "lenses", "fishing", "rods", "tents", "boots"]


def realistic_session(index: int, rng: random.Random) -> rules.Session:
    session = rules.Session(session_id=f"{rng.getrandbits(64):016x}{index}", site="demo", now=T0)
    t = T0
    session.apply({"type": "page_view", "url": "https://shop.example/?utm_source=newsletter&utm_medium=email",
                   "path": "/", "page_type": "home", "referrer": "https://mail.example/", "device": "desktop",
                   "visit_count": rng.randint(1, 5), "title": "Outdoor & Photo"}, t)
    for _ in range(rng.randint(3, 8)):
        t += rng.uniform(5, 60)
        category = rng.choice(CATEGORIES)
        product = str(rng.randint(1000, 9999))
        session.apply({"type": "page_view", "url": f"https://shop.example/{category}/{product}",
                       "path": f"/{category}/{product}", "page_type": "product", "category": category,
                       "product": product, "price": round(rng.uniform(20, 900), 2),
                       "title": f"Product {product} – {category}"}, t)
        session.apply({"type": "activity"}, t + 2)
        session.apply({"type": "visibility", "visible": False}, t + 3)
        session.apply({"type": "visibility", "visible": True}, t + 4)
    session.apply({"type": "cart", "value": round(rng.uniform(30, 400), 2), "items": rng.randint(1, 4)}, t + 5)
    session.apply({"type": "page_view", "url": "https://shop.example/checkout/shipping", "path": "/checkout/shipping",
                   "page_type": "checkout", "checkout_step": "shipping"}, t + 10)
    session.apply({"type": "field_focus", "field": "postcode"}, t + 12)
    session.apply({"type": "form_error", "field": "postcode", "message": "invalid postcode"}, t + 14)
    session.apply({"type": "custom", "data": {"customer_id": f"cust-{index:05d}", "segment": "returning"}}, t + 15)
    session.display["shown"] = {"lingering-on-gear": [t, t + 30]}
    return session


def measure(count: int, hot_sessions: int | None = None) -> float:
    rng = random.Random(7)
    store = MemoryStore(ttl=1800, max_sessions=count * 2) if hot_sessions is None else \
        MemoryStore(ttl=1800, max_sessions=count * 2, hot_sessions=hot_sessions)

    async def fill() -> None:
        for index in range(count):
            await store.put(("demo", f"s{index:06d}"), realistic_session(index, rng), T0 + index)

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    asyncio.run(fill())
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert len(store) == count
    return grown / count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    args = parser.parse_args(argv)
    default = measure(args.sessions)
    compact = measure(args.sessions, hot_sessions=0)
    live = measure(args.sessions, hot_sessions=args.sessions)
    print(f"sessions:                             {args.sessions}")
    print(f"default store (1024 hot, rest compact): {default:6.0f} bytes/session  (target < 2048)")
    print(f"all compact (hot_sessions=0):           {compact:6.0f} bytes/session")
    print(f"all live objects (baseline):            {live:6.0f} bytes/session")
    print(f"ratio default/live: {default / live:.2f}")
    print("PASS" if default < 2048 else "FAIL: over 2 KB per session")
    return 0 if default < 2048 else 1


if __name__ == "__main__":
    sys.exit(main())
