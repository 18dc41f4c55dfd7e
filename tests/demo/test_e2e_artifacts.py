"""A failing end-to-end test keeps a screenshot and a Playwright trace, in a folder the run prints (issue: "A
failing test keeps a screenshot and a Playwright trace under a folder CI prints"). Checked by running a test
that fails on purpose with the e2e fixtures, in its own pytest process."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBE = '''
def test_fails_on_purpose(page):
    page.set_content("<h1>probe</h1>")
    assert page.inner_text("h1") == "something else"
'''

pytestmark = pytest.mark.browser


def test_a_failed_browser_test_leaves_a_screenshot_and_a_trace(tmp_path: Path) -> None:
    probe = tmp_path / "test_artifacts_probe.py"
    probe.write_text(PROBE)
    folder = REPO / "test-artifacts" / "test_artifacts_probe__test_fails_on_purpose"
    shutil.rmtree(folder, ignore_errors=True)
    try:
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "conftest",
                              "-p", "e2e.conftest", str(probe)], cwd=REPO, capture_output=True, text=True, timeout=120)
        assert run.returncode == 1, run.stdout + run.stderr
        assert f"artifacts of the failed test: {folder}" in run.stdout
        assert (folder / "screenshot-0.png").read_bytes().startswith(b"\x89PNG")
        with zipfile.ZipFile(folder / "trace.zip") as trace:
            assert any(name.endswith(".trace") for name in trace.namelist())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
