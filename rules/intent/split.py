"""Which rows a model was trained on, so ``clickto evaluate`` never scores them as if they were new.

``clickto train`` writes ``split.json`` next to the model: for every training source (by sha256) a bitmap of
its held-out rows, and the sorted 64-bit content hashes (``data.row_hashes``) of the rows the model was fitted
on. ``clickto evaluate`` then scores, per ``--data`` file:

* a training source (same sha256): only its held-out rows;
* any other file: every row except those identical to a training row (a copy of the training data with one
  more newline, a file merged from it, ...), and says how many it left out.

Models written before ``split.json`` existed fall back to recomputing the split when the data is exactly the
training data; otherwise they score every row, with a warning that training rows cannot be recognised.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rules.intent.data import Dataset, row_hashes

SPLIT_FILE = "split.json"
FORMAT = "clickto-intent-split"
ROW_HASH = "blake2b-64 of 18 float64: the 17 encoded columns in ALL_FEATURES order, then the label"


class SplitError(ValueError):
    """``split.json`` is missing a part, malformed, or was changed after training."""


def _encode_bits(mask: np.ndarray) -> str:
    return base64.b64encode(np.packbits(mask.astype(np.uint8)).tobytes()).decode("ascii")


def _decode_bits(text: str, rows: int) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(base64.b64decode(text, validate=True), dtype=np.uint8))
    if len(bits) < rows:
        raise SplitError(f"held-out bitmap has {len(bits)} bits for {rows} rows")
    return bits[:rows].astype(bool)


def split_document(dataset: Dataset, train_index: np.ndarray, test_index: np.ndarray) -> dict[str, Any]:
    """The JSON-ready record of a training run's split (see the module docstring)."""
    held_out = np.zeros(len(dataset.y), dtype=bool)
    held_out[test_index] = True
    sources = [{"sha256": source["sha256"], "rows": int(source["rows"]), "held_out": _encode_bits(held_out[rows])}
               for source, rows in zip(dataset.sources, dataset.source_slices())]
    fitted = np.unique(row_hashes(dataset.X[train_index], dataset.y[train_index]))
    return {"format": FORMAT, "version": 1, "row_hash": ROW_HASH, "sources": sources,
            "training_rows": {"count": len(fitted),
                              "hashes": base64.b64encode(fitted.astype("<u8").tobytes()).decode("ascii")}}


def split_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


@dataclass
class Split:
    """A loaded ``split.json``: held-out masks per source sha256 and the fitted rows' hashes."""

    held_out: dict[str, np.ndarray]
    training_hashes: np.ndarray            # sorted uint64


def load_split(model_dir: Path, metadata: dict[str, Any]) -> Split | None:
    """The model's split, None for a model trained before split files existed. Raises SplitError when broken."""
    path = Path(model_dir) / SPLIT_FILE
    if not path.is_file():
        return None
    raw = path.read_bytes()
    expected = metadata.get("split_sha256")
    if expected is not None and hashlib.sha256(raw).hexdigest() != expected:
        raise SplitError(f"{path}: sha256 does not match metadata.json (changed after training)")
    try:
        document = json.loads(raw)
        if document.get("format") != FORMAT or document.get("row_hash") != ROW_HASH:
            raise SplitError(f"{path}: not a {FORMAT} file with row hash {ROW_HASH!r}")
        held_out = {source["sha256"]: _decode_bits(source["held_out"], int(source["rows"]))
                    for source in document["sources"]}
        hashes = np.frombuffer(base64.b64decode(document["training_rows"]["hashes"], validate=True), dtype="<u8")
    except SplitError:
        raise
    except (ValueError, KeyError, TypeError) as error:
        raise SplitError(f"{path}: malformed ({error})") from None
    return Split(held_out=held_out, training_hashes=np.sort(hashes.astype(np.uint64)))


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
    """Per source: held-out rows of a training source, else rows not identical to a training row."""
    mask = np.ones(len(dataset.y), dtype=bool)
    selection = Selection(mask=mask)
    trained = [source.get("sha256") for source in metadata.get("training_data") or [] if isinstance(source, dict)]
    test_size = float((metadata.get("split") or {}).get("test_size") or 0)
    legacy_mask = None
    if split is None and not all_rows and [s["sha256"] for s in dataset.sources] == trained and test_size > 0:
        legacy_mask = _recomputed_held_out(dataset, metadata)
    for source, rows in zip(dataset.sources, dataset.source_slices()):
        entry = {"path": source["path"], "rows": source["rows"]}
        sha = source["sha256"]
        if all_rows:
            entry["scored"] = "all"
        elif sha in trained:
            if test_size <= 0:
                raise SplitError(f"{source['path']} is training data of the model and the model had no held-out "
                                 "split (--test-size 0); evaluate on other data, or pass --all-rows knowingly")
            if split is not None and sha in split.held_out:
                mask[rows] = split.held_out[sha]
            elif legacy_mask is not None:
                mask[rows] = legacy_mask[rows]
            else:
                raise SplitError(f"{source['path']} is training data of the model, whose held-out rows are not "
                                 f"recorded (no {SPLIT_FILE}; give exactly the training files, in training order, "
                                 "or retrain); --all-rows scores every row knowingly")
            entry["scored"] = "held-out"
            selection.notes.append(f"{source['path']}: training data of the model: scoring its "
                                   f"{int(mask[rows].sum())} held-out rows of {source['rows']}")
        elif split is not None:
            hashes = row_hashes(dataset.X[rows], dataset.y[rows])
            known = _contains(split.training_hashes, hashes)
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


def _contains(sorted_hashes: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    if not len(sorted_hashes):
        return np.zeros(len(hashes), dtype=bool)
    positions = np.clip(np.searchsorted(sorted_hashes, hashes), 0, len(sorted_hashes) - 1)
    return sorted_hashes[positions] == hashes


def _recomputed_held_out(dataset: Dataset, metadata: dict[str, Any]) -> np.ndarray:
    """The held-out rows of a model without ``split.json``, given exactly its training data (same split call)."""
    from sklearn.model_selection import train_test_split

    split = metadata.get("split") or {}
    _, test_index = train_test_split(np.arange(len(dataset.y)), test_size=float(split["test_size"]),
                                     stratify=dataset.y, random_state=int(split.get("seed", 0)))
    mask = np.zeros(len(dataset.y), dtype=bool)
    mask[test_index] = True
    return mask
