"""The proxy's questions to the clickto service (proxy/servicecheck.py), against real services on loopback:
a service that answers, one that is not there yet, one that is no clickto service, one over TLS."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from clickto.testing import free_port, run_coroutine, serve_app
from proxy.servicecheck import ServiceChecks, service_problem
from sdk import create_app
from sdk.testing import service_config
from tests.proxy.conftest import trickling_server
from tests.proxy.test_https import self_signed

pytestmark = pytest.mark.timeout(60)


async def until(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "not reached in time"
        await asyncio.sleep(0.02)


def test_a_service_started_after_the_proxy_is_still_checked(tmp_path):
    """The case the checks exist for: the proxy runs first, pages are tagged, then the service starts with a bare
    site key. The origin is asked about once the service answers (it was once marked as checked while the
    service was down, and never asked again)."""
    port = free_port()
    server = f"http://127.0.0.1:{port}"

    async def scenario() -> list[str]:
        reports: list[str] = []
        checks = ServiceChecks(server, "demo", False, reports.append, asyncio.get_running_loop(), retry=0.1)
        checks.origin_seen("http://shop.test:8080")
        await until(lambda: checks.reached is False)
        config = service_config(tmp_path, reload_interval=0)   # site 'demo' accepts http://shop.test only
        with serve_app(create_app(config), port=port):
            await asyncio.sleep(0.15)
            checks.origin_seen("http://shop.test:8080")         # the next tagged page
            await until(lambda: any("refuses" in r for r in reports))
            checks.origin_seen("http://shop.test")              # an origin the site accepts: no warning
            await until(lambda: "http://shop.test" in checks._checked)
        checks.close()
        return reports

    reports = run_coroutine(scenario())
    assert reports[0].startswith(f"the service at {server} does not answer")
    assert reports[1] == ("the service refuses the pages of http://shop.test:8080 (origin http://shop.test:8080 is "
                          "not allowed for site 'demo'): no event of theirs is accepted and no button shows; restart "
                          "it with --site demo=http://shop.test:8080 (more origins: comma-separated)")
    assert len(reports) == 2


def test_a_server_that_is_not_a_clickto_service_is_named_as_such():
    app = Starlette(routes=[Route("/healthz", lambda request: HTMLResponse("<html>a shop</html>"))])
    with serve_app(app) as shop:
        answer = service_problem(shop.url, "demo")
    assert answer.reached and "does not answer like a clickto service" in answer.problem
    assert "/clickto" in answer.problem


def test_a_service_over_tls_with_an_untrusted_certificate(tmp_path):
    """Said as a certificate problem (not "does not answer"), and no problem when the proxy runs with
    --ssl-insecure (the tag's requests then pass through it)."""
    cert, key = self_signed(tmp_path)
    config = service_config(tmp_path, reload_interval=0)
    with serve_app(create_app(config), ssl_certfile=str(cert), ssl_keyfile=str(key)) as service:
        server = f"https://127.0.0.1:{service.port}"
        strict = service_problem(server, "demo")
        insecure = service_problem(server, "demo", insecure=True)
    assert not strict.reached and "certificate this machine does not trust" in strict.problem
    assert "--ssl-insecure" in strict.problem
    assert insecure == (True, None)


def test_a_service_that_trickles_its_answer_holds_up_nothing():
    """urllib's timeout bounds each read, not an answer: a service sending a byte at a time keeps a question open
    for long. The questions run on their own daemon thread, one at a time: the event loop goes on, more origins
    only queue, and nothing waits for the thread to finish."""
    async def scenario(service: str) -> tuple[int, int]:
        checks = ServiceChecks(service, "demo", False, lambda problem: None, asyncio.get_running_loop())
        for n in range(200):
            checks.origin_seen(f"http://shop{n}.test")
        turns = 0
        started = time.monotonic()
        while time.monotonic() - started < 0.5:      # the loop is free meanwhile
            turns += 1
            await asyncio.sleep(0.01)
        checks.close()
        return turns, len(checks._waiting)

    with trickling_server() as service:
        turns, waiting = run_coroutine(scenario(service))
    assert turns >= 20 and waiting == 200
    assert all(t.daemon for t in threading.enumerate() if t.name == "clickto-service-check")
