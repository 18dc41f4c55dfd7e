"""A fitted scikit-learn intent pipeline → the plain-JSON document ``rules.intent.model`` loads.

Supports exactly what ``rules.intent.train`` builds: ``CalibratedClassifierCV(ensemble=False)`` around either
a one-hot/log1p/standard-scaler + LogisticRegression pipeline or a HistGradientBoostingClassifier pipeline,
with sigmoid or isotonic calibration. Anything else is refused rather than exported approximately.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from rules.intent.model import FORMAT, FORMAT_VERSION


def _floats(values: Any) -> list[float]:
    return [float(value) for value in np.asarray(values, dtype=np.float64).ravel()]


def _export_linear(pipeline: Pipeline) -> tuple[dict[str, Any], dict[str, Any]]:
    encode = pipeline.named_steps["encode"]
    model: LogisticRegression = pipeline.named_steps["model"]
    onehot, scaled = [], []
    for name, transformer, columns in encode.transformers_:
        if name == "onehot":
            for column, categories in zip(columns, transformer.categories_):
                onehot.append({"feature": [int(column)], "categories": _floats(categories)})
        elif name == "numeric":
            scaler = transformer.named_steps["scale"]
            for i, column in enumerate(columns):
                scaled.append({"feature": [int(column)], "log1p": [1], "mean": float(scaler.mean_[i]),
                               "scale": float(scaler.scale_[i])})
        elif name != "remainder" or transformer != "drop":
            raise TypeError(f"cannot export column transformer step {name!r}")
    preprocess = {"kind": "onehot_log1p_scale", "onehot": onehot, "scaled": scaled}
    estimator = {"kind": "logistic", "coef": _floats(model.coef_), "intercept": float(model.intercept_[0])}
    return preprocess, estimator


def _export_trees(model: HistGradientBoostingClassifier) -> dict[str, Any]:
    if model.is_categorical_ is not None and np.any(model.is_categorical_):
        raise TypeError("cannot export categorical splits; encode categories as ordinal numbers")
    trees = []
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        trees.append({
            "feature": [int(v) for v in nodes["feature_idx"]],
            "threshold": _floats(nodes["num_threshold"]),
            "left": [int(v) for v in nodes["left"]],
            "right": [int(v) for v in nodes["right"]],
            "value": _floats(nodes["value"]),
            "leaf": [int(v) for v in nodes["is_leaf"]],
            "missing_left": [int(v) for v in nodes["missing_go_to_left"]],
        })
    return {"kind": "gradient_boosting", "baseline": float(np.ravel(model._baseline_prediction)[0]),
            "trees": trees}


def _export_calibration(calibrator: Any) -> dict[str, Any]:
    if hasattr(calibrator, "a_"):
        return {"kind": "sigmoid", "a": float(calibrator.a_), "b": float(calibrator.b_)}
    if hasattr(calibrator, "X_thresholds_"):
        if calibrator.out_of_bounds != "clip":
            raise TypeError("isotonic calibration must clip out-of-range scores")
        return {"kind": "isotonic", "x": _floats(calibrator.X_thresholds_), "y": _floats(calibrator.y_thresholds_)}
    raise TypeError(f"cannot export calibrator {type(calibrator).__name__}")


def export_model(calibrated: CalibratedClassifierCV, *, name: str, feature_set: str, features: Sequence[str],
                 defaults: Mapping[str, float], threshold: float) -> dict[str, Any]:
    """The JSON-ready document for a fitted ``CalibratedClassifierCV(ensemble=False)``."""
    if len(calibrated.calibrated_classifiers_) != 1:
        raise TypeError("export needs CalibratedClassifierCV(ensemble=False): one estimator, one calibrator")
    fitted = calibrated.calibrated_classifiers_[0]
    pipeline: Pipeline = fitted.estimator
    final = pipeline.steps[-1][1]
    if isinstance(final, LogisticRegression):
        preprocess, estimator = _export_linear(pipeline)
    elif isinstance(final, HistGradientBoostingClassifier) and len(pipeline.steps) == 1:
        preprocess, estimator = {"kind": "none"}, _export_trees(final)
    else:
        raise TypeError(f"cannot export a pipeline ending in {type(final).__name__}")
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "name": name,
        "feature_set": feature_set,
        "features": list(features),
        "defaults": {key: float(value) for key, value in defaults.items()},
        "threshold": float(threshold),
        "preprocess": preprocess,
        "estimator": estimator,
        "calibration": _export_calibration(fitted.calibrators[0]),
    }
