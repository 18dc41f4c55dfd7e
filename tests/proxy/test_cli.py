"""``clickto proxy`` and ``mitmdump -s proxy/addon.py`` as users run them: real processes, real traffic."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from clickto.testing import free_port, reaped, serve_app
from proxy.cli import main
from sdk import create_app
from sdk.testing import service_config
from tests.proxy.conftest import trickling_server
from tests.proxy.test_https import self_signed

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
NAVIGATION = {"accept": "text/html", "sec-fetch-dest": "document"}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--server", "localhost:8000", "--site", "demo"], "must start with http:// or https://"),
        (["--server", "http://x", "--site", ""], "site key is empty"),
        (["--server", "http://x", "--site", "a b"], "site key 'a b' must be 1-128 characters of ASCII letters"),
        (["--server", "http://x", "--site", "d", "--port", "0"], "--port must be between 1 and 65535, got 0"),
        (["--server", "http://x", "--site", "d", "--only", "http://shop/"], "is not a host pattern"),
        (["--server", "http://x", "--site", "d", "--max-bytes", "-1"], "must be positive"),
        (["--server", "http://*.x", "--site", "d"], "is not a host name or IPv4 address"),
        (["--server", "http://x", "--site", "d", "--only", "shop:"], "is not a host pattern"),
        (["--server", "http://x", "--site", "d", "--only", "a.com,b.com"], "',' cannot be part of a host"),
        (["--server", "http://x", "--site", "d", "--only", "host:65536"], "port 65536 is outside 1-65535"),
    ],
)
def test_bad_arguments_are_explained(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_missing_required_arguments(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--site", "demo"])
    assert exc.value.code == 2
    assert "--server" in capsys.readouterr().err


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    page = "<html><head><title>x</title></head><body>hello</body></html>"
    app = Starlette(routes=[Route("/", lambda request: HTMLResponse(page))])
    with serve_app(app) as server:
        yield server.url


def wait_for_port(process: subprocess.Popen, port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"proxy exited early: {process.communicate()}")
        try:
            with httpx.Client(proxy=f"http://127.0.0.1:{port}", timeout=1) as client:
                client.get("http://127.0.0.1:9/")  # mitmproxy answers 502 itself once it listens
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"proxy did not listen on {port} within {timeout}s")


def run_until_interrupted(
    command: list[str], port: int, origin: str, also: tuple[str, ...] = ()
) -> tuple[httpx.Response, str, int]:
    """Start the proxy, fetch ``origin/`` (and the paths in ``also``) through it, stop it with Ctrl-C."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with reaped(process):
        wait_for_port(process, port)
        with httpx.Client(proxy=f"http://127.0.0.1:{port}", timeout=10) as client:
            response = client.get(origin + "/", headers=NAVIGATION)
            for path in also:
                client.get(origin + path, headers=NAVIGATION)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=15)
    return response, output, process.returncode


def test_clickto_proxy_injects_and_stops_cleanly_on_ctrl_c(origin):
    port = free_port()
    command = [str(VENV_BIN / "clickto"), "proxy", "--port", str(port), "--server", "http://127.0.0.1:8000", "--site", "demo"]
    response, output, code = run_until_interrupted(command, port, origin)
    assert '<head><script src="http://127.0.0.1:8000/clickto.js" data-site="demo" async></script><title>' in response.text
    assert f"clickto proxy on http://127.0.0.1:{port}" in output
    assert "mitmproxy-ca-cert.pem" in output
    assert f"clickto: tagged {origin}/" in output  # the first tagged page of a host is logged
    assert code == 0
    assert "Traceback" not in output


def test_verbose_reencode_and_only_options(origin):
    port = free_port()
    host_port = origin.removeprefix("http://")
    command = [
        str(VENV_BIN / "clickto"), "proxy", "--port", str(port), "--server", "http://127.0.0.1:8000", "--site", "demo",
        "--only", "shop.example", "--only", host_port, "--reencode", "--verbose",
    ]
    response, output, code = run_until_interrupted(command, port, origin, also=("/missing",))
    assert 'data-site="demo" async></script><title>' in response.text
    assert f"clickto: tagged {origin}/" in output
    assert f"clickto: {origin}/missing: untouched (content type 'text/plain; charset=utf-8')" in output
    assert code == 0


def test_port_in_use_is_a_clear_error(origin):
    with serve_app(Starlette()) as busy:
        command = [str(VENV_BIN / "clickto"), "proxy", "--port", str(busy.port), "--server", "http://127.0.0.1:8000", "--site", "d"]
        result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{busy.port}" in result.stderr and "choose another port with --port" in result.stderr
    assert "--mode" not in result.stderr + result.stdout, "mitmproxy's hint names options clickto proxy does not have"
    assert "Traceback" not in result.stderr + result.stdout


def test_mitmdump_script_with_set_options(origin):
    port = free_port()
    command = [
        str(VENV_BIN / "mitmdump"), "-q", "--listen-host", "127.0.0.1", "--listen-port", str(port),
        "-s", "proxy/addon.py", "--set", "clickto_server=https://svc.example/clickto/", "--set", "clickto_site=shop",
        "--set", "clickto_only=127.0.0.1",
    ]
    response, _, _ = run_until_interrupted(command, port, origin)
    assert '<script src="https://svc.example/clickto/clickto.js" data-site="shop" async></script>' in response.text


@pytest.mark.parametrize(
    "setting, message",
    [
        ("clickto_max_bytes=abc", "clickto: --set clickto_max_bytes=abc: Not an integer: abc"),
        ("clickto_reencode=maybe", "clickto: --set clickto_reencode=maybe: Boolean must be"),
        ("clickto_only=http://shop/", "clickto: clickto_only: 'http://shop/' is not a host pattern"),
        ("clickto_max_bytes=0", "clickto: clickto_max_bytes: 0 must be a positive number of bytes"),
    ],
)
def test_mitmdump_reports_bad_set_values_and_exits(setting, message):
    """mitmproxy drops errors in deferred ``--set`` values of script options (the addon then silently
    does nothing); the addon reports them itself, which makes mitmdump exit at start-up."""
    command = [
        str(VENV_BIN / "mitmdump"), "--listen-host", "127.0.0.1", "--listen-port", "0", "-s", "proxy/addon.py",
        "--set", "clickto_server=http://127.0.0.1:8000", "--set", "clickto_site=demo", "--set", setting,
    ]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert message in result.stdout + result.stderr


def run_until_logged(command: list[str], port: int, url: str, wanted: tuple[str, ...], timeout: float = 20.0) -> str:
    """Start the proxy, fetch ``url`` through it, wait until every line in ``wanted`` was logged (the service
    checks run in the background), stop it with Ctrl-C; the whole output."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)   # type: ignore[arg-type]
    reader.start()
    with reaped(process):
        wait_for_port(process, port)
        with httpx.Client(proxy=f"http://127.0.0.1:{port}", timeout=10, verify=False) as client:
            client.get(url, headers=NAVIGATION)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not all(any(w in line for line in list(lines)) for w in wanted):
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
    reader.join(5)
    return "".join(lines)


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[str]:
    """A real clickto service whose site 'demo' accepts pages of http://shop.test only."""
    config = service_config(tmp_path_factory.mktemp("svc"), real_assets=True, reload_interval=0)
    with serve_app(create_app(config)) as server:
        yield server.url


def proxy_command(port: int, server: str, site: str = "demo", *more: str) -> list[str]:
    return [str(VENV_BIN / "clickto"), "proxy", "--port", str(port), "--server", server, "--site", site, *more]


def test_the_proxy_says_when_the_service_does_not_answer(origin):
    port, nowhere = free_port(), f"http://127.0.0.1:{free_port()}"
    output = run_until_logged(proxy_command(port, nowhere), port, origin + "/", ("does not answer",))
    assert f"clickto: the service at {nowhere} does not answer" in output


def test_the_proxy_says_when_the_service_has_no_such_site(origin, service):
    port = free_port()
    output = run_until_logged(proxy_command(port, service, "shop"), port, origin + "/", ("has no site",))
    assert f"clickto: the service at {service} has no site 'shop' (it serves: demo)" in output


def test_the_proxy_says_when_the_service_refuses_the_pages_origin(origin, service):
    """What happened with the README's recipe run literally (``--site mysite``, no origin): every page tagged,
    every event refused by CORS, and the log said only "tagged"."""
    port = free_port()
    output = run_until_logged(proxy_command(port, service), port, origin + "/", ("refuses the pages",))
    assert (f"clickto: the service refuses the pages of {origin} (origin {origin} is not allowed for site 'demo')"
            in output)
    assert f"restart it with --site demo={origin}" in output
    assert "does not answer" not in output and "has no site" not in output


def test_no_warning_when_the_service_takes_the_pages(origin, tmp_path):
    config = service_config(tmp_path, real_assets=True, reload_interval=0)
    config.sites[0].origins.append(origin)
    with serve_app(create_app(config)) as server:
        port = free_port()
        output = run_until_logged(proxy_command(port, server.url), port, origin + "/", ("clickto: tagged",), timeout=5)
    assert "clickto: tagged" in output and "warning" not in output.lower() and "refuses" not in output


def test_ssl_insecure_reaches_a_staging_shop_with_a_self_signed_certificate(tmp_path):
    cert, key = self_signed(tmp_path)
    page = "<html><head><title>staging</title></head><body>hi</body></html>"
    app = Starlette(routes=[Route("/", lambda request: HTMLResponse(page))])
    with serve_app(app, ssl_certfile=str(cert), ssl_keyfile=str(key)) as shop:
        url = f"https://127.0.0.1:{shop.port}/"
        port = free_port()
        output = run_until_logged(proxy_command(port, "http://127.0.0.1:8000", "demo", "--ssl-insecure"), port, url,
                                  ("clickto: tagged",), timeout=10)
        assert f"clickto: tagged {url}" in output
        port = free_port()
        output = run_until_logged(proxy_command(port, "http://127.0.0.1:8000"), port, url, ("verify failed",),
                                  timeout=10)
        assert "Certificate verify failed" in output and f"clickto: tagged {url}" not in output


def test_ctrl_c_is_not_held_up_by_a_service_that_trickles_its_answer(origin):
    port = free_port()
    with trickling_server() as service:
        process = subprocess.Popen(proxy_command(port, service), cwd=REPO, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        with reaped(process):
            wait_for_port(process, port)
            with httpx.Client(proxy=f"http://127.0.0.1:{port}", timeout=10) as client:
                assert "clickto.js" in client.get(origin + "/", headers=NAVIGATION).text
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=10) == 0
        process.communicate()
