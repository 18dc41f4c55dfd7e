"""``clickto proxy`` and ``mitmdump -s proxy/addon.py`` as users run them: real processes, real traffic."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from clickto.testing import free_port, serve_app
from proxy.cli import main

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
NAVIGATION = {"accept": "text/html", "sec-fetch-dest": "document"}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--server", "localhost:8000", "--site", "demo"], "must start with http:// or https://"),
        (["--server", "http://x", "--site", ""], "site key is empty"),
        (["--server", "http://x", "--site", "d", "--port", "0"], "--port 0 is not a TCP port"),
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
    try:
        wait_for_port(process, port)
        with httpx.Client(proxy=f"http://127.0.0.1:{port}", timeout=10) as client:
            response = client.get(origin + "/", headers=NAVIGATION)
            for path in also:
                client.get(origin + path, headers=NAVIGATION)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
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
    assert "could not start" in result.stderr
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
