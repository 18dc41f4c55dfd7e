"""The service under a real uvicorn, over real HTTP: intake, SSE pushes (next-check timer, presence,
rules reload), stream clean-up, shutdown with open streams, mounting under a prefix."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from clickto.testing import serve_app
from sdk import create_app
from sdk.testing import ADMIN, RULES, SSEReader, batch, page_view, service_config

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def live(tmp_path):
    app = create_app(service_config(tmp_path))
    with serve_app(app, timeout_graceful_shutdown=2) as server:
        with httpx.Client(base_url=server.url, timeout=httpx.Timeout(5.0)) as client:
            yield app, client


def post(client, *events, session="s1", **kwargs):
    response = client.post("/v1/events", content=json.dumps(batch(session, *events, **kwargs)),
                           headers={"content-type": "text/plain"})
    assert response.status_code == 200, response.text
    return response.json()["decision"]


def wait_for(predicate, timeout=3.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def test_intake_over_http(live):
    app, client = live
    decision = post(client, page_view(path="/cart", page_type="cart"), {"type": "cart", "value": 20})
    assert decision["channel"] is None and decision["rule"] is None
    bad = client.post("/v1/events", content='{"site": "demo", "session": "s1", "sent_at": 1, "events": [5]}')
    assert bad.status_code == 422 and bad.json()["field"] == "events[0]"


def test_next_check_wakes_the_stream(live):
    app, client = live
    decision = post(client, page_view())          # product page, visible: dwell >= 1 s holds one second later
    assert decision["channel"] is None and decision["next_check"] is not None
    with client.stream("GET", "/v1/stream", params={"site": "demo", "session": "s1"}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = SSEReader(response)
        assert reader.next_decision()["channel"] is None       # the current decision on connect
        pushed = reader.next_decision()
        arrived = time.time()
    assert pushed["channel"] == "community" and pushed["rule"] == "product-dwell"
    assert arrived - decision["next_check"] < 0.25    # woken at next_check (the tag shows it within 250 ms)


def test_presence_change_reaches_open_stream_within_a_second(live):
    app, client = live
    post(client, page_view(path="/cart", page_type="cart"), {"type": "cart", "value": 150})
    with client.stream("GET", "/v1/stream", params={"site": "demo", "session": "s1"}) as response:
        reader = SSEReader(response)
        assert reader.next_decision()["channel"] is None      # nobody in advisors yet
        started = time.monotonic()
        put = client.put("/v1/presence", headers={"authorization": f"Bearer {ADMIN}"},
                         content=json.dumps({"pool": "advisors", "person": "ben", "online": True}))
        assert put.status_code == 200
        pushed = reader.next_decision()
        assert time.monotonic() - started < 1.0
        assert pushed["channel"] == "chat"
        app.state.presence.set("demo", "advisors", "ben", False)   # in-process toggle, from this thread
        assert reader.next_decision()["channel"] is None


def test_every_open_page_of_the_site_gets_presence_changes(live):
    app, client = live
    for session in ("a", "b"):
        post(client, page_view(path="/cart", page_type="cart"), {"type": "cart", "value": 150}, session=session)
    with client.stream("GET", "/v1/stream", params={"site": "demo", "session": "a"}) as first, \
            client.stream("GET", "/v1/stream", params={"site": "demo", "session": "b"}) as second:
        readers = [SSEReader(first), SSEReader(second)]
        for reader in readers:
            reader.next_decision()
        app.state.presence.set("demo", "advisors", "ben", True)
        assert [reader.next_decision()["channel"] for reader in readers] == ["chat", "chat"]


def test_batch_pushes_changed_decision_to_other_tabs(live):
    app, client = live
    post(client, page_view(path="/cart", page_type="cart"))
    app.state.presence.set("demo", "advisors", "ben", True)
    with client.stream("GET", "/v1/stream", params={"site": "demo", "session": "s1"}) as response:
        reader = SSEReader(response)
        assert reader.next_decision()["channel"] is None
        post(client, {"type": "cart", "value": 99})      # another tab of the same session
        assert reader.next_decision()["rule"] == "big-cart"


def test_stream_is_cleaned_up_on_disconnect(live):
    app, client = live
    hub = app.state.service.hub
    post(client, page_view())
    with client.stream("GET", "/v1/stream", params={"site": "demo", "session": "s1"}) as response:
        reader = SSEReader(response)
        reader.next_decision()
        assert hub.count == 1 and hub._timers
    wait_for(lambda: hub.count == 0)
    assert not hub._timers and not hub._by_site


def test_stream_validates_its_query(live):
    app, client = live
    assert client.get("/v1/stream", params={"site": "nope", "session": "s1"}).status_code == 404
    missing = client.get("/v1/stream", params={"site": "demo"})
    assert missing.status_code == 422 and missing.json()["field"] == "session"


def test_rules_hot_reload_good_then_bad(live):
    app, client = live
    rules_path = app.state.service.config.rules_path
    post(client, page_view(path="/cart", page_type="cart"), {"type": "cart", "value": 50})
    app.state.presence.set("demo", "advisors", "ben", True)
    with client.stream("GET", "/v1/stream", params={"site": "demo", "session": "s1"}) as response:
        reader = SSEReader(response)
        assert reader.next_decision()["channel"] is None     # 50 < 80
        rules_path.write_text(RULES.replace("$gte: 80", "$gte: 40"))
        assert reader.next_decision()["rule"] == "big-cart"   # pushed after the reload
    assert client.get("/healthz").json()["rules"]["reloads"] == 1

    rules_path.write_text(RULES.replace("$gte: 80", "$gte: 40").replace("show: chat", "show: chta")
                          .replace("cart.value", "cart.valeu"))
    wait_for(lambda: app.state.rules_errors)
    messages = [str(error) for error in app.state.rules_errors]
    assert len(messages) >= 2
    assert all(message.startswith(f"{rules_path}:") and message.split(":")[1].isdigit() for message in messages)
    health = client.get("/healthz").json()
    assert health["status"] == "degraded" and health["rules"]["errors"] == messages
    assert post(client)["rule"] == "big-cart"        # the last good rules stay in force

    rules_path.write_text(RULES)
    wait_for(lambda: not app.state.rules_errors)
    assert post(client)["channel"] is None
    assert client.get("/healthz").json()["status"] == "ok"


def test_a_slow_reload_does_not_hold_requests(live, monkeypatch):
    """A large rule file takes seconds to compile: pages are answered meanwhile, and the new rules then apply."""
    import threading

    import rules as rules_package
    import sdk.reload

    app, client = live
    started, release = threading.Event(), threading.Event()
    real_load = rules_package.load

    def slow_load(path):
        started.set()
        release.wait(10)
        return real_load(path)

    monkeypatch.setattr(sdk.reload.rules, "load", slow_load)
    try:
        app.state.service.config.rules_path.write_text(RULES.replace("$gte: 80", "$gte: 40"))
        assert started.wait(5), "the watcher did not start loading"
        answer = client.post("/v1/events", content=json.dumps(batch("s1", page_view())),
                             headers={"content-type": "text/plain"}, timeout=2.0)
        assert answer.status_code == 200 and client.get("/healthz").json()["rules"]["reloads"] == 0
    finally:
        release.set()
    wait_for(lambda: client.get("/healthz").json()["rules"]["reloads"] == 1)


def test_shutdown_with_open_stream_is_quick(tmp_path):
    app = create_app(service_config(tmp_path))
    server_cm = serve_app(app)          # no graceful timeout: the stream itself must end
    server = server_cm.__enter__()
    client = httpx.Client(base_url=server.url, timeout=5.0)
    response = client.send(client.build_request("GET", "/v1/stream", params={"site": "demo", "session": "s1"}),
                           stream=True)
    assert response.status_code == 200
    started = time.monotonic()
    server_cm.__exit__(None, None, None)
    assert time.monotonic() - started < 3.0
    assert not server.thread.is_alive()
    response.close()
    client.close()


def test_mounted_under_a_prefix_over_http(tmp_path):
    service = create_app(service_config(tmp_path))
    host = Starlette(routes=[Mount("/clickto", app=service)])
    with serve_app(host, timeout_graceful_shutdown=2) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/clickto/clickto.js").status_code == 200
        assert client.post("/clickto/v1/events", json=batch("s1", page_view())).status_code == 200
        with client.stream("GET", "/clickto/v1/stream", params={"site": "demo", "session": "s1"}) as response:
            assert SSEReader(response).next_decision()["channel"] is None


def test_stream_through_a_host_apps_gzip_middleware(tmp_path):
    """A host app that compresses its responses must not hold back the decision stream: pushes (dwell, presence)
    arrive as they happen, not when a compression buffer fills (Starlette >= 0.46 leaves event streams alone)."""
    from starlette.middleware import Middleware
    from starlette.middleware.gzip import GZipMiddleware

    service = create_app(service_config(tmp_path))
    host = Starlette(routes=[Mount("/clickto", app=service)], middleware=[Middleware(GZipMiddleware, minimum_size=10)])
    with serve_app(host, timeout_graceful_shutdown=2) as server, httpx.Client(base_url=server.url, timeout=5.0) as client:
        assert client.post("/clickto/v1/events", json=batch("s1", page_view())).status_code == 200
        with client.stream("GET", "/clickto/v1/stream", params={"site": "demo", "session": "s1"},
                           headers={"accept-encoding": "gzip"}) as response:
            assert "content-encoding" not in response.headers
            reader = SSEReader(response)
            assert reader.next_decision()["channel"] is None      # on connect
            assert reader.next_decision()["channel"] == "community"   # pushed when the dwell rule holds


def test_a_stream_opened_while_the_server_stops_ends_at_once(tmp_path):
    """A page loading during Ctrl-C opens its stream after uvicorn began to stop: the stream must end at once,
    not hold the shutdown until uvicorn's graceful timeout cancels it (with a traceback in the log)."""
    import asyncio
    import threading

    from clickto.testing import ServerThread

    service = create_app(service_config(tmp_path))
    arrived = threading.Event()

    async def host(scope, receive, send):   # lets the stream request through only once shutdown has begun
        if scope["type"] == "http" and scope["path"] == "/v1/stream":
            arrived.set()
            while not server.server.should_exit:
                await asyncio.sleep(0.01)
        await service(scope, receive, send)

    server = ServerThread(host, timeout_graceful_shutdown=5).start()
    result: dict = {}

    def read_stream() -> None:
        with httpx.Client(base_url=server.url, timeout=10.0) as client:
            with client.stream("GET", "/v1/stream", params={"site": "demo", "session": "s1"}) as response:
                result["status"] = response.status_code
                result["body"] = b"".join(response.iter_bytes())

    reader = threading.Thread(target=read_stream)
    reader.start()
    assert arrived.wait(5)
    started = time.monotonic()
    server.stop()
    stopped_in = time.monotonic() - started
    reader.join(5)
    assert result["status"] == 200 and result["body"].startswith(b"retry:")
    assert stopped_in < 2.0, f"shutdown waited {stopped_in:.1f} s for the stream"


def test_stream_limits_give_503(tmp_path):
    app = create_app(service_config(tmp_path, max_streams_per_session=1))
    with serve_app(app, timeout_graceful_shutdown=2) as server, httpx.Client(base_url=server.url) as client:
        with client.stream("GET", "/v1/stream", params={"site": "demo", "session": "s1"}) as first:
            assert first.status_code == 200
            second = client.get("/v1/stream", params={"site": "demo", "session": "s1"})
            assert second.status_code == 503 and second.headers["retry-after"] == "30"
            assert "too many open streams" in second.json()["error"]


def test_a_second_server_on_the_same_event_loop_keeps_its_streams(tmp_path):
    """Streams end when *their* server shuts down: a server started after another one stopped on the same event
    loop (tests, a host app restarting its server) once inherited the stopped one's state, and every stream it
    served ended after half a second; with two servers at once, a stream followed the first one found."""
    import asyncio

    import uvicorn

    from clickto.testing import free_port, run_coroutine
    from sdk.sse import _uvicorn_server

    app = create_app(service_config(tmp_path))

    async def start() -> tuple[uvicorn.Server, asyncio.Task, int]:
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="off"))
        task = asyncio.ensure_future(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        return server, task, port

    async def stop(server: uvicorn.Server, task: asyncio.Task) -> None:
        server.should_exit = True
        await task

    async def scenario() -> list[bool]:
        first, first_task, first_port = await start()
        seen = [_uvicorn_server(first_port) is first]
        await stop(first, first_task)
        second, second_task, second_port = await start()        # after the first one, on the same loop
        third, third_task, third_port = await start()           # and one beside it at the same time
        seen += [_uvicorn_server(second_port) is second, _uvicorn_server(third_port) is third]
        await stop(third, third_task)
        seen.append(_uvicorn_server(second_port) is second)
        await stop(second, second_task)
        return seen

    assert run_coroutine(scenario()) == [True, True, True, True]


def test_which_server_a_stream_follows(monkeypatch):
    """``_uvicorn_server`` on a loop holding a stopping server (listeners closed) and a running one: a stream on a
    port follows the stopping one only when no running server listens there; a stream without a port (a unix
    socket) follows the running one."""
    import asyncio
    import types

    import uvicorn

    import sdk.sse
    from clickto.testing import run_coroutine

    def server(port: int | None, stopping: bool) -> uvicorn.Server:
        made = uvicorn.Server(uvicorn.Config(app=None))
        made.should_exit = stopping
        sockets = [types.SimpleNamespace(getsockname=lambda: ("127.0.0.1", port))] if port else []
        made.servers = [types.SimpleNamespace(sockets=sockets)]
        return made

    stopping, running = server(None, True), server(8002, False)

    async def serve(self):   # a task frame holding ``self``, like uvicorn's serve()
        await asyncio.sleep(0)

    async def ask(port: int | None) -> object:
        coroutines = [serve(stopping), serve(running)]
        sdk.sse._SERVERS.clear()
        monkeypatch.setattr(sdk.sse.asyncio, "all_tasks",
                            lambda loop=None: [types.SimpleNamespace(get_coro=lambda c=c: c) for c in coroutines])
        try:
            return sdk.sse._uvicorn_server(port)
        finally:
            monkeypatch.undo()
            for coroutine in coroutines:
                coroutine.close()

    assert run_coroutine(ask(8001)) is stopping     # the request came in on the stopping server's (closed) port
    assert run_coroutine(ask(8002)) is running
    assert run_coroutine(ask(None)) is running      # no port: never the stopping server of another listener
    unix = types.SimpleNamespace(servers=[types.SimpleNamespace(sockets=[
        types.SimpleNamespace(getsockname=lambda: "/tmp/clickto.sock")])])
    assert sdk.sse._ports(unix) == set()             # a unix socket's path is no port (not its second letter)
    running = server(None, True)                     # ... unless it is the only one (one unix-socket server)
    assert run_coroutine(ask(None)) in (stopping, running)
