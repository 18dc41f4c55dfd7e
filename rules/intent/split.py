"""Which rows a model was trained on, so ``clickto evaluate`` never scores them as if they were new.

``clickto train`` writes ``split.json`` next to the model, and its sha256 into ``metadata.json``: for every
training source (by sha256) a bitmap of its held-out rows, and the sorted 64-bit content hashes
(``data.row_hashes`` of the model's own columns and the label, named in ``columns``) of the rows the model was
fitted on. Hashing only what the model reads means a file that differs in columns the model ignores (rounded
BounceRates for a ``live`` model) still has its training rows recognised. ``clickto evaluate`` then scores,
per ``--data`` file:

* exactly the training files: the recorded held-out rows, so the recorded metrics are reproduced; it says how
  many of them are identical to fitted rows (identical sessions recur: one-page visits of the same month ...);
* a training source given alone or with other files: its held-out rows, minus those identical to a fitted row
  (a file made half of copies of another training file), and says how many it left out;
* any other file: every row except those identical to a fitted row (a copy of the training data with one
  more newline, a file merged from it, ...), and says how many it left out.

Models written before ``split.json`` existed fall back to recomputing the split when the data is exactly the
training data; otherwise they score every row, with a warning that training rows cannot be recognised.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rules.intent.data import Dataset, row_hashes
from rules.intent.features import ALL_FEATURES, LABEL

SPLIT_FILE = "split.json"
FORMAT = "clickto-intent-split"
VERSION = 2
ROW_HASH = "blake2b-64 of float64 values: the encoded columns named in 'columns', in that order (the label last)"
ROW_HASH_V1 = "blake2b-64 of 18 float64: the 17 encoded columns in ALL_FEATURES order, then the label"
"""Version 1 files (hashes of every column) are still read."""


class SplitError(ValueError):
    """``split.json`` is missing a part, malformed, or was changed after training."""


def _encode_bits(mask: np.ndarray) -> str:
    return base64.b64encode(np.packbits(mask.astype(np.uint8)).tobytes()).decode("ascii")


def _decode_bits(text: str, rows: int) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(base64.b64decode(text, validate=True), dtype=np.uint8))
    if len(bits) < rows:
        raise SplitError(f"held-out bitmap has {len(bits)} bits for {rows} rows")
    return bits[:rows].astype(bool)


def class_counts(y: np.ndarray) -> str:
    """``3 buyers, 1 non-buyer``: the two classes of ``y`` (Revenue), counted for messages."""
    buyers = int(np.sum(y))
    others = len(y) - buyers
    return f"{buyers} buyer{'s' * (buyers != 1)}, {others} non-buyer{'s' * (others != 1)}"


def split_indices(y: np.ndarray, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, held-out rows): the one stratified split call of ``clickto train``, reused wherever the
    split must be recomputed, so both always agree."""
    if test_size <= 0:
        return np.arange(len(y)), np.arange(0)
    from sklearn.model_selection import train_test_split

    try:
        train_index, test_index = train_test_split(np.arange(len(y)), test_size=test_size, stratify=y,
                                                   random_state=seed)
    except ValueError as error:   # scikit-learn's words alone name neither the counts nor the option
        raise ValueError(f"cannot hold out {test_size:g} of {len(y)} rows ({class_counts(y)}) "
                         "with buyers and non-buyers in both parts: add rows, or change --test-size "
                         f"(0 trains on every row and evaluates none) [scikit-learn: {str(error).rstrip('.')}]") from None
    return train_index, test_index


def split_document(dataset: Dataset, features: Sequence[str], train_index: np.ndarray,
                   test_index: np.ndarray) -> dict[str, Any]:
    """The JSON-ready record of a training run's split (see the module docstring)."""
    held_out = np.zeros(len(dataset.y), dtype=bool)
    held_out[test_index] = True
    sources = [{"sha256": source["sha256"], "rows": int(source["rows"]), "held_out": _encode_bits(held_out[rows])}
               for source, rows in zip(dataset.sources, dataset.source_slices())]
    fitted = np.unique(row_hashes(dataset.select(features)[train_index], dataset.y[train_index]))
    return {"format": FORMAT, "version": VERSION, "row_hash": ROW_HASH, "columns": [*features, LABEL],
            "sources": sources,
            "training_rows": {"count": len(fitted),
                              "hashes": base64.b64encode(fitted.astype("<u8").tobytes()).decode("ascii")}}


def split_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


@dataclass
class Split:
    """A loaded ``split.json``: held-out masks per source sha256, the fitted rows' hashes and the columns hashed."""

    held_out: dict[str, np.ndarray]
    training_hashes: np.ndarray            # sorted uint64
    columns: tuple[str, ...] = ALL_FEATURES   # features hashed with the label (version 1: every column)

    def hashes(self, dataset: Dataset, rows: slice) -> np.ndarray:
        """The row hashes of ``dataset[rows]`` comparable with ``training_hashes``."""
        return row_hashes(dataset.select(self.columns)[rows], dataset.y[rows])

    def fitted(self, dataset: Dataset, rows: slice) -> np.ndarray:
        """Which of ``dataset[rows]`` are identical (in the hashed columns) to a row the model was fitted on."""
        return _contains(self.training_hashes, self.hashes(dataset, rows))


def load_split(model_dir: Path, metadata: dict[str, Any]) -> Split | None:
    """The model's split, None for a model trained before split files existed. Raises SplitError when the file is
    not the one training wrote (no or another sha256 in metadata.json) or disagrees with the metadata."""
    path = Path(model_dir) / SPLIT_FILE
    if not path.is_file():
        return None
    raw = path.read_bytes()
    expected = metadata.get("split_sha256")
    if not isinstance(expected, str):
        raise SplitError(f"{path}: metadata.json records no split_sha256, so this file cannot be told from one "
                         f"written or changed after training; retrain the model (or delete {SPLIT_FILE} to "
                         "evaluate it as a model whose training rows are not recorded)")
    if hashlib.sha256(raw).hexdigest() != expected.lower():
        raise SplitError(f"{path}: sha256 does not match metadata.json (changed after training)")
    try:
        document = json.loads(raw)
        columns = _hashed_columns(path, document)
        held_out = {source["sha256"]: _decode_bits(source["held_out"], int(source["rows"]))
                    for source in document["sources"]}
        rows = {source["sha256"]: int(source["rows"]) for source in document["sources"]}
        hashes = np.frombuffer(base64.b64decode(document["training_rows"]["hashes"], validate=True), dtype="<u8")
        count = int(document["training_rows"]["count"])
    except SplitError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise SplitError(f"{path}: malformed ({error})") from None
    _check_against_metadata(path, metadata, held_out, rows, count, len(hashes))
    return Split(held_out=held_out, training_hashes=np.sort(hashes.astype(np.uint64)), columns=columns)


def _hashed_columns(path: Path, document: Any) -> tuple[str, ...]:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SplitError(f"{path}: not a {FORMAT} file")
    if document.get("version") == 1 and document.get("row_hash") == ROW_HASH_V1:
        return ALL_FEATURES
    if document.get("version") != VERSION or document.get("row_hash") != ROW_HASH:
        raise SplitError(f"{path}: version {document.get('version')!r} with row hash {document.get('row_hash')!r} "
                         f"is not one this clickto reads (version {VERSION}: {ROW_HASH!r})")
    columns = document.get("columns")
    if (not isinstance(columns, list) or len(columns) < 2 or columns[-1] != LABEL
            or any(name not in ALL_FEATURES for name in columns[:-1]) or len(set(columns)) != len(columns)):
        raise SplitError(f"{path}: columns must list dataset columns once each, the label {LABEL} last")
    return tuple(columns[:-1])


def _check_against_metadata(path: Path, metadata: dict[str, Any], held_out: dict[str, np.ndarray],
                            rows: dict[str, int], count: int, hashes: int) -> None:
    """The split must describe the training recorded in metadata.json: same files, same held-out row count."""
    trained = {source.get("sha256"): source.get("rows") for source in metadata.get("training_data") or []
               if isinstance(source, dict)}
    if rows != trained:
        raise SplitError(f"{path}: its training files (sha256 and rows) differ from metadata.json's training_data")
    recorded = (metadata.get("split") or {}).get("test_rows")
    marked = int(sum(int(mask.sum()) for mask in held_out.values()))
    if not isinstance(recorded, int) or marked != recorded:
        raise SplitError(f"{path}: marks {marked} held-out rows, metadata.json records {recorded} "
                         "(split.test_rows); the split file is not the one training wrote")
    if count != hashes:
        raise SplitError(f"{path}: training_rows.count is {count} but it holds {hashes} hashes")


@dataclass
class Selection:
    """The rows ``clickto evaluate`` scores, and what it says about each file."""

    mask: np.ndarray
    sources: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """``held-out`` (only training sources, their held-out rows), ``all``, or ``new`` (training rows left out)."""
        if self.sources and all(source["scored"] == "held-out" for source in self.sources):
            return "held-out"
        return "all" if all(source["scored"] == "all" for source in self.sources) else "new"


def select_rows(dataset: Dataset, metadata: dict[str, Any], split: Split | None, all_rows: bool) -> Selection:
    """Per source: held-out rows of a training source, else rows not identical to a training row (module doc)."""
    mask = np.ones(len(dataset.y), dtype=bool)
    selection = Selection(mask=mask)
    trained = [source.get("sha256") for source in metadata.get("training_data") or [] if isinstance(source, dict)]
    exactly_training = [s["sha256"] for s in dataset.sources] == trained
    test_size = float((metadata.get("split") or {}).get("test_size") or 0)
    legacy_mask = None
    if split is None and not all_rows and exactly_training and test_size > 0:
        legacy_mask = _recomputed_held_out(dataset, metadata)
    for source, rows in zip(dataset.sources, dataset.source_slices()):
        entry: dict[str, Any] = {"path": source["path"], "rows": source["rows"]}
        sha = source["sha256"]
        if all_rows:
            entry["scored"] = "all"
        elif sha in trained:
            if test_size <= 0:
                raise SplitError(f"{source['path']} is training data of the model and the model had no held-out "
                                 "split (--test-size 0); evaluate on other data, or pass --all-rows knowingly")
            entry["scored"] = "held-out"
            if split is not None and sha in split.held_out:
                held = split.held_out[sha]
                copies = held & split.fitted(dataset, rows)
                mask[rows] = held if exactly_training else held & ~copies
                entry["held_out_rows"] = int(held.sum())
                entry["held_out_rows_identical_to_fitted_rows"] = int(copies.sum())
                selection.notes.append(_held_out_note(source, entry, exactly_training))
            elif legacy_mask is not None:
                mask[rows] = legacy_mask[rows]
                selection.notes.append(f"{source['path']}: training data of the model: scoring its "
                                       f"{int(mask[rows].sum())} held-out rows of {source['rows']}")
            else:
                raise SplitError(f"{source['path']} is training data of the model, whose held-out rows are not "
                                 f"recorded (no {SPLIT_FILE}; give exactly the training files, in training order, "
                                 "or retrain); --all-rows scores every row knowingly")
        elif split is not None:
            known = split.fitted(dataset, rows)
            mask[rows] = ~known
            excluded = int(known.sum())
            entry["scored"] = "new" if excluded else "all"
            if excluded:
                selection.notes.append(f"{source['path']}: left out {excluded} of {source['rows']} rows identical "
                                       "to rows the model was trained on")
        else:
            entry["scored"] = "all"
            selection.notes.append(f"{source['path']}: this model has no {SPLIT_FILE} (trained by an older clickto): "
                                   "rows it was trained on cannot be recognised and are scored too")
        entry["scored_rows"] = int(mask[rows].sum())
        entry["excluded_training_rows"] = source["rows"] - entry["scored_rows"]
        selection.sources.append(entry)
    return selection


def _held_out_note(source: dict[str, Any], entry: dict[str, Any], exactly_training: bool) -> str:
    held, copies = entry["held_out_rows"], entry["held_out_rows_identical_to_fitted_rows"]
    head = f"{source['path']}: training data of the model: "
    if not copies:
        return head + f"scoring its {held} held-out rows of {source['rows']}"
    if exactly_training:
        return head + (f"scoring its {held} held-out rows of {source['rows']}; {copies} of them are identical to "
                       "rows the model was trained on (kept: exactly the training files, scored as in the "
                       "recorded held-out metrics)")
    return head + (f"scoring {held - copies} of its {held} held-out rows ({copies} left out: identical to rows "
                   "the model was trained on)")


def _contains(sorted_hashes: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    if not len(sorted_hashes):
        return np.zeros(len(hashes), dtype=bool)
    positions = np.clip(np.searchsorted(sorted_hashes, hashes), 0, len(sorted_hashes) - 1)
    return sorted_hashes[positions] == hashes


def _recomputed_held_out(dataset: Dataset, metadata: dict[str, Any]) -> np.ndarray:
    """The held-out rows of a model without ``split.json``, given exactly its training data (same split call)."""
    split = metadata.get("split") or {}
    _, test_index = split_indices(dataset.y, float(split["test_size"]), int(split.get("seed", 0)))
    mask = np.zeros(len(dataset.y), dtype=bool)
    mask[test_index] = True
    return mask
