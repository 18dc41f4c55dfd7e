"""``clickto demo``: rule check at start, port check, the one-process app, clean stop on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import rules
from clickto.testing import free_port, reaped
from demo_shop.cli import main
from demo_shop.demo import DEFAULT_RULES

REPO = Path(__file__).resolve().parents[2]


def test_example_rules_pass_clickto_check():
    assert rules.check(DEFAULT_RULES) == []
    ruleset_text = DEFAULT_RULES.read_text()
    assert "show: community" in ruleset_text and "show: chat" in ruleset_text


def test_invalid_rules_are_reported_with_file_line_col_and_exit_1(tmp_path, capsys):
    bad = tmp_path / "rules.yaml"
    bad.write_text("version: 1\nchannels:\n  chat: {label: Chat}\nrules:\n  - id: x\n    when: {cart.value: {$gtee: 1}}\n"
                   "    show: chat\n")
    assert main(["--rules", str(bad), "--port", str(free_port())]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:6:" in err and "$gtee" in err
    assert "problem(s)" in err


def test_missing_rule_file_exits_1(tmp_path, capsys):
    assert main(["--rules", str(tmp_path / "nope.yaml")]) == 1
    assert "rule file not found" in capsys.readouterr().err


def test_busy_port_exits_1_with_a_hint(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port" in err


def test_bad_port_is_a_usage_error():
    with pytest.raises(SystemExit) as exit_info:
        main(["--port", "70000"])
    assert exit_info.value.code == 2


def test_demo_app_serves_shop_tag_service_and_online_page():
    from demo_shop.demo import build_demo

    app = build_demo(DEFAULT_RULES, ["http://127.0.0.1:8000"], admin_token="t0ken")
    with TestClient(app) as client:
        home = client.get("/").text
        assert '<script src="/clickto/clickto.js" data-site="demo" async></script>' in home
        assert 'href="/admin/online"' in home
        assert client.get("/clickto/clickto.js").status_code == 200
        assert client.get("/clickto/v1/presence", params={"site": "demo"}).json() == {"experts": 1, "advisors": 1}
        online = client.get("/admin/online").text
        assert 'data-person="ana" checked' in online and 'data-person="ben" checked' in online
        assert 'data-person="jonas">' in online and 'data-person="clara">' in online
        response = client.put("/clickto/v1/presence", json={"pool": "experts", "person": "jonas", "online": True},
                              headers={"Authorization": "Bearer t0ken"})
        assert response.status_code == 200
        assert 'data-person="jonas" checked' in client.get("/admin/online").text
        assert client.get("/products/1").status_code == 200


def test_demo_without_the_tag_for_the_proxy():
    """``clickto demo --no-tag``: the shop as any site without clickto, the service still there for the proxy."""
    from demo_shop.demo import build_demo

    app = build_demo(DEFAULT_RULES, ["http://127.0.0.1:8000"], admin_token="t0ken", tag=False)
    with TestClient(app) as client:
        assert "clickto.js" not in client.get("/").text and "clickto.js" not in client.get("/products/7").text
        assert client.get("/clickto/clickto.js").status_code == 200
        assert client.get("/clickto/healthz").json()["sites"] == ["demo"]
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "clickto", "demo", "--port", str(port), "--no-tag"], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    with reaped(process):
        lines = [process.stdout.readline() for _ in range(5)]
        assert "(without the tag)" in lines[0]
        assert f"clickto proxy --server http://127.0.0.1:{port}/clickto --site demo --only '*:{port}'" in lines[4]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            assert b"clickto.js" not in response.read()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0


def test_clickto_demo_prints_the_url_and_stops_cleanly_on_ctrl_c():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "clickto", "demo", "--port", str(port)], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    with reaped(process):
        first = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in first, first
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/products/7", timeout=10) as response:
            assert b"Kestrel M43 Mirrorless Body" in response.read()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
        assert "clickto demo: stopped." in process.stdout.read()


def test_online_page_offers_the_pools_of_a_custom_rule_file(tmp_path):
    from demo_shop.demo import build_demo

    custom = tmp_path / "rules.yaml"
    custom.write_text("version: 1\nchannels:\n  styling: {label: Ask a stylist, needs: stylists}\nrules:\n"
                      "  - id: style\n    when: {page.type: product}\n    show: styling\n")
    with TestClient(build_demo(custom, [], admin_token="t0ken")) as client:
        html = client.get("/admin/online").text
        assert '<form class="add-person" data-pool="stylists">' in html and "Stylists" in html
        response = client.put("/clickto/v1/presence", json={"pool": "stylists", "person": "sam", "online": True},
                              headers={"Authorization": "Bearer t0ken"})
        assert response.status_code == 200, response.text
        assert 'data-pool="stylists" data-person="sam" checked' in client.get("/admin/online").text


def test_printed_commands_work_on_any_port_and_host(capsys):
    """What ``clickto demo`` prints must run as printed: the proxy's default port is 8080, IPv6 needs brackets,
    and an address that does not resolve is no matter of ports."""
    from clickto.ports import port_problem
    from demo_shop.cli import announce, browser_url

    assert browser_url("::1", 8000) == "http://[::1]:8000" and browser_url("0.0.0.0", 80) == "http://127.0.0.1:80"
    announce("http://127.0.0.1:8080", DEFAULT_RULES, 8080, no_tag=True)
    assert "--only '*:8080' --port 8081" in capsys.readouterr().out
    announce("http://127.0.0.1:8000", DEFAULT_RULES, 8000, no_tag=True)
    assert "--only '*:8000'\n" in capsys.readouterr().out
    assert "check the host" in port_problem("no-such-host.invalid", free_port())
