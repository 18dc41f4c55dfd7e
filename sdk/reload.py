"""The rule set in force, and its hot reload when the rule file or a model it uses changes.

Polling the files' stat every ``interval`` seconds needs no extra dependency and works on every file
system (bind mounts and network shares included). The files watched are the rule file and, for every
learned score it names (``scores: {NAME: {model: DIR}}``), that model's ``model.json`` and ``metadata.json``:
retraining into the same folder puts the new model in force. A rule file or model that does not load is
logged with every problem (``FILE:LINE:COL``, or the model file and field) and the last good rules, with
their models, stay in force.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import NamedTuple

from pyee import EventEmitter

import rules

log = logging.getLogger("clickto.sdk")


Stamp = tuple[int, int, int] | None


def _stamp(path: Path) -> Stamp:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def model_files(rules_path: Path, ruleset: object | None = None) -> tuple[Path, ...]:
    """The model files of the learned scores the rule file names (from its text, so a rule file whose model
    does not load is still watched for that model), else of ``ruleset``'s loaded models."""
    from rules.intent.model import METADATA_FILE, MODEL_FILE
    from rules.loader import parse

    folders: list[Path] = []
    try:
        folders = [Path(score.model) for score in parse(rules_path).scores.values() if score.model is not None]
    except (rules.RuleErrors, rules.RuleError, OSError):
        models = getattr(getattr(ruleset, "scores", None), "models", None) or {}
        folders = [Path(model.path) for model in models.values() if getattr(model, "path", None) is not None]
    files: list[Path] = []
    for folder in folders:
        if folder.suffix == ".json":      # a model given by its model.json or metadata.json
            folder = folder.parent
        files += [folder / MODEL_FILE, folder / METADATA_FILE]
    return tuple(files)


class Loaded(NamedTuple):
    """One load of the rule file: the model files it named, the stamps it was read at, what came of it."""

    watched: tuple[Path, ...]
    stamps: tuple[Stamp, ...]
    result: rules.RuleSet | list[rules.RuleError]


class RulesHolder:
    """Holds the current ``RuleSet``; ``events`` emits ``"reloaded"`` (with the new rule set) after a good reload
    and ``"failed"`` (with the list of ``RuleError``) after a bad one.

    ``errors`` lists the problems of the last reload attempt (empty once a reload succeeds).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.watched: tuple[Path, ...] = model_files(self.path)
        self._stamp = self._stamps()
        self.ruleset = rules.load(self.path)   # raises rules.RuleErrors: a service never starts on bad rules
        self.errors: list[rules.RuleError] = []
        self.loaded_at = time.time()
        self.reloads = 0
        self.failed_reloads = 0
        self.events = EventEmitter()

    def _stamps(self) -> tuple[Stamp, ...]:
        return (_stamp(self.path), *(_stamp(path) for path in self.watched))

    def changed(self) -> bool:
        """True when the rule file or one of its model files changed since the last (attempted) load."""
        return self._stamps() != self._stamp

    def reload(self) -> bool:
        """Load the rule file (and with it its models) again; True when the new rules are in force."""
        return self._apply(self._load())

    def _load(self) -> Loaded:
        """Read, check and compile the rule file: the new rule set, or its problems, with the files and stamps
        it was read at. Changes nothing here (``watch`` runs it in a worker thread, and a load whose watcher
        was stopped meanwhile must leave the file to be loaded again)."""
        watched = model_files(self.path, self.ruleset)   # what the rule file names now
        stamps = (_stamp(self.path), *(_stamp(path) for path in watched))   # before loading: a change meanwhile
        try:                                                               # is seen next time
            result: rules.RuleSet | list[rules.RuleError] = rules.load(self.path)
        except rules.RuleErrors as problems:
            result = problems.errors
        except rules.RuleError as problem:
            result = [problem]
        except OSError as error:
            result = [rules.RuleError(f"cannot read the rule file: {error.strerror or error}", file=str(self.path))]
        return Loaded(watched, stamps, result)

    def _apply(self, loaded: Loaded) -> bool:
        """Put a loaded rule set in force (on the event loop: listeners decide again), or report its problems."""
        self.watched, self._stamp = loaded.watched, loaded.stamps
        if isinstance(loaded.result, list):
            self._fail(loaded.result)
            return False
        self.ruleset = loaded.result
        self.errors = []
        self.loaded_at = time.time()
        self.reloads += 1
        log.info("%s: rules reloaded", self.path)
        self.events.emit("reloaded", loaded.result)
        return True

    def _fail(self, errors: list[rules.RuleError]) -> None:
        self.errors = errors
        self.failed_reloads += 1
        log.error("%s: rules NOT reloaded (%d problem%s); the last good rules stay in force",
                  self.path, len(errors), "" if len(errors) == 1 else "s")
        for error in errors:
            log.error("%s", error)
        self.events.emit("failed", errors)

    async def watch(self, interval: float) -> None:
        """Poll the file until cancelled. Loading runs in a worker thread: a large rule file takes seconds to
        compile, and the event loop keeps answering pages meanwhile; the swap happens back on the loop."""
        while True:
            await asyncio.sleep(interval)
            if self.changed():
                self._apply(await asyncio.to_thread(self._load))

    def status(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "models": [str(path) for path in self.watched],
            "ok": not self.errors,
            "loaded_at": self.loaded_at,
            "reloads": self.reloads,
            "failed_reloads": self.failed_reloads,
            "errors": [str(error) for error in self.errors],
        }
