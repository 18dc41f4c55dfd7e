"""`clickto explain FILE --session SESSION.json`: the decision, its reasons, scores, next check, near misses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clickto.cli import main
from rules.session import Session

T0_MS = 1_763_888_400_000          # 2025-11-23T09:00:00Z
RULES = """\
version: 1
channels:
  community: {label: Ask our community, needs: experts}
  chat: {label: Chat with an advisor, needs: advisors}
  phone: {label: Call an advisor, needs: advisors}
scores:
  hesitation:
    - when: {page.idle_seconds: {$gte: 20}}
      add: 50
rules:
  - id: staff
    when: {custom.role: staff}
    show: none
    priority: 100
  - id: reassure
    when: {checkout.step: shipping, cart.value: {$gte: 80}, score.hesitation: {$gte: 50}}
    show: chat
    priority: 10
  - id: lingering
    when: {page.type: product, page.dwell_seconds: {$gte: 30}}
    show: community
  - id: everyone-held-out
    when: {page.type: cart}
    show: chat
    holdout: 100
"""


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    return path


def write(tmp_path: Path, data, name: str = "session.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def shipping_events(session_id: str = "abc") -> dict:
    return {"session_id": session_id, "events": [
        {"type": "page_view", "t": T0_MS, "url": "https://shop.test/checkout/shipping", "page_type": "checkout",
         "checkout_step": "shipping"},
        {"type": "cart", "t": T0_MS + 1000, "value": 120, "items": 2},
    ]}


def explain(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["explain", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_nothing_yet_says_when_to_look_again_and_what_came_closest(capsys, rules_file, tmp_path):
    code, out, err = explain(capsys, rules_file, "--session", write(tmp_path, shipping_events()))
    assert code == 0, err
    assert "session abc at 2025-11-23T09:00:01Z" in out
    assert "decision: nothing (no rule matched)" in out
    assert "scores: hesitation 0" in out
    assert "next check: 2025-11-23T09:00:21Z (in 20 s)" in out     # idle reaches 20 s
    assert "closest rules:\n  - reassure: score.hesitation 0 >= 50" in out
    assert "staff" not in out.split("closest rules:")[1]            # a show: none rule is no near miss
    assert "availability: experts=1, advisors=1 (assumed" in out


def test_at_a_later_moment_the_rule_holds_with_its_reasons(capsys, rules_file, tmp_path):
    code, out, _ = explain(capsys, rules_file, "--session", write(tmp_path, shipping_events()),
                           "--at", "2025-11-23T09:00:30Z")
    assert code == 0
    assert "decision: chat \"Chat with an advisor\" (rule 'reassure')" in out
    assert "reasons:\n  - checkout.step 'shipping' == 'shipping'\n  - cart.value 120 >= 80\n" \
           "  - score.hesitation 50 >= 50" in out
    assert "next check: none" in out


@pytest.mark.parametrize("at", ["1763888430", "1763888430000", "2025-11-23T10:00:30+01:00", "2025-11-23 09:00:30"])
def test_at_accepts_epoch_seconds_milliseconds_and_iso(capsys, rules_file, tmp_path, at):
    code, out, _ = explain(capsys, rules_file, "--session", write(tmp_path, shipping_events()), "--at", at)
    assert code == 0 and "session abc at 2025-11-23T09:00:30Z" in out


def test_json_output(capsys, rules_file, tmp_path):
    code, out, _ = explain(capsys, rules_file, "--session", write(tmp_path, shipping_events()), "--json",
                           "--availability", "experts=1,advisors=0", "--at", "1763888430")
    assert code == 0
    data = json.loads(out)
    assert data["channel"] is None and data["rule"] is None
    assert data["reasons"] == ["rule 'reassure' matched but nobody is available for chat"]
    assert data["near_misses"][0] == {"rule": "reassure", "failed": data["reasons"]}
    assert data["availability"] == {"experts": 1, "advisors": 0}
    assert data["at"] == 1763888430 and data["session"] == "abc"
    assert data["scores"] == {"hesitation": 50.0}
    code, out, _ = explain(capsys, rules_file, "--session", write(tmp_path, shipping_events()),
                           "--availability", "experts=1,advisors=0", "--at", "1763888430")
    assert "decision: nothing (no rule could show: see reasons)" in out     # not "no rule matched": one did


def test_a_stored_session_is_explained_at_its_last_event(capsys, rules_file, tmp_path):
    session = Session("stored-1", "demo", T0_MS / 1000)
    session.apply({"type": "page_view", "url": "https://shop.test/p/1", "page_type": "product"}, T0_MS / 1000)
    session.apply({"type": "activity"}, T0_MS / 1000 + 40)
    before = session.to_dict()
    code, out, _ = explain(capsys, rules_file, "--session", write(tmp_path, before))
    assert code == 0
    assert "decision: community \"Ask our community\" (rule 'lingering')" in out
    assert "page.dwell_seconds 40 >= 30" in out
    assert json.loads((tmp_path / "session.json").read_text()) == before   # explain never writes


def test_held_out_and_suppressed_are_told_apart(capsys, rules_file, tmp_path):
    cart = {"session_id": "c", "events": [{"type": "page_view", "t": T0_MS, "url": "https://shop.test/cart",
                                           "page_type": "cart"}]}
    code, out, _ = explain(capsys, rules_file, "--session", write(tmp_path, cart))
    assert code == 0 and "held out: rule 'everyone-held-out' matched" in out
    staff = {"session_id": "s", "events": [{"type": "custom", "t": T0_MS, "data": {"role": "staff"}}]}
    code, out, _ = explain(capsys, rules_file, "--session", write(tmp_path, staff))
    assert code == 0 and "decision: nothing (rule 'staff' says show: none)" in out


@pytest.mark.parametrize("content, message", [
    ("{not json", "session.json:1:2: not valid JSON"),
    ("[1, 2]", "a session file must hold a JSON object, got a list"),
    ({"session_id": "x", "events": []}, "field 'events' must be a non-empty list of events"),
    ({"session_id": 7, "events": [{"type": "activity", "t": 1}]}, "field 'session_id' must be a non-empty string"),
    ({"session_id": "x", "events": [{"type": "activity", "t": 1}, {"type": "cart", "t": 2, "value": "lots"}]},
     "events[1].value: must be a number, got str"),
    ({"session_id": "x", "events": [{"type": "activity"}]}, "events[0].t: is required (milliseconds since the epoch)"),
    ({"session_id": "x", "events": [{"type": "teleport", "t": 1}]}, "events[0].type: unknown event type 'teleport'"),
    ({"site": "demo"}, "field 'session_id' is required"),
    ({"session_id": "x", "cart_value": "high"}, "field 'cart_value' must be a number, got the string 'high'"),
    ({"session_id": "x", "paths": "/home"}, "field 'paths' must be a list"),
])
def test_bad_session_files_name_the_field_and_exit_2(capsys, rules_file, tmp_path, content, message):
    code, out, err = explain(capsys, rules_file, "--session", write(tmp_path, content))
    assert code == 2
    assert message in err
    assert out == ""


@pytest.mark.parametrize("args, message", [
    (["--at", "yesterday"], "--at: expected an ISO 8601 time"),
    (["--availability", "experts"], "--availability: expected POOL=N"),
    (["--availability", "experts=many"], "--availability: experts must be a whole number"),
    (["--availability", "experts=-1"], "cannot be negative"),
    (["--availability", "expert=1,advisors=1"], "--availability: no channel needs pool 'expert' (did you mean 'experts'?)"),
    (["--availability", "cashiers=1"], "--availability: no channel needs pool 'cashiers' (the channels need: experts, "
                                      "advisors)"),
])
def test_bad_options_exit_2(capsys, rules_file, tmp_path, args, message):
    code, _, err = explain(capsys, rules_file, "--session", write(tmp_path, shipping_events()), *args)
    assert code == 2 and message in err


def test_missing_files_exit_2_and_bad_rules_exit_1(capsys, rules_file, tmp_path):
    code, _, err = explain(capsys, rules_file, "--session", tmp_path / "nope.json")
    assert code == 2 and "nope.json: no such session file" in err
    code, _, err = explain(capsys, tmp_path / "missing.yaml", "--session", write(tmp_path, shipping_events()))
    assert code == 2 and "no such rule file" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text(RULES.replace("show: community", "show: telepathy"))
    code, _, err = explain(capsys, broken, "--session", write(tmp_path, shipping_events()))
    assert code == 1 and "broken.yaml:" in err and "telepathy" in err


def test_session_option_is_required(capsys, rules_file):
    code, _, err = explain(capsys, rules_file)
    assert code == 2 and "--session" in err
