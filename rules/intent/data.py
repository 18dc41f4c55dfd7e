"""Reading training CSVs: the dataset's columns, every cell checked, errors that name file, line and column."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rules.intent.features import COLUMNS, LABEL, DataError, encode_cell



@dataclass
class Dataset:
    """Encoded rows in ``COLUMNS`` order minus the label, the label, and where they came from."""

    X: np.ndarray            # shape (n, 17), float64, columns = features.ALL_FEATURES
    y: np.ndarray            # shape (n,), int 0/1
    sources: list[dict]      # [{"path", "sha256", "rows"}] per CSV

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
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
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
                if unknown:
                    parts.append(f"unknown columns: {', '.join(unknown)}")
                raise DataError(f"{path}:1: header: {'; '.join(parts)}")
            if len(set(header)) != len(header):
                raise DataError(f"{path}:1: header: a column appears twice")
            order = [header.index(name) for name in COLUMNS]
            rows: list[list[float]] = []
            for row in reader:
                line = reader.line_num
                if not row or all(not cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise DataError(f"{path}:{line}: expected {len(header)} cells, got {len(row)}")
                encoded = []
                for column, index in zip(COLUMNS, order):
                    try:
                        encoded.append(encode_cell(column, row[index]))
                    except ValueError as error:
                        raise DataError(f"{path}:{line}: column {column}: {error}") from None
                rows.append(encoded)
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except csv.Error as error:
        raise DataError(f"{path}: not a readable CSV: {error}") from None
    if not rows:
        raise DataError(f"{path}: no data rows after the header")
    table = np.asarray(rows, dtype=np.float64)
    return table[:, :-1], table[:, -1].astype(np.int64)


def load_datasets(paths: Sequence[str | Path]) -> Dataset:
    """Read and concatenate several CSVs (the public data and the shop's own exported sessions)."""
    if not paths:
        raise DataError("no data file given (use --data CSV)")
    parts_X, parts_y, sources = [], [], []
    for path in paths:
        X, y = read_csv(path)
        parts_X.append(X)
        parts_y.append(y)
        sources.append({"path": str(path), "sha256": file_sha256(Path(path)), "rows": int(len(y))})
    X = np.concatenate(parts_X)
    y = np.concatenate(parts_y)
    if len(np.unique(y)) < 2:
        raise DataError(f"column {LABEL}: every row has the same value; training needs both buyers and non-buyers")
    return Dataset(X=X, y=y, sources=sources)
