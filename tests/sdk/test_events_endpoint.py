"""``POST /v1/events`` at the ASGI level (sdk/events.py): the same answers as through Starlette's routing,
host middleware still sees it, a client that goes away mid-body changes nothing, the service's own origin
is recognised as Starlette recognises it, and a standalone server keeps startup objects out of the GC."""

from __future__ import annotations

from clickto.testing import run_coroutine
import gc
import json
import time

import pytest
from starlette.datastructures import URL
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.testclient import TestClient

from sdk import create_app
from sdk.events import own_origin
from sdk.testing import SHOP, batch, page_view, service_config


def post(client, body, **headers):
    return client.post("/v1/events", content=json.dumps(body), headers={"content-type": "text/plain", **headers})


def comparable(response):
    data = response.json()
    if "decision" in data:
        data["decision"].pop("next_check", None)   # depends on the moment of the request
    headers = {name: value for name, value in response.headers.items()
               if name in ("content-type", "access-control-allow-origin", "vary")}
    return response.status_code, data, headers


CASES = [
    ({}, batch("s1", page_view(), {"type": "cart", "value": 120, "items": 2})),
    ({"origin": SHOP}, batch("s2", page_view())),
    ({"origin": SHOP}, batch("s3", {"type": "cart", "value": -4})),
    ({"origin": "https://evil.test"}, batch("s4", page_view())),
    ({}, {**batch("s5"), "site": "nope"}),
    ({}, [1, 2]),
]


def test_routed_and_direct_answers_are_the_same(tmp_path):
    seen: list[str] = []

    class Spy(BaseHTTPMiddleware):
        async def dispatch(self, request, call_next):
            seen.append(request.url.path)
            return await call_next(request)

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    direct = create_app(service_config(tmp_path / "a"))
    routed = create_app(service_config(tmp_path / "b"))
    routed.add_middleware(Spy)
    with TestClient(direct) as fast, TestClient(routed) as slow:
        for headers, body in CASES:
            assert comparable(post(fast, body, **headers)) == comparable(post(slow, body, **headers)), body
    assert seen == ["/v1/events"] * len(CASES)      # host middleware still sees every batch


def test_a_client_leaving_mid_body_gets_400_and_changes_nothing(tmp_path):
    app = create_app(service_config(tmp_path))
    body = json.dumps(batch("gone", page_view())).encode()
    messages = [{"type": "http.request", "body": body[:20], "more_body": True}, {"type": "http.disconnect"}]
    sent: list[dict] = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/v1/events", "raw_path": b"/v1/events", "root_path": "", "query_string": b"",
             "headers": [(b"host", b"testserver"), (b"content-type", b"text/plain")], "client": ("127.0.0.1", 1),
             "server": ("testserver", 80)}
    run_coroutine(app(scope, receive, send))
    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"])["error"].startswith("the client went away")
    assert run_coroutine(app.state.store.get(("demo", "gone"), time.time())) is None


@pytest.mark.parametrize("scope, host", [
    ({"scheme": "http", "server": ("127.0.0.1", 8001)}, "127.0.0.1:8001"),
    ({"scheme": "https", "server": ("shop.example", 443)}, None),
    ({"scheme": "http", "server": ("shop.example", 80)}, None),
    ({"scheme": "http", "server": ("shop.example", 8080)}, None),
    ({"scheme": "https", "server": None}, "api.shop.example"),
])
def test_own_origin_is_what_starlette_calls_the_request_origin(scope, host):
    full = {"type": "http", "path": "/v1/events", "query_string": b"", "root_path": "",
            "headers": [] if host is None else [(b"host", host.encode())], **scope}
    url = URL(scope=full)
    assert own_origin(full, host) == f"{url.scheme}://{url.netloc}"


def test_a_standalone_server_freezes_startup_objects_while_it_runs(tmp_path):
    app = create_app(service_config(tmp_path))
    gc.unfreeze()
    with TestClient(app) as client:
        assert gc.get_freeze_count() > 0
        assert post(client, batch("s1", page_view())).status_code == 200
    assert gc.get_freeze_count() == 0
