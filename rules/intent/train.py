"""Training: pick the estimator by stratified cross-validation, calibrate it, evaluate on a held-out split.

The candidates are scikit-learn pipelines small enough to export and score in microseconds: a logistic
regression on one-hot categories and log-scaled counts, and two gradient-boosting shapes with fewer leaves
than sklearn's default 31 (they generalise better on this noisy, 15 %-positive data, and score faster). The winner by
mean fold ROC AUC is wrapped in ``CalibratedClassifierCV(ensemble=False)`` with the same folds, so its
probability reads as "chance this session buys"; the decision threshold is the F1-best one on the
out-of-fold calibrated scores, so the held-out split never influences any choice.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import scipy
import sklearn
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from rules.intent.data import Dataset
from rules.intent.export import export_model
from rules.intent.features import (ALL_FEATURES, FEATURE_SETS, NO_LIVE_SOURCE, OWN_CODE_BASE, OWN_CODES, STATS_FACTS,
                                   DataError)
from rules.intent.metrics import best_f1_threshold, score_metrics
from rules.intent.model import METADATA_FILE, MODEL_FILE, load_score_model
from rules.intent.split import SPLIT_FILE, class_counts, split_bytes, split_document, split_indices

CATEGORICAL = ("Month", "VisitorType", "OperatingSystems", "Browser", "Region", "TrafficType")
"""Coded columns: one-hot for the linear model; trees split on the codes as ordinal numbers."""
EXPORT_TOLERANCE = 1e-6


def logistic_pipeline(features: Sequence[str]) -> Pipeline:
    categorical = [i for i, name in enumerate(features) if name in CATEGORICAL]
    numeric = [i for i, name in enumerate(features) if name not in CATEGORICAL]
    encode = ColumnTransformer([
        ("onehot", OneHotEncoder(handle_unknown="ignore"), categorical),
        ("numeric", Pipeline([("log1p", FunctionTransformer(np.log1p)), ("scale", StandardScaler())]), numeric),
    ])
    return Pipeline([("encode", encode), ("model", LogisticRegression(max_iter=2000))])


def gbm_pipeline(seed: int, **params: Any) -> Pipeline:
    return Pipeline([("model", HistGradientBoostingClassifier(random_state=seed, early_stopping=False, **params))])


CANDIDATES: dict[str, Callable[[Sequence[str], int], Pipeline]] = {
    "logistic": lambda features, seed: logistic_pipeline(features),
    "gbm_8_leaves": lambda features, seed: gbm_pipeline(seed, learning_rate=0.05, max_iter=200, max_leaf_nodes=8,
                                                       min_samples_leaf=40, l2_regularization=1.0),
    "gbm_4_leaves": lambda features, seed: gbm_pipeline(seed, learning_rate=0.05, max_iter=300, max_leaf_nodes=4,
                                                       min_samples_leaf=40),
}


@dataclass
class TrainResult:
    model: CalibratedClassifierCV
    document: dict[str, Any]
    metadata: dict[str, Any]
    X_check: np.ndarray          # rows the export is checked on: the held-out split, else training rows
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    timings: dict[str, float] = field(default_factory=dict)
    split: dict[str, Any] = field(default_factory=dict)      # split.json: held-out rows, fitted rows' hashes


def training_defaults(X: np.ndarray) -> dict[str, float]:
    """What the model assumes for columns a live session lacks: the training data's mode, or median for stats."""
    defaults = {}
    for name in NO_LIVE_SOURCE + ("Month",):
        values, counts = np.unique(X[:, ALL_FEATURES.index(name)], return_counts=True)
        defaults[name] = float(values[int(np.argmax(counts))])
    for name in STATS_FACTS:
        defaults[name] = float(np.median(X[:, ALL_FEATURES.index(name)]))
    return defaults


def _decision(pipeline: Pipeline, X: np.ndarray) -> np.ndarray:
    return pipeline.decision_function(X)


def select_estimator(X: np.ndarray, y: np.ndarray, features: Sequence[str], seed: int, folds: int,
                     names: Sequence[str]) -> tuple[str, dict[str, Any], np.ndarray]:
    """Stratified k-fold CV of each candidate; returns the best name, every candidate's figures, its OOF scores."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    results: dict[str, Any] = {}
    out_of_fold: dict[str, np.ndarray] = {}
    for name in names:
        started = time.perf_counter()
        oof = np.zeros(len(y))
        aucs = []
        for train_index, test_index in splitter.split(X, y):
            fitted = clone(CANDIDATES[name](features, seed)).fit(X[train_index], y[train_index])
            oof[test_index] = _decision(fitted, X[test_index])
            aucs.append(roc_auc_score(y[test_index], oof[test_index]))
        out_of_fold[name] = oof
        results[name] = {"roc_auc_mean": round(float(np.mean(aucs)), 6), "roc_auc_std": round(float(np.std(aucs)), 6),
                         "seconds": round(time.perf_counter() - started, 3)}
    best = max(names, key=lambda name: results[name]["roc_auc_mean"])
    return best, results, out_of_fold[best]


def baseline_metrics(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
                     seed: int) -> dict[str, Any]:
    """Default RandomForest and default HistGradientBoosting on the same split, for an honest comparison."""
    results = {}
    for name, model in (("random_forest_default", RandomForestClassifier(random_state=seed)),
                        ("hist_gradient_boosting_default", HistGradientBoostingClassifier(random_state=seed))):
        started = time.perf_counter()
        model.fit(X_train, y_train)
        p = model.predict_proba(X_test)[:, 1]
        metrics = score_metrics(y_test, p, 0.5)
        results[name] = {key: metrics[key] for key in ("roc_auc", "pr_auc", "brier", "f1")}
        results[name]["seconds"] = round(time.perf_counter() - started, 3)
    return results


def train(dataset: Dataset, **options: Any) -> TrainResult:
    """Select, calibrate and (when ``test_size`` > 0) evaluate a model; nothing is written here.

    OpenMP and BLAS are held to one thread: on a shared 2-core machine HistGradientBoosting's spinning threads made
    training 10x slower, while one thread per fit costs little on 10k rows.
    """
    with threadpool_limits(limits=1):
        return _train(dataset, **options)


def _train(dataset: Dataset, *, feature_set: str = "live", seed: int = 0, test_size: float = 0.2,
          calibration: str = "sigmoid", folds: int = 5, candidates: Sequence[str] | None = None,
          baselines: bool = True, log: Callable[[str], None] = lambda message: None) -> TrainResult:
    features = FEATURE_SETS[feature_set]
    warnings = check_codes(dataset, feature_set)
    for warning in warnings:
        log(f"warning: {warning}")
    names = list(candidates or CANDIDATES)
    X_all, y_all = dataset.select(features), dataset.y
    timings: dict[str, float] = {}
    train_index, test_index = split_indices(y_all, test_size, seed)
    X, y = X_all[train_index], y_all[train_index]
    if min(int(y.sum()), int(len(y) - y.sum())) < folds:
        raise ValueError(f"too few buyers or non-buyers in the training rows for {folds}-fold cross-validation "
                         f"({class_counts(y)}; {folds} of each needed): "
                         "add rows, or lower --folds or --test-size")

    started = time.perf_counter()
    best, cv_results, oof = select_estimator(X, y, features, seed, folds, names)
    timings["selection"] = time.perf_counter() - started
    log(f"cross-validation ({folds} folds): " + ", ".join(f"{name} {r['roc_auc_mean']:.4f}"
                                                        for name, r in cv_results.items()) + f" -> {best}")

    started = time.perf_counter()
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    calibrated = CalibratedClassifierCV(CANDIDATES[best](features, seed), method=calibration, cv=splitter,
                                        ensemble=False).fit(X, y)
    timings["calibration_and_fit"] = time.perf_counter() - started
    calibrator = calibrated.calibrated_classifiers_[0].calibrators[0]
    threshold = best_f1_threshold(y, np.clip(calibrator.predict(oof), 0.0, 1.0))

    defaults = training_defaults(dataset.X[train_index])
    document = export_model(calibrated, name=f"intent-{feature_set}", feature_set=feature_set, features=features,
                            defaults=defaults, threshold=threshold)
    metadata: dict[str, Any] = {
        "name": f"intent-{feature_set}",
        "feature_set": feature_set,
        "features": list(features),
        "estimator": best,
        "params": {key: _json_safe(value) for key, value in
                   calibrated.calibrated_classifiers_[0].estimator.steps[-1][1].get_params().items()},
        "calibration": calibration,
        "threshold": round(threshold, 6),
        "training_data": dataset.sources,
        "warnings": dataset.warnings + warnings,
        "split": {"seed": seed, "test_size": test_size, "stratified": True, "train_rows": int(len(train_index)),
                  "test_rows": int(len(test_index)), "cv_folds": folds},
        "cross_validation": cv_results,
        "defaults": defaults,
        "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                     "numpy": np.__version__, "scipy": scipy.__version__,   # scipy fits the sigmoid calibration
                     "clickto": _clickto_version()},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    result = TrainResult(model=calibrated, document=document, metadata=metadata, X_check=X[:2000],
                         timings=timings, split=split_document(dataset, features, train_index, test_index))
    if len(test_index):
        X_test, y_test = X_all[test_index], y_all[test_index]
        p = calibrated.predict_proba(X_test)[:, 1]
        metadata["metrics"] = score_metrics(y_test, p, threshold)
        if baselines:
            metadata["baselines"] = baseline_metrics(X, y, X_test, y_test, seed)
        result.X_test, result.y_test, result.X_check = X_test, y_test, X_test
    timings["total"] = sum(timings.values())
    metadata["training_seconds"] = round(timings["total"], 3)
    return result


def check_codes(dataset: Dataset, feature_set: str) -> list[str]:
    """Refuse ``own`` on rows not wholly in clickto's own codes; warnings for ``all`` on own-coded rows.

    OperatingSystems and TrafficType mean clickto's device and traffic source in exported own-traffic rows, and
    unpublished codes of another shop in the public data: one column must not mix the two meanings, and a row
    must not read one column one way and the other the other way.
    """
    columns = {name: dataset.X[:, ALL_FEATURES.index(name)] for name in OWN_CODES}
    if feature_set == "own":
        _refuse_rows_outside_own_codes(dataset, columns)
        return []
    own = np.zeros(len(dataset.y), dtype=bool)
    for values in columns.values():
        own |= values >= OWN_CODE_BASE
    if feature_set == "all" and own.any():
        mixed = " mixed with rows in the public data's opaque codes" if not own.all() else ""
        return [(f"{int(own.sum())} rows carry clickto's own device/traffic-source codes{mixed}: the 'all' model "
                 "reads OperatingSystems and TrafficType as codes and scores live sessions with their most common "
                 "value; use --features own (own rows only) or --features live")]
    return []


def own_code_range(column: str) -> tuple[int, int]:
    """The codes clickto writes in ``column``: ``OWN_CODE_BASE`` (not reported) to one per known value."""
    return OWN_CODE_BASE, OWN_CODE_BASE + len(OWN_CODES[column][1])


def _refuse_rows_outside_own_codes(dataset: Dataset, columns: dict[str, np.ndarray]) -> None:
    """``--features own``: files wholly in public codes are named with their counts; a row with one column in
    public codes and the other in own codes, or with a code above clickto's table, is named by file:line."""
    in_range = {name: (values >= own_code_range(name)[0]) & (values <= own_code_range(name)[1])
                for name, values in columns.items()}
    public = {name: values < OWN_CODE_BASE for name, values in columns.items()}
    all_public = np.logical_and.reduce(list(public.values()))
    bad = ~np.logical_and.reduce(list(in_range.values())) & ~all_public
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        path, rows = next((source["path"], rows) for source, rows in zip(dataset.sources, dataset.source_slices())
                          if rows.start <= index < rows.stop)
        name = next(name for name in columns if not in_range[name][index])
        value = int(columns[name][index])
        if value < OWN_CODE_BASE:
            other = next(other for other in columns if other != name)
            reason = (f"{name} {value} is a code of the public data, but {other} {int(columns[other][index])} is "
                      "one of clickto's own codes")
        else:
            low, high = own_code_range(name)
            reason = f"{name} {value} is not one of clickto's own codes ({low} to {high})"
        raise DataError(f"{dataset.place(index)}: column {name}: {reason} ({int(bad[rows].sum())} such rows in "
                        f"{path}); --features own needs both columns in clickto's own codes, as the service's "
                        "export writes them (see docs/intent.md)")
    per_source = [(source["path"], int(all_public[rows].sum()), source["rows"])
                  for source, rows in zip(dataset.sources, dataset.source_slices())]
    public_files = [f"{path} ({count} of {rows} rows)" for path, count, rows in per_source if count]
    if public_files:
        raise DataError("--features own reads OperatingSystems and TrafficType as clickto's own device and "
                        "traffic-source codes (101 and up, written by the service's export), but "
                        f"{', '.join(public_files)} carry the public dataset's opaque codes; train such data with "
                        "--features live, or train --features own on your exported rows alone")


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def _clickto_version() -> str:
    try:
        from clickto import __version__

        return __version__
    except ImportError:  # pragma: no cover - clickto is always installed with rules
        return "unknown"


def write_model(result: TrainResult, out_dir: str | Path) -> Path:
    """Write model.json and metadata.json (with the model's sha256), then reload and check the export.

    The reload proves the written files load and that the pure-Python scores equal scikit-learn's
    ``predict_proba`` within 1e-6 (on the held-out rows, or the first training rows when there are none).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model_bytes = json.dumps(result.document, separators=(",", ":"), allow_nan=False).encode("utf-8")
    result.metadata["model_file"] = MODEL_FILE
    result.metadata["model_sha256"] = hashlib.sha256(model_bytes).hexdigest()
    result.metadata["model_bytes"] = len(model_bytes)
    _atomic_write(out / MODEL_FILE, model_bytes)
    if result.split:
        data = split_bytes(result.split)
        result.metadata["split_file"] = SPLIT_FILE
        result.metadata["split_sha256"] = hashlib.sha256(data).hexdigest()
        _atomic_write(out / SPLIT_FILE, data)
    check_rows = result.X_check
    expected = result.model.predict_proba(check_rows)[:, 1]
    metadata_bytes = json.dumps(result.metadata, indent=2, allow_nan=False).encode("utf-8") + b"\n"
    _atomic_write(out / METADATA_FILE, metadata_bytes)
    loaded = load_score_model(out)
    difference = float(np.max(np.abs(np.asarray(loaded.score_rows(check_rows)) - expected)))
    result.metadata["export_check"] = {"rows": int(len(check_rows)), "max_abs_difference": difference}
    _atomic_write(out / METADATA_FILE, json.dumps(result.metadata, indent=2, allow_nan=False).encode("utf-8") + b"\n")
    if difference > EXPORT_TOLERANCE:
        raise RuntimeError(f"exported model differs from scikit-learn by {difference:g} (> {EXPORT_TOLERANCE:g})")
    return out


def _atomic_write(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
