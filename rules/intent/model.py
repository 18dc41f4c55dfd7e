"""Loading and scoring an exported intent model: plain JSON numbers, checked, evaluated in pure Python.

Why not pickle/joblib: unpickling runs code chosen by whoever wrote the file. A model directory here holds
``model.json`` (the fitted pipeline's numbers: one-hot tables, scaler, coefficients or trees, calibration) and
``metadata.json`` (features, training data hashes, metrics, versions, and the sha256 of ``model.json``).
The loader checks the hash, the format and the feature list, then builds the evaluator itself.

Trees are turned into one Python function of nested ``if x[i] <= t`` tests, generated here from the
validated numbers only (every value passes through ``int()``/``float()`` and is written with ``repr``), so
no text from the file ever reaches the compiler. That is what makes one score cost microseconds.
"""

from __future__ import annotations

import hashlib
import json
import math
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rules.intent.features import ALL_FEATURES, FEATURE_SETS, NO_LIVE_SOURCE, fact_paths, facts_to_values

FORMAT = "clickto-intent-model"
FORMAT_VERSION = 1
MODEL_FILE = "model.json"
METADATA_FILE = "metadata.json"
MAX_TREE_DEPTH = 60
MAX_NODES = 2_000_000


class ModelError(ValueError):
    """A model that cannot be used: missing, malformed, tampered with, or made for other features."""


# --------------------------------------------------------------------------- checked JSON access

class _Reader:
    """Typed access to a parsed JSON object; every failure names the field (``estimator.trees[3].left``)."""

    def __init__(self, source: str, data: Any, where: str = "") -> None:
        self.source, self.data, self.where = source, data, where

    def fail(self, message: str, field: str | None = None) -> ModelError:
        place = ".".join(part for part in (self.where, field) if part)
        return ModelError(f"{self.source}: {place + ': ' if place else ''}{message}")

    def _get(self, field: str) -> Any:
        if not isinstance(self.data, dict):
            raise self.fail("expected a JSON object")
        if field not in self.data:
            raise self.fail("missing", field)
        return self.data[field]

    def child(self, field: str) -> "_Reader":
        value = self._get(field)
        if not isinstance(value, dict):
            raise self.fail("expected a JSON object", field)
        return _Reader(self.source, value, f"{self.where}.{field}" if self.where else field)

    def str(self, field: str) -> str:
        value = self._get(field)
        if not isinstance(value, str):
            raise self.fail("expected a string", field)
        return value

    def number(self, field: str) -> float:
        return _finite(self._get(field), lambda message: self.fail(message, field))

    def numbers(self, field: str) -> list[float]:
        value = self._get(field)
        if not isinstance(value, list):
            raise self.fail("expected a list of numbers", field)
        return [_finite(item, lambda message, i=i: self.fail(message, f"{field}[{i}]")) for i, item in enumerate(value)]

    def ints(self, field: str, low: int, high: int) -> list[int]:
        value = self._get(field)
        if not isinstance(value, list):
            raise self.fail("expected a list of integers", field)
        result = []
        for i, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
                raise self.fail(f"expected an integer from {low} to {high}, got {item!r}", f"{field}[{i}]")
            result.append(int(item))
        return result

    def strings(self, field: str) -> list[str]:
        value = self._get(field)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail("expected a list of strings", field)
        return list(value)

    def items(self, field: str) -> list["_Reader"]:
        value = self._get(field)
        if not isinstance(value, list):
            raise self.fail("expected a list", field)
        base = f"{self.where}.{field}" if self.where else field
        return [_Reader(self.source, item, f"{base}[{i}]") for i, item in enumerate(value)]


def _finite(value: Any, fail: Callable[[str], ModelError]) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise fail(f"expected a finite number, got {value!r}")
    return float(value)


def _read_json(path: Path) -> tuple[bytes, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{path}: no such file") from None
    except OSError as error:
        raise ModelError(f"{path}: cannot read: {error.strerror or error}") from None
    try:
        return raw, json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise ModelError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise ModelError(f"{path}:{error.lineno}:{error.colno}: malformed JSON: {error.msg}") from None
    except ValueError as error:
        raise ModelError(f"{path}: malformed JSON: {error}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


# --------------------------------------------------------------------------- evaluators

def _sigmoid_calibration(a: float, b: float) -> Callable[[float], float]:
    """sklearn's ``_SigmoidCalibration.predict``: expit(-(a*t + b))."""
    def calibrate(t: float) -> float:
        z = a * t + b
        if z >= 0.0:
            if z > 700.0:
                return 0.0
            e = math.exp(-z)
            return e / (1.0 + e)
        return 1.0 / (1.0 + math.exp(z))
    return calibrate


def _isotonic_calibration(xs: list[float], ys: list[float]) -> Callable[[float], float]:
    """sklearn's ``IsotonicRegression.predict`` with out_of_bounds="clip": linear interpolation."""
    low, high, last = xs[0], xs[-1], len(xs) - 1

    def calibrate(t: float) -> float:
        if t <= low:
            return ys[0]
        if t >= high:
            return ys[-1]
        j = bisect_right(xs, t) - 1
        if j >= last:
            return ys[-1]
        x0, x1 = xs[j], xs[j + 1]
        if x1 == x0:
            return ys[j + 1]
        return ys[j] + (ys[j + 1] - ys[j]) * ((t - x0) / (x1 - x0))
    return calibrate


def _linear_evaluator(pre: _Reader, est: _Reader, n_features: int) -> Callable[[Sequence[float]], float]:
    """One-hot + log1p/standard-scaled numbers → logistic regression's decision function."""
    onehot: list[tuple[int, dict[float, int]]] = []
    scaled: list[tuple[int, bool, float, float]] = []
    width = 0
    for item in pre.items("onehot"):
        feature = item.ints("feature", 0, n_features - 1)
        categories = item.numbers("categories")
        if len(feature) != 1 or not categories:
            raise item.fail("expected one feature index and at least one category")
        onehot.append((feature[0], {value: width + i for i, value in enumerate(categories)}))
        width += len(categories)
    numeric_start = width
    for item in pre.items("scaled"):
        feature = item.ints("feature", 0, n_features - 1)
        log = item.ints("log1p", 0, 1)
        mean, scale = item.number("mean"), item.number("scale")
        if len(feature) != 1 or len(log) != 1 or scale == 0.0:
            raise item.fail("expected one feature index, log1p 0 or 1, and a non-zero scale")
        scaled.append((feature[0], bool(log[0]), mean, scale))
        width += 1
    coef = est.numbers("coef")
    intercept = est.number("intercept")
    if len(coef) != width:
        raise est.fail(f"expected {width} coefficients for the encoded columns, got {len(coef)}", "coef")
    onehot_terms = [(feature, {value: coef[index] for value, index in table.items()}) for feature, table in onehot]
    numeric_terms = [(feature, log, mean, scale, coef[numeric_start + i])
                     for i, (feature, log, mean, scale) in enumerate(scaled)]
    log1p = math.log1p

    def decision(x: Sequence[float]) -> float:
        z = intercept
        for feature, weights in onehot_terms:
            z += weights.get(x[feature], 0.0)
        for feature, log, mean, scale, weight in numeric_terms:
            value = x[feature]
            z += weight * (((log1p(value) if log else value) - mean) / scale)
        return z
    return decision


def _tree_evaluator(est: _Reader, n_features: int) -> Callable[[Sequence[float]], float]:
    """Gradient-boosted trees → baseline + the sum of one leaf per tree, as generated nested ``if`` code."""
    baseline = est.number("baseline")
    lines = ["def raw(x):", f"    s = {baseline!r}"]
    total = 0
    for tree in est.items("trees"):
        feature = tree.ints("feature", 0, n_features - 1)
        size = len(feature)
        total += size
        if size == 0 or total > MAX_NODES:
            raise tree.fail("a tree needs at least one node" if size == 0 else "too many nodes")
        threshold = tree.numbers("threshold")
        left = tree.ints("left", 0, size - 1)
        right = tree.ints("right", 0, size - 1)
        value = tree.numbers("value")
        leaf = tree.ints("leaf", 0, 1)
        missing_left = tree.ints("missing_left", 0, 1)
        if {len(threshold), len(left), len(right), len(value), len(leaf), len(missing_left)} != {size}:
            raise tree.fail(f"feature, threshold, left, right, value, leaf, missing_left must all have {size} entries")
        _emit_tree(tree, lines, feature, threshold, left, right, value, leaf, missing_left)
    lines.append("    return s")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), "<clickto intent trees>", "exec"), {"__builtins__": {}}, namespace)
    return namespace["raw"]


def _emit_tree(tree: _Reader, lines: list[str], feature: list[int], threshold: list[float], left: list[int],
               right: list[int], value: list[float], leaf: list[int], missing_left: list[int]) -> None:
    """Append one tree as nested ifs; children must come after their parent (no cycles), depth is capped."""
    stack: list[tuple[int, int, str]] = [(0, 1, "")]
    seen: set[int] = set()
    while stack:
        node, depth, prefix = stack.pop()
        if node in seen:
            raise tree.fail(f"node {node} is the child of two parents")
        seen.add(node)
        if depth > MAX_TREE_DEPTH:
            raise tree.fail(f"deeper than {MAX_TREE_DEPTH} levels")
        pad = "    " * depth
        if prefix:
            lines.append("    " * (depth - 1) + prefix)
        if leaf[node]:
            lines.append(f"{pad}s += {float(value[node])!r}")
            continue
        low, high = left[node], right[node]
        if low <= node or high <= node:
            raise tree.fail(f"node {node}: children must come after their parent")
        test = f"not x[{int(feature[node])}] > {float(threshold[node])!r}" if missing_left[node] else \
            f"x[{int(feature[node])}] <= {float(threshold[node])!r}"
        lines.append(f"{pad}if {test}:")
        stack.append((high, depth + 1, "else:"))
        stack.append((low, depth + 1, ""))


# --------------------------------------------------------------------------- the model

class IntentModel:
    """A loaded purchase-intent model: ``score(facts)`` is the calibrated chance (0..1) the session buys."""

    def __init__(self, name: str, feature_set: str, features: Sequence[str], defaults: Mapping[str, float],
                 threshold: float, decision: Callable[[Sequence[float]], float],
                 calibrate: Callable[[float], float], metadata: Mapping[str, Any], path: Path | None = None) -> None:
        self.name = name
        self.feature_set = feature_set
        self.features: tuple[str, ...] = tuple(features)
        self.own_codes = feature_set == "own"    # device and traffic source in clickto's own codes
        self.fact_paths: tuple[str, ...] = fact_paths(self.features, self.own_codes)   # what score(facts) reads
        self.defaults = dict(defaults)
        self.threshold = threshold
        self.metadata = dict(metadata)
        self.path = path
        self._decision = decision
        self._calibrate = calibrate

    def __repr__(self) -> str:
        return f"IntentModel({self.name!r}, features={self.feature_set!r}, path={str(self.path)!r})"

    def row(self, facts: Mapping[str, Any]) -> list[float]:
        """The encoded feature row for nested session facts (see docs/intent.md for the mapping)."""
        values = facts_to_values(facts, self.defaults, self.own_codes)
        return [values[name] for name in self.features]

    def score(self, facts: Mapping[str, Any]) -> float:
        return self.score_row(self.row(facts))

    def score_row(self, row: Sequence[float]) -> float:
        """Probability of a purchase for one already-encoded row (features in ``self.features`` order)."""
        if len(row) != len(self.features):
            raise ValueError(f"expected {len(self.features)} values ({', '.join(self.features)}), got {len(row)}")
        p = self._calibrate(self._decision(row))
        return 1.0 if p > 1.0 else (0.0 if p < 0.0 else p)

    def score_rows(self, X: Any) -> list[float]:
        """Probabilities for many encoded rows (a list of rows or a 2-D numpy array)."""
        rows = X.tolist() if hasattr(X, "tolist") else X
        return [self.score_row(row) for row in rows]


def _resolve(path: str | Path) -> tuple[Path, Path]:
    """A model directory, its model.json or its metadata.json → (model file, metadata file)."""
    path = Path(path)
    if path.is_dir():
        return path / MODEL_FILE, path / METADATA_FILE
    if path.name == METADATA_FILE:
        return path.with_name(MODEL_FILE), path
    if path.name == MODEL_FILE:
        return path, path.with_name(METADATA_FILE)
    if path.exists():   # split.json, a CSV ...: say so, rather than report a missing metadata file or a bad hash
        raise ModelError(f"{path}: not a model (expected the folder 'clickto train --out DIR' wrote, or its "
                         f"{MODEL_FILE} or {METADATA_FILE})")
    raise ModelError(f"{path}: no such model directory or file (expected a folder holding {MODEL_FILE} and "
                     f"{METADATA_FILE}, as written by 'clickto train --out DIR')")


def load_score_model(path: str | Path) -> IntentModel:
    """Load, verify and compile a model written by ``clickto train``. Raises ModelError on any problem."""
    model_path, metadata_path = _resolve(path)
    _, metadata = _read_json(metadata_path)
    meta = _Reader(str(metadata_path), metadata)
    expected_hash = meta.str("model_sha256").lower()
    raw, document = _read_json(model_path)
    actual_hash = hashlib.sha256(raw).hexdigest()
    if actual_hash != expected_hash:
        raise ModelError(f"{model_path}: sha256 {actual_hash} does not match {expected_hash} recorded in "
                         f"{metadata_path.name}: the model file was changed after training; retrain it")
    model = _Reader(str(model_path), document)
    if model.str("format") != FORMAT:
        raise model.fail(f"not a clickto intent model (format must be {FORMAT!r})", "format")
    version = model.number("version")
    if version != FORMAT_VERSION:
        raise model.fail(f"format version {version:g} is not supported (this clickto reads {FORMAT_VERSION})",
                         "version")
    feature_set = model.str("feature_set")
    if feature_set not in FEATURE_SETS:
        raise model.fail(f"unknown feature set {feature_set!r} (expected one of {', '.join(FEATURE_SETS)})",
                         "feature_set")
    features = model.strings("features")
    expected = list(FEATURE_SETS[feature_set])
    if features != expected:
        raise model.fail(f"feature list {features} does not match what this clickto computes for "
                         f"{feature_set!r}: {expected}; retrain the model with 'clickto train'", "features")
    if meta.strings("features") != features:
        raise meta.fail("feature list differs from the one in the model file", "features")
    defaults_reader = model.child("defaults")
    defaults = {name: defaults_reader.number(name) for name in NO_LIVE_SOURCE + ("BounceRates", "ExitRates",
                                                                              "PageValues", "Month")
                if name in ALL_FEATURES}
    threshold = model.number("threshold")
    if not 0.0 <= threshold <= 1.0:
        raise model.fail("must be between 0 and 1", "threshold")
    estimator = model.child("estimator")
    kind = estimator.str("kind")
    if kind == "logistic":
        decision = _linear_evaluator(model.child("preprocess"), estimator, len(features))
    elif kind == "gradient_boosting":
        decision = _tree_evaluator(estimator, len(features))
    else:
        raise estimator.fail(f"unknown estimator kind {kind!r} (expected logistic or gradient_boosting)", "kind")
    calibration = model.child("calibration")
    method = calibration.str("kind")
    if method == "sigmoid":
        calibrate = _sigmoid_calibration(calibration.number("a"), calibration.number("b"))
    elif method == "isotonic":
        xs, ys = calibration.numbers("x"), calibration.numbers("y")
        if not xs or len(xs) != len(ys) or any(b < a for a, b in zip(xs, xs[1:])):
            raise calibration.fail("x and y must be non-empty, of equal length, x ascending")
        calibrate = _isotonic_calibration(xs, ys)
    else:
        raise calibration.fail(f"unknown calibration {method!r} (expected sigmoid or isotonic)", "kind")
    return IntentModel(name=model.str("name"), feature_set=feature_set, features=features, defaults=defaults,
                       threshold=threshold, decision=decision, calibrate=calibrate, metadata=metadata,
                       path=model_path.parent)
