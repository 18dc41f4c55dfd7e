"""The ASGI response of one SSE connection: sends what the hub queues, pings, and cleans up on disconnect.

Written at the ASGI level rather than with ``StreamingResponse`` so that a closed tab is noticed at once
(uvicorn reports ``http.disconnect``) instead of at the next failed write, and so that the stream ends
when the server shuts down (uvicorn otherwise waits for every open stream before it can stop).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Callable, Mapping

from starlette.types import Receive, Scope, Send

from sdk.stream import Subscriber

TICK = 0.5   # how often an idle stream checks whether the server is shutting down


_SERVERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int | None, tuple[object | None, float]]] = \
    weakref.WeakKeyDictionary()
NO_SERVER_RECHECK = 5.0   # seconds a loop found without a uvicorn server is not searched again


def _ports(server: object) -> set[int]:
    """The ports a uvicorn ``Server`` listens on (its asyncio servers' sockets)."""
    ports = set()
    for listener in getattr(server, "servers", None) or ():
        for sock in getattr(listener, "sockets", None) or ():
            try:
                name = sock.getsockname()
            except OSError:
                continue
            if isinstance(name, tuple) and len(name) > 1:   # a unix socket's name is its path: no port
                ports.add(name[1])
    return ports


def _uvicorn_server(port: int | None = None) -> object | None:
    """The uvicorn ``Server`` of this event loop that serves ``port`` (the request's ``scope["server"]``), if
    any: its ``should_exit`` says it is stopping.

    uvicorn tells an app nothing before it waits for open responses to finish, so an SSE stream would
    hold a shutdown for ever; the server's ``serve`` task is the one place that knows. Found by looking
    through the loop's tasks, remembered per loop and port; a server that has stopped is not: another one
    may serve on the same loop later (it once inherited the stopped one's ``should_exit``, and every stream
    then ended after half a second). With several servers on one loop, the one listening on ``port``.
    """
    loop = asyncio.get_running_loop()
    known = _SERVERS.setdefault(loop, {})
    cached = known.get(port)
    if cached is not None:
        server, found_at = cached
        if server is not None and not getattr(server, "should_exit", False):
            return server
        if server is None and time.monotonic() - found_at < NO_SERVER_RECHECK:
            return None
    try:
        import uvicorn
    except ImportError:  # pragma: no cover - uvicorn is a dependency
        uvicorn = None
    serving = []   # servers whose serve task still runs: serving, or stopping (should_exit) and draining
    for task in asyncio.all_tasks(loop) if uvicorn else ():
        frame = getattr(task.get_coro(), "cr_frame", None)
        candidate = frame.f_locals.get("self") if frame is not None else None
        if isinstance(candidate, uvicorn.Server):
            serving.append(candidate)
    # a stopping server has closed its listeners: its ports are unknown, so it may be the request's
    closed = [server for server in serving if server.should_exit and not _ports(server)]   # stopping, ports unknown
    on_port = [server for server in serving if port in _ports(server)] + (closed if port is not None else [])
    running = [server for server in serving if not server.should_exit]
    # no port (a unix socket): a running server, else one that is stopping (the stream then ends at once)
    pool = on_port or running or (closed if port is None else [])
    # a stream that starts while its server is already stopping (a page loading during Ctrl-C) gets that server,
    # so it ends at once instead of holding the shutdown until uvicorn cancels it
    found = next((server for server in pool if not server.should_exit), pool[0] if pool else None)
    known[port] = (found, time.monotonic())
    return found


class EventStreamResponse:
    """``text/event-stream`` fed by ``subscriber``; ``on_close`` runs exactly once when it ends."""

    def __init__(self, subscriber: Subscriber, on_close: Callable[[], None], ping_interval: float,
                 headers: Mapping[str, str] | None = None) -> None:
        self.subscriber = subscriber
        self.on_close = on_close
        self.ping_interval = ping_interval
        self.headers = dict(headers or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store",
                   "x-accel-buffering": "no", **self.headers}
        server = _uvicorn_server((scope.get("server") or (None, None))[1])
        watcher = asyncio.ensure_future(self._watch_disconnect(receive))
        try:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(k.encode(), v.encode()) for k, v in headers.items()]})
            await send({"type": "http.response.body", "body": b"retry: 2000\n\n", "more_body": True})
            last_write = time.monotonic()
            queue = self.subscriber.queue
            while True:
                try:
                    message = await asyncio.wait_for(queue.get(), timeout=min(TICK, self.ping_interval))
                except asyncio.TimeoutError:
                    if server is not None and getattr(server, "should_exit", False):
                        break
                    if time.monotonic() - last_write < self.ping_interval:
                        continue
                    message = b": ping\n\n"
                if message is None:
                    break
                await send({"type": "http.response.body", "body": message, "more_body": True})
                last_write = time.monotonic()
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            pass   # the client went away between two writes
        finally:
            watcher.cancel()
            self.on_close()

    async def _watch_disconnect(self, receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.subscriber.close()
                return
