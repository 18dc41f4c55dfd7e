"""Deciding again for open pages without an event (presence changes, reloads, the end of a session), with the
real service in process: a pass over many pages shares the event loop, bursts of changes are merged, and a
page whose session ended loses its button."""

from __future__ import annotations

import asyncio
import time

from clickto.testing import run_coroutine
from sdk.intake import parse_batch
from sdk.service import Service
from sdk.stream import REFRESH_SLICE
from sdk.testing import batch, page_view, service_config

PAGES = 300


async def open_pages(service: Service, count: int) -> list:
    """``count`` sessions with a big cart (chat once an advisor is online), each with an open stream."""
    service.ensure_running()
    subscribers = []
    for n in range(count):
        data = batch(f"s{n}", page_view(path="/cart", page_type="cart"), {"type": "cart", "value": 150})
        await service.fold(parse_batch(data, 500))
        key = ("demo", f"s{n}")
        subscribers.append(service.hub.subscribe(key))
    return subscribers


async def one_page_showing_chat(service: Service):
    """One open page whose stream was sent the chat button (an advisor is online)."""
    service.presence.set("demo", "advisors", "ben", True)
    (subscriber,) = await open_pages(service, 1)
    service.hub.publish(("demo", "s0"), await service.decide_stored(("demo", "s0")))
    return subscriber


def sent(subscriber) -> list[bytes]:
    """The SSE messages queued for the page so far."""
    messages = []
    while not subscriber.queue.empty():
        messages.append(subscriber.queue.get_nowait())
    return messages


async def settled(service: Service) -> None:
    """Until every pass the hub started has finished."""
    while service.hub._tasks:
        await asyncio.sleep(0)


def test_a_pass_over_many_open_pages_lets_the_event_loop_run_other_work(tmp_path):
    """Deciding again for thousands of pages took the event loop for a second: no batch was answered and no
    timer fired meanwhile. The pass now yields every REFRESH_SLICE pages."""
    async def scenario() -> int:
        service = Service(service_config(tmp_path, reload_interval=0))
        await open_pages(service, PAGES)
        turns = 0

        async def other_work() -> None:
            nonlocal turns
            while True:
                turns += 1
                await asyncio.sleep(0)

        ticker = asyncio.ensure_future(other_work())
        await asyncio.sleep(0)
        turns = 0
        service.presence.set("demo", "advisors", "ben", True)
        await settled(service)
        ticker.cancel()
        await service.aclose()
        return turns

    assert run_coroutine(scenario()) >= PAGES // REFRESH_SLICE - 1


def test_a_burst_of_presence_changes_costs_two_passes_not_one_each(tmp_path):
    async def scenario() -> tuple[int, list]:
        service = Service(service_config(tmp_path, reload_interval=0))
        subscribers = await open_pages(service, PAGES)
        decided = 0
        real_decide = service.hub._decide

        async def counting(key):
            nonlocal decided
            decided += 1
            return await real_decide(key)

        service.hub._decide = counting
        for person in ["ben", "bob", "bea", "bill", "babs", "bert", "bo", "bart", "bess", "boris"]:
            service.presence.set("demo", "advisors", person, True)
        await settled(service)
        last = [subscriber.queue.get_nowait() for subscriber in subscribers]
        await service.aclose()
        return decided, last

    decided, last = run_coroutine(scenario())
    assert decided <= 2 * PAGES, f"{decided} decisions for {PAGES} pages"
    assert all(b'"channel":"chat"' in message for message in last), "every page got the button"


def test_a_page_whose_session_ended_loses_its_button(tmp_path):
    """The session expired (30 minutes idle) while its page kept the stream open: the page no longer shows the
    button the ended session decided."""
    async def scenario() -> list:
        service = Service(service_config(tmp_path, reload_interval=0, session_ttl=60))
        subscriber = await one_page_showing_chat(service)
        assert await service.store.expire(time.time() + 61) == 1
        messages = sent(subscriber)
        await service.aclose()
        return messages

    messages = run_coroutine(scenario())
    assert b'"channel":"chat"' in messages[0]
    assert b'"channel":null' in messages[-1] and b"the session ended" in messages[-1]


def test_a_batch_continuing_an_expired_session_does_not_flicker_its_button(tmp_path):
    """A batch arrives for a session the store has just expired (the tag's queue waited out a backoff): the page
    gets the new session's decision, not first "the session ended" and then the button again."""
    async def scenario() -> list:
        service = Service(service_config(tmp_path, reload_interval=0, session_ttl=0.2, sweep_interval=0))
        subscriber = await one_page_showing_chat(service)
        await asyncio.sleep(0.3)                    # idle past the (short) session timeout
        data = batch("s0", page_view(path="/cart", page_type="cart"), {"type": "cart", "value": 150})
        await service.fold(parse_batch(data, 500))
        messages = sent(subscriber)
        await service.aclose()
        return messages

    messages = run_coroutine(scenario())
    assert messages and all(b'"channel":"chat"' in message for message in messages), messages
