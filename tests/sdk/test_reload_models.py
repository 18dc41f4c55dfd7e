"""The service's hot reload follows the models of learned scores too: a retrained model file is put in force,
a broken one is reported and the last good rules and model stay in force."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from clickto.testing import run_coroutine
from sdk.reload import RulesHolder

MODELS = Path(__file__).resolve().parents[2] / "rules" / "intent" / "models"
RULES = """version: 1
channels: {chat: {label: Chat}}
scores:
  intent: {model: model}
rules:
  - {id: likely-buyer, when: {score.intent: {$gte: 0.2}}, show: chat}
"""


def install(model: str, folder: Path) -> None:
    """What ``clickto train --out folder`` leaves behind: model.json, then metadata.json, replaced in place."""
    for name in ("model.json", "metadata.json"):
        shutil.copyfile(MODELS / model / name, folder / name)


@pytest.fixture
def holder(tmp_path: Path) -> RulesHolder:
    (tmp_path / "model").mkdir()
    install("live", tmp_path / "model")
    (tmp_path / "rules.yaml").write_text(RULES)
    return RulesHolder(tmp_path / "rules.yaml")


def model_name(holder: RulesHolder) -> str:
    return holder.ruleset.scores.models["intent"].name


def test_a_replaced_model_is_put_in_force_and_a_broken_one_keeps_the_last_good(holder, tmp_path):
    assert model_name(holder) == "intent-live" and not holder.changed()
    assert holder.status()["models"] == [str(tmp_path / "model" / "model.json"),
                                         str(tmp_path / "model" / "metadata.json")]
    install("all", tmp_path / "model")                      # retrained into the same folder
    assert holder.changed() and holder.reload()
    assert model_name(holder) == "intent-all" and holder.reloads == 1 and not holder.changed()

    (tmp_path / "model" / "model.json").write_text('{"format": "clickto-intent-model", "version": 1,')
    assert holder.changed() and not holder.reload()
    assert model_name(holder) == "intent-all"                # the last good model stays in force
    status = holder.status()
    assert not status["ok"] and holder.failed_reloads == 1
    assert "model.json" in status["errors"][0] and "malformed JSON" in status["errors"][0]
    assert not holder.changed()                              # reported once, not on every poll

    install("live", tmp_path / "model")                      # fixed: in force again
    assert holder.changed() and holder.reload() and model_name(holder) == "intent-live" and holder.status()["ok"]


def test_a_rule_file_naming_a_new_model_folder_is_watched_for_it(holder, tmp_path):
    (tmp_path / "other").mkdir()
    (tmp_path / "rules.yaml").write_text(RULES.replace("model: model", "model: other"))
    assert holder.changed() and not holder.reload()          # the folder is still empty
    assert "other" in holder.status()["errors"][0] and model_name(holder) == "intent-live"
    install("all", tmp_path / "other")
    assert holder.changed() and holder.reload() and model_name(holder) == "intent-all"


def test_the_watcher_reloads_a_retrained_model(holder, tmp_path):
    async def scenario() -> str:
        reloaded = asyncio.Event()
        holder.events.on("reloaded", lambda ruleset: reloaded.set())
        watcher = asyncio.create_task(holder.watch(0.01))
        try:
            await asyncio.sleep(0)
            install("all", tmp_path / "model")
            await asyncio.wait_for(reloaded.wait(), timeout=5)
        finally:
            watcher.cancel()
        return model_name(holder)

    assert run_coroutine(scenario()) == "intent-all"   # not asyncio.run: Playwright may own this thread's loop
    assert json.loads((tmp_path / "model" / "metadata.json").read_text())["name"] == "intent-all"


def test_a_load_cut_short_by_a_stopped_watcher_is_done_again_by_the_next(holder, tmp_path, monkeypatch):
    """The service stops its watcher (shutdown, a host app's lifespan) while a large file loads in its thread:
    the change must not count as seen, or the next watcher would keep the old rules for good."""
    import threading

    import sdk.reload

    real_load = sdk.reload.rules.load
    started, release = threading.Event(), threading.Event()

    def slow_load(path):
        started.set()
        release.wait(10)
        return real_load(path)

    async def scenario() -> tuple[bool, int]:
        monkeypatch.setattr(sdk.reload.rules, "load", slow_load)
        (tmp_path / "rules.yaml").write_text(RULES.replace("0.2", "0.3"))
        first = asyncio.create_task(holder.watch(0.01))
        while not started.is_set():
            await asyncio.sleep(0.01)
        first.cancel()
        release.set()
        await asyncio.sleep(0.05)
        changed_after = holder.changed()
        monkeypatch.setattr(sdk.reload.rules, "load", real_load)
        reloaded = asyncio.Event()
        holder.events.on("reloaded", lambda ruleset: reloaded.set())
        second = asyncio.create_task(holder.watch(0.01))
        try:
            await asyncio.wait_for(reloaded.wait(), timeout=5)
        finally:
            second.cancel()
        return changed_after, holder.reloads

    changed_after, reloads = run_coroutine(scenario())
    assert changed_after and reloads == 1
    assert holder.ruleset.rule("likely-buyer").when == {"score.intent": {"$gte": 0.3}}
