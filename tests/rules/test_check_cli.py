"""``clickto check`` and ``clickto schema`` as a merchant runs them: output, streams and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from clickto.cli import main
from rules.schema import rule_file_schema

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "rules.yaml"
CLICKTO = Path(sys.executable).parent / "clickto"

GOOD = """\
version: 1
channels:
  chat: {label: Chat with us, needs: advisors}
scores:
  hesitation: [{when: {checkout.step: shipping}, add: 10}]
rules:
  - id: a
    when: {cart.value: {$gte: 80}}
    show: chat
"""
BAD = """\
version: 1
channels:
  chat: {label: Chat with us, needs: advisors}
rules:
  - id: a
    when: {cart.vaule: {$gte: 80}}
    show: caht
"""


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(GOOD)
    bad.write_text(BAD)
    return {"good": good, "bad": bad, "missing": tmp_path / "missing.yaml"}


def test_real_command_on_the_example_file() -> None:
    result = subprocess.run([str(CLICKTO), "check", "examples/rules.yaml"], cwd=REPO, capture_output=True, text=True,
                            timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "examples/rules.yaml: ok (7 rules, 3 scores)\n", "")


def test_real_command_reports_every_problem_and_exits_1(files: dict[str, Path]) -> None:
    result = subprocess.run([str(CLICKTO), "check", str(files["bad"])], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{files['bad']}:6:12: unknown fact 'cart.vaule' (did you mean 'cart.value'?)",
        f"{files['bad']}:7:11: unknown channel 'caht' in show (did you mean 'chat'?)",
        f"{files['bad']}: 2 problems",
    ]


def test_ok_line_counts_rules_and_scores(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(files["good"])]) == 0
    assert capsys.readouterr().out == f"{files['good']}: ok (1 rule, 1 score)\n"


def test_several_files_good_and_bad(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(files["good"]), str(files["bad"])]) == 1
    captured = capsys.readouterr()
    assert captured.out == f"{files['good']}: ok (1 rule, 1 score)\n"
    assert captured.err.count(str(files["bad"])) == 3


def test_missing_file_exits_2_with_a_clear_message(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(files["missing"]), str(files["bad"])]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"clickto check: {files['missing']}: no such file\n")
    assert "unknown channel 'caht'" in err       # the other files are still checked


def test_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"clickto check: {tmp_path}: is a folder, not a rule file\n"


def test_quiet_prints_nothing_for_valid_files(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--quiet", str(files["good"])]) == 0
    assert capsys.readouterr().out == ""


def test_invalid_yaml_is_one_located_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("version: 1\nchannels:\n  chat: {label: x\nrules: []\n")
    assert main(["check", str(path)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith(f"{path}:4:") and "invalid YAML" in lines[0]
    assert lines[1] == f"{path}: 1 problem"


def test_no_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 2
    assert "usage: clickto check" in capsys.readouterr().err


def test_schema_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == rule_file_schema()


def test_schema_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "schema.json"
    assert main(["schema", "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == rule_file_schema()
    assert capsys.readouterr().out == ""


def test_schema_to_an_unwritable_place_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--out", str(tmp_path / "no" / "such" / "dir.json")]) == 2
    assert capsys.readouterr().err.startswith(f"clickto schema: cannot write {tmp_path / 'no' / 'such' / 'dir.json'}: ")
