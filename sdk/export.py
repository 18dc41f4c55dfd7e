"""Finished sessions → training rows in the dataset's columns, so ``clickto train`` learns from the shop.

When a session ends (idle past the TTL, pushed out by the store's cap, or still live at shutdown) it becomes
one row (``rules.intent.session_to_row``) with ``Revenue`` = whether it placed an order. Rows are kept per
site in memory (the newest ``memory_rows``) and, with an export folder, appended to ``FOLDER/SITE.csv``.
That file is bounded: at ``max_rows`` rows it is renamed to ``SITE.old.csv`` (replacing the previous one)
and a new file starts, so the disk holds at most twice ``max_rows`` rows per site. ``GET
/v1/sites/{site}/training-rows`` serves the same rows (``sdk.app``). Sessions without a page view are not
rows. A session written at shutdown is remembered, so it is never written twice in the same process. A session
that ordered is described up to the page the order arrived on (``rules.intent.rows``), so no row carries its outcome.
"""

from __future__ import annotations

import csv
import io
import logging
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from rules.intent.features import COLUMNS, session_to_row
from rules.intent.rows import pages_before_order, training_facts
from rules.session import Session
from sdk.sitestats import SiteStatsBook

log = logging.getLogger("clickto.sdk")

HEADER = ",".join(COLUMNS)
SessionKey = tuple[str, str]


def csv_line(row: dict[str, str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([row[column] for column in COLUMNS])
    return buffer.getvalue()


class _SiteFile:
    """The append-only, bounded CSV of one site."""

    def __init__(self, path: Path, max_rows: int) -> None:
        self.path = path
        self.old_path = path.with_name(path.stem + ".old.csv")
        self.max_rows = max_rows
        self.rows = 0
        self._handle: TextIO | None = None
        if path.exists():
            with open(path, encoding="utf-8", newline="") as handle:
                header = handle.readline().strip()
                self.rows = sum(1 for line in handle if line.strip())
            if header != HEADER:   # another program's file or an older layout: keep it aside, never mix
                log.warning("%s: unexpected header; moved to %s", path, self.old_path)
                path.replace(self.old_path)
                self.rows = 0

    def append(self, line: str) -> None:
        if self.rows >= self.max_rows:
            self.close()
            self.path.replace(self.old_path)
            self.rows = 0
        if self._handle is None:
            fresh = not self.path.exists() or self.path.stat().st_size == 0
            self._handle = open(self.path, "a", encoding="utf-8", newline="")  # noqa: SIM115 (kept open)
            if fresh:
                self._handle.write(HEADER + "\n")
        self._handle.write(line)
        self._handle.flush()   # one small write per finished session: nothing waits in a buffer
        self.rows += 1

    def lines(self) -> Iterator[str]:
        """The header, then the rows of the previous and the current file."""
        yield HEADER + "\n"
        for path in (self.old_path, self.path):
            if path.exists():
                with open(path, encoding="utf-8", newline="") as handle:
                    first = handle.readline()
                    if first.strip() != HEADER:
                        continue
                    yield from (line for line in handle if line.strip())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class TrainingExport:
    """Turns finished sessions into rows for every configured site; also feeds the site statistics."""

    def __init__(self, sites: Iterable[str], folder: Path | None = None, max_rows: int = 200_000,
                 memory_rows: int = 10_000, stats: SiteStatsBook | None = None) -> None:
        if max_rows < 1 or memory_rows < 0:
            raise ValueError("the training export needs max_rows >= 1 and memory_rows >= 0")
        self.sites = list(sites)
        self.folder = Path(folder) if folder is not None else None
        self.stats = stats
        self.written = 0
        self.failures = 0
        self._memory = {site: deque(maxlen=memory_rows) for site in self.sites}
        self._flushed: OrderedDict[tuple[str, str, float], None] = OrderedDict()
        self._files: dict[str, _SiteFile] = {}
        if self.folder is not None:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise ValueError(f"export folder {self.folder}: {error.strerror or error}") from None
            if not self.folder.is_dir():
                raise ValueError(f"export folder {self.folder}: not a folder")
            for site in self.sites:
                if "/" in site or site in {".", ".."}:
                    raise ValueError(f"site key '{site}' cannot name an export file")
                try:
                    self._files[site] = _SiteFile(self.folder / f"{site}.csv", max_rows)
                except OSError as error:
                    raise ValueError(f"export file {self.folder / site}.csv: {error.strerror or error}") from None

    # ------------------------------------------------------------------ recording

    def finish(self, key: SessionKey, session: Session) -> bool:
        """Record a session that ended (the store's ``on_finish``); True when a row was written.

        Never raises: the store calls this in the middle of its own bookkeeping.
        """
        try:
            return self._record(key[0], session)
        except Exception:
            self.failures += 1
            log.exception("could not export session %s of site %s", key[1], key[0])
            return False

    def flush_live(self, sessions: Iterable[tuple[SessionKey, Session]]) -> int:
        """At shutdown: write the live sessions that had a page view; each at most once."""
        count = 0
        for (site, _), session in sessions:
            identity = (site, session.session_id, session.started_at)
            if identity in self._flushed:
                continue
            if self.finish((site, session.session_id), session):
                self._flushed[identity] = None
                count += 1
        return count

    def _record(self, site: str, session: Session) -> bool:
        if site not in self._memory or not session.pages:
            return False
        if (site, session.session_id, session.started_at) in self._flushed:
            return False   # already written by the shutdown flush
        facts = training_facts(session)   # when last seen, or when the order's page began (no outcome leak)
        if self.stats is not None:
            # the figures before this session counts, over its pages up to the order's page
            stats = self.stats.for_session(site, pages_before_order(session))
            if stats is not None:
                facts["stats"] = stats
            self.stats.add(site, session)
        line = csv_line(session_to_row(facts, ordered=bool(session.ordered)))
        self._memory[site].append(line)
        site_file = self._files.get(site)
        if site_file is not None:
            try:
                site_file.append(line)
            except OSError as error:
                self.failures += 1
                log.error("export file %s: %s (the row is kept in memory only)", site_file.path, error)
        self.written += 1
        return True

    # ------------------------------------------------------------------ reading

    def lines(self, site: str) -> Iterator[str]:
        """The CSV of a site: from its export file when there is one, else the rows kept in memory."""
        site_file = self._files.get(site)
        if site_file is not None:
            return site_file.lines()
        return iter([HEADER + "\n", *self._memory.get(site, ())])

    def status(self) -> dict[str, Any]:
        return {"folder": str(self.folder) if self.folder else None, "rows_written": self.written,
                "failures": self.failures}

    def close(self) -> None:
        for site_file in self._files.values():
            site_file.close()
