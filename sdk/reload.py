"""The rule set in force, and its hot reload when the rule file changes.

Polling the file's stat every ``interval`` seconds needs no extra dependency and works on every file
system (bind mounts and network shares included). A file that does not load is logged with every
``FILE:LINE:COL`` problem and the last good rules stay in force.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

from pyee import EventEmitter

import rules

log = logging.getLogger("clickto.sdk")


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


class RulesHolder:
    """Holds the current ``RuleSet``; ``events`` emits ``"reloaded"`` (with the new rule set) after a good reload
    and ``"failed"`` (with the list of ``RuleError``) after a bad one.

    ``errors`` lists the problems of the last reload attempt (empty once a reload succeeds).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._stamp = _stamp(self.path)
        self.ruleset = rules.load(self.path)   # raises rules.RuleErrors: a service never starts on bad rules
        self.errors: list[rules.RuleError] = []
        self.loaded_at = time.time()
        self.reloads = 0
        self.failed_reloads = 0
        self.events = EventEmitter()

    def changed(self) -> bool:
        return _stamp(self.path) != self._stamp

    def reload(self) -> bool:
        """Load the file again; True when the new rules are in force."""
        self._stamp = _stamp(self.path)
        try:
            ruleset = rules.load(self.path)
        except rules.RuleErrors as problems:
            self._fail(problems.errors)
            return False
        except rules.RuleError as problem:
            self._fail([problem])
            return False
        except OSError as error:
            self._fail([rules.RuleError(f"cannot read the rule file: {error.strerror or error}", file=str(self.path))])
            return False
        self.ruleset = ruleset
        self.errors = []
        self.loaded_at = time.time()
        self.reloads += 1
        log.info("%s: rules reloaded", self.path)
        self.events.emit("reloaded", ruleset)
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
        """Poll the file until cancelled."""
        while True:
            await asyncio.sleep(interval)
            if self.changed():
                self.reload()

    def status(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "ok": not self.errors,
            "loaded_at": self.loaded_at,
            "reloads": self.reloads,
            "failed_reloads": self.failed_reloads,
            "errors": [str(error) for error in self.errors],
        }
