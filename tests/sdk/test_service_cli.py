"""``clickto serve``: refuses bad rules with every problem, prints the tag, serves for real."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from clickto.testing import free_port
from sdk.cli import serve_main
from sdk.testing import RULES

pytestmark = pytest.mark.timeout(60)


def test_bad_rules_exit_1_with_every_problem(tmp_path, capsys):
    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(RULES.replace("show: chat", "show: chta").replace("cart.value", "cart.valeu"))
    assert serve_main(["--rules", str(rules_path)]) == 1
    err = capsys.readouterr().err
    problems = [line for line in err.splitlines() if line.startswith(f"{rules_path}:")]
    assert len(problems) >= 2 and "not starting" in err


def test_missing_rules_and_bad_options(tmp_path, capsys):
    assert serve_main(["--rules", str(tmp_path / "none.yaml")]) == 2
    assert "no such rule file" in capsys.readouterr().err
    assert serve_main(["--rules", "x", "--site", "demo=shop.test"]) == 2
    assert "must look like" in capsys.readouterr().err
    assert serve_main(["--rules", "x", "--site", "my shop=http://shop.test"]) == 2   # the tag could not send it
    assert "site key 'my shop' must be 1-128 characters of ASCII letters" in capsys.readouterr().err
    assert serve_main(["--rules", "x", "--online", "experts"]) == 2


@pytest.mark.parametrize("port", ["0", "99999", "-1"])
def test_port_out_of_range_is_a_usage_error(tmp_path, capsys, port):
    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(RULES)
    assert serve_main(["--rules", str(rules_path), "--port", port]) == 2
    assert "--port must be between 1 and 65535" in capsys.readouterr().err


def serve_on_a_taken_port(*args: str) -> tuple[int, int]:
    """``serve_main`` with a port another socket holds: it returns after its start-up checks. (exit code, port)"""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        return serve_main([*args, "--port", str(port)]), port


def test_busy_port_or_unknown_host_exit_1_before_saying_ready(tmp_path, capsys):
    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(RULES)
    code, port = serve_on_a_taken_port("--rules", str(rules_path))
    assert code == 1
    captured = capsys.readouterr()
    assert f"cannot listen on 127.0.0.1:{port}" in captured.err and "ready" not in captured.out
    assert serve_main(["--rules", str(rules_path), "--host", "no-such-host.invalid", "--port", str(free_port())]) == 1
    captured = capsys.readouterr()
    assert "cannot listen on no-such-host.invalid" in captured.err and "ready" not in captured.out


def test_serve_runs_and_prints_the_snippet(tmp_path):
    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(RULES)
    port = free_port()
    env = {**os.environ, "CLICKTO_ADMIN_TOKEN": "from-env"}
    process = subprocess.Popen(
        [sys.executable, "-m", "clickto", "serve", "--rules", str(rules_path), "--port", str(port),
         "--site", "demo=http://shop.test", "--online", "experts=ana,advisors=ben", "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read()
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert health.json()["status"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{port}/v1/presence?site=demo").json() == {"experts": 1, "advisors": 1}
        put = httpx.put(f"http://127.0.0.1:{port}/v1/presence", headers={"authorization": "Bearer from-env"},
                        json={"pool": "experts", "person": "ana", "online": False})
        assert put.status_code == 200
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert f'<script src="http://127.0.0.1:{port}/clickto.js" data-site="demo" async></script>' in out
    assert "admin token: from-env" in out


@pytest.mark.parametrize("option, value", [("--session-ttl", "nan"), ("--session-ttl", "inf"), ("--session-ttl", "0"),
                                           ("--max-sessions", "0"), ("--session-ttl", "soon"),
                                           ("--max-sessions", "1.5")])
def test_session_limits_must_be_finite_and_positive(tmp_path, capsys, option, value):
    """``nan`` was accepted and silently broke every session (no clock ran, nothing expired)."""
    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(RULES)
    assert serve_main(["--rules", str(rules_path), option, value]) == 2
    assert f"argument {option}" in capsys.readouterr().err


@pytest.mark.parametrize("token, message", [
    ("expert:carl=t0ken-carl", "--person-token expert:carl: no pool 'expert' (the rules' channels need: advisors, experts"),
    ("advisors:ben smith=t0ken-ben", "person must be 1-64 characters"),
])
def test_person_tokens_that_could_never_be_used_stop_the_start(tmp_path, capsys, token, message):
    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(RULES)
    assert serve_main(["--rules", str(rules_path), "--person-token", token]) == 2
    assert message in capsys.readouterr().err


def test_online_in_a_pool_no_channel_needs_is_warned(tmp_path, capsys):
    """--online may seed a pool for rules to come, but a typo (expert for experts) is said, not swallowed."""
    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(RULES)
    serve_on_a_taken_port("--rules", str(rules_path), "--online", "expert=ana,experts=bo")
    err = capsys.readouterr().err
    assert "warning: --online expert=ana: no channel of the rules needs pool 'expert' (did you mean 'experts'?)" in err
    assert "experts=bo" not in err


def test_the_printed_presence_command_works_as_printed_with_several_sites(tmp_path):
    """The start-up banner's curl line is run as a user would paste it: with two sites the admin token serves
    both, so the line must name one; the pool is one the rules need."""
    import shlex

    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(RULES)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "clickto", "serve", "--rules", str(rules_path), "--port", str(port),
         "--site", "a=http://a.test", "--site", "b=HTTP://B.test:80/", "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    try:
        lines = []
        while not lines or "curl -X PUT" not in lines[-1]:
            line = process.stdout.readline()
            assert line, process.stderr.read()
            lines.append(line)
        assert "  site 'b' accepts pages from: http://b.test\n" in lines   # as browsers send it
        words = shlex.split(lines[-1])
        url, data = words[3], words[words.index("-d") + 1]
        headers = dict(words[i + 1].split(": ", 1) for i, word in enumerate(words) if word == "-H")
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = httpx.put(url, headers=headers, content=data, timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert answer.status_code == 200, answer.text
        assert answer.json()["site"] == "a" and json.loads(data)["pool"] in {"experts", "advisors"}
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_origins_are_kept_as_browsers_send_them_and_a_path_is_refused(tmp_path, capsys):
    from clickto.ports import display_host
    from sdk.config import SiteConfig

    site = SiteConfig("demo", ["https://Shop.Example:443/", "http://127.0.0.1:8000", " * ", "http://bücher.test:8000",
                               "https://faß.de"])
    assert site.origins == ["https://shop.example", "http://127.0.0.1:8000", "*", "http://xn--bcher-kva.test:8000",
                            "https://xn--fa-hia.de"]   # as Chromium sends it (IDNA 2008), not fass.de
    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(RULES)
    assert serve_main(["--rules", str(rules_path), "--site", "demo=https://shop.example/shop/"]) == 2
    assert "must be scheme://host[:port] only (no path" in capsys.readouterr().err
    assert [display_host(h) for h in ("0.0.0.0", "::", "::1", "shop.local")] == \
        ["127.0.0.1", "[::1]", "[::1]", "shop.local"]
