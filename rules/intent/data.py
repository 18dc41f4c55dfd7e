"""Reading training CSVs: the dataset's columns, every cell checked, errors that name file, line and column."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rules.intent.features import COLUMNS, LABEL, DataError, encode_cell


@dataclass
class Dataset:
    """Encoded rows in ``COLUMNS`` order minus the label, the label, and where they came from."""

    X: np.ndarray            # shape (n, 17), float64, columns = features.ALL_FEATURES
    y: np.ndarray            # shape (n,), int 0/1
    sources: list[dict]      # [{"path", "sha256", "rows"}] per CSV, rows in this order in X and y
    warnings: list[str] = field(default_factory=list)   # for people (the CLI prints them on stderr)
    lines: np.ndarray | None = None   # each row's line number in its file, for errors that name file:line

    def place(self, index: int) -> str:
        """``FILE:LINE`` of row ``index`` (``FILE: data row N`` when line numbers are not known)."""
        for source, rows in zip(self.sources, self.source_slices()):
            if rows.start <= index < rows.stop:
                if self.lines is not None:
                    return f"{source['path']}:{int(self.lines[index])}"
                return f"{source['path']}: data row {index - rows.start + 1}"
        raise IndexError(index)

    def source_slices(self) -> list[slice]:
        """The rows of each source in ``X``/``y``, in ``sources`` order."""
        slices, start = [], 0
        for source in self.sources:
            slices.append(slice(start, start + int(source["rows"])))
            start += int(source["rows"])
        return slices

    def select(self, features: Sequence[str]) -> np.ndarray:
        """The columns of ``X`` named by ``features``, in that order."""
        from rules.intent.features import ALL_FEATURES

        return self.X[:, [ALL_FEATURES.index(name) for name in features]]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _delimiter(header_line: str) -> str:
    """The public mirrors use ',' or ';'; pick the one that splits the header into the dataset's columns."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def read_csv(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """One CSV → (X, y). Columns may come in any order; extra columns are an error (a different dataset)."""
    X, y, _ = read_csv_lines(path)
    return X, y


def read_csv_lines(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``read_csv`` plus each row's line number in the file (blank lines are skipped, so rows and lines differ)."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a CSV file")
    if not path.is_file():
        raise DataError(f"{path}: no such file" if not path.exists() else f"{path}: not a regular file")
    reader, last_line = None, 0
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            first = handle.readline()
            if not first.strip():
                raise DataError(f"{path}:1: empty file (expected a header with the columns {', '.join(COLUMNS)})")
            handle.seek(0)
            reader = csv.reader(handle, delimiter=_delimiter(first))
            header = [name.strip() for name in next(reader)]
            missing = [name for name in COLUMNS if name not in header]
            unknown = [name for name in header if name not in COLUMNS]
            if missing or unknown:
                parts = []
                if missing:
                    parts.append(f"missing columns: {', '.join(missing)}")
                if "" in unknown:
                    parts.append("an empty column name (a delimiter at the end of the header line? remove it)")
                unknown = [name for name in unknown if name]
                if unknown:
                    parts.append(f"unknown columns: {', '.join(unknown)}")
                raise DataError(f"{path}:1: header: {'; '.join(parts)}")
            if len(set(header)) != len(header):
                raise DataError(f"{path}:1: header: a column appears twice")
            order = [header.index(name) for name in COLUMNS]
            rows: list[list[float]] = []
            lines: list[int] = []
            last_line = reader.line_num
            for row in reader:
                line, last_line = last_line + 1, reader.line_num   # where the record starts (it may span lines)
                if not row or all(not cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    runaway = " (a quote opened on this line closes lines later?)" if last_line > line else ""
                    raise DataError(f"{path}:{line}: expected {len(header)} cells, got {len(row)}{runaway}")
                encoded = []
                for column, index in zip(COLUMNS, order):
                    try:
                        encoded.append(encode_cell(column, row[index]))
                    except ValueError as error:
                        raise DataError(f"{path}:{line}: column {column}: {error}") from None
                rows.append(encoded)
                lines.append(line)
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except csv.Error as error:
        # the record that failed starts after the last one read (a runaway quote is noticed lines later)
        where = f"{path}:{last_line + 1}" if reader is not None else str(path)
        hint = " (a quote opened on this line that is never closed?)" if "field limit" in str(error) else ""
        raise DataError(f"{where}: not a readable CSV: {error}{hint}") from None
    if not rows:
        raise DataError(f"{path}: no data rows after the header")
    table = np.asarray(rows, dtype=np.float64)
    return table[:, :-1], table[:, -1].astype(np.int64), np.asarray(lines, dtype=np.int64)


def row_hashes(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A 64-bit content hash per row (blake2b of the encoded columns of ``X`` and the label, as float64): rows that
    are the same session data in those columns hash alike, whatever file or spelling they came from."""
    table = np.ascontiguousarray(np.column_stack([X, y]).astype(np.float64) + 0.0)   # + 0.0: -0.0 becomes 0.0
    raw, width = table.tobytes(), table.shape[1] * 8
    blake2b = hashlib.blake2b
    return np.fromiter((int.from_bytes(blake2b(raw[i:i + width], digest_size=8).digest(), "little")
                        for i in range(0, len(raw), width)), dtype=np.uint64, count=len(table))


def load_datasets(paths: Sequence[str | Path], *, purpose: str = "training") -> Dataset:
    """Read and concatenate several CSVs (the public data and the shop's own exported sessions).

    The same data given twice is refused (its rows would be both training and held-out rows); files that share
    rows are accepted with a warning in ``Dataset.warnings``. For ``purpose="training"`` both classes must occur.
    """
    if not paths:
        raise DataError("no data file given (use --data CSV)")
    parts_X, parts_y, parts_lines, sources = [], [], [], []
    seen: dict[str, str] = {}
    why = ("a repeated file would put the same rows in training and held-out data" if purpose == "training" else
           "a repeated file would score its rows twice")
    for path in paths:
        X, y, lines = read_csv_lines(path)
        digest = file_sha256(Path(path))
        if digest in seen:
            raise DataError(f"--data {path}: the same data as --data {seen[digest]} (sha256 {digest[:12]}…); give "
                            f"each file once ({why})")
        seen[digest] = str(path)
        parts_X.append(X)
        parts_y.append(y)
        parts_lines.append(lines)
        sources.append({"path": str(path), "sha256": digest, "rows": int(len(y))})
    X = np.concatenate(parts_X)
    y = np.concatenate(parts_y)
    if purpose == "training" and len(np.unique(y)) < 2:
        raise DataError(f"column {LABEL}: every row has the same value; training needs both buyers and non-buyers")
    dataset = Dataset(X=X, y=y, sources=sources, lines=np.concatenate(parts_lines))
    if len(sources) > 1:
        dataset.warnings += shared_row_warnings(dataset)
    return dataset


def shared_row_warnings(dataset: Dataset) -> list[str]:
    """One line per source whose rows also occur in an earlier source (same encoded values and label)."""
    warnings: list[str] = []
    earlier: set[int] = set()
    for source, rows in zip(dataset.sources, dataset.source_slices()):
        hashes = row_hashes(dataset.X[rows], dataset.y[rows])
        shared = int(sum(1 for value in hashes.tolist() if value in earlier))
        if shared:
            warnings.append(f"{source['path']}: {shared} of {source['rows']} rows also occur in an earlier --data "
                            "file; if the files overlap, such rows can land in both the training and the held-out "
                            "split and flatter the held-out metrics")
        earlier.update(hashes.tolist())
    return warnings
