"""``clickto train`` and ``clickto evaluate``: the purchase-intent model's command line.

Both print JSON on stdout (progress goes to stderr) and exit 2 with one clear line for bad input: a missing
or malformed CSV (file:line: column: reason), an unusable model, a bad option.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rules.intent.features import FEATURE_SETS, DataError
from rules.intent.model import ModelError

SUMMARY_KEYS = ("rows", "buyers", "roc_auc", "pr_auc", "threshold", "f1", "precision", "recall", "accuracy",
                "brier", "log_loss")


def _fail(command: str, message: str) -> int:
    print(f"clickto {command}: error: {message}", file=sys.stderr)
    return 2


def _test_size(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1, got {text}")
    return value


def _train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clickto train",
        description="Train the purchase-intent model (estimator chosen by stratified cross-validation, calibrated "
                    "probability) and write model.json + metadata.json to DIR.")
    parser.add_argument("--data", action="append", required=True, metavar="CSV",
                        help="training CSV in the UCI online-shoppers columns; repeat to merge several "
                             "(e.g. the public data and the shop's own exported sessions)")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for model.json and metadata.json")
    parser.add_argument("--features", choices=sorted(FEATURE_SETS), default="live",
                        help="live: what a new install knows (default); all: every column incl. site statistics")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split and the CV folds (default 0)")
    parser.add_argument("--test-size", type=_test_size, default=0.2,
                        help="held-out share for the metrics (default 0.2; 0 trains on every row, CV figures only)")
    parser.add_argument("--calibration", choices=("sigmoid", "isotonic"), default="sigmoid",
                        help="probability calibration (default sigmoid: keeps the ranking, so ROC AUC is unchanged)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    parser.add_argument("--candidates", metavar="NAME[,NAME...]",
                        help="estimators to compare by cross-validation (default: all of "
                             "logistic,gbm_8_leaves,gbm_4_leaves)")
    parser.add_argument("--no-baselines", action="store_true",
                        help="skip the default RandomForest / HistGradientBoosting comparison on the same split")
    return parser


def train_main(argv: list[str] | None = None) -> int:
    args = _train_parser().parse_args(argv)
    if args.folds < 2:
        return _fail("train", f"--folds must be at least 2, got {args.folds}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        return _fail("train", f"--out {out}: exists and is not a folder")
    from rules.intent.data import load_datasets
    from rules.intent.train import CANDIDATES, train, write_model

    candidates = [name.strip() for name in args.candidates.split(",")] if args.candidates else list(CANDIDATES)
    unknown = [name for name in candidates if name not in CANDIDATES]
    if unknown or not candidates:
        return _fail("train", f"--candidates: unknown {', '.join(unknown) or '(none given)'} "
                              f"(choose from {', '.join(CANDIDATES)})")

    try:
        dataset = load_datasets(args.data)
        result = train(dataset, feature_set=args.features, seed=args.seed, test_size=args.test_size,
                       calibration=args.calibration, folds=args.folds, baselines=not args.no_baselines,
                       candidates=candidates,
                       log=lambda message: print(message, file=sys.stderr))
        write_model(result, out)
    except (DataError, ValueError) as error:
        return _fail("train", str(error))
    except OSError as error:
        return _fail("train", f"cannot write {out}: {error.strerror or error}")
    meta = result.metadata
    summary: dict[str, Any] = {
        "model": str(out), "features": meta["feature_set"], "estimator": meta["estimator"],
        "calibration": meta["calibration"], "threshold": meta["threshold"], "rows": len(dataset.y),
        "cross_validation": meta["cross_validation"], "training_seconds": meta["training_seconds"],
        "model_bytes": meta["model_bytes"], "export_max_abs_difference": meta["export_check"]["max_abs_difference"],
    }
    if "metrics" in meta:
        summary["held_out"] = {key: meta["metrics"][key] for key in SUMMARY_KEYS}
    if "baselines" in meta:
        summary["baselines"] = meta["baselines"]
    print(json.dumps(summary, indent=2))
    return 0


def _evaluate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clickto evaluate",
        description="Score a CSV with a trained intent model; print JSON metrics and write calibration.png and "
                    "roc.png.")
    parser.add_argument("--model", required=True, metavar="DIR", help="folder written by 'clickto train'")
    parser.add_argument("--data", action="append", required=True, metavar="CSV", help="CSV to evaluate on (repeatable)")
    parser.add_argument("--out", metavar="DIR", help="folder for the plots (default: DIR/evaluation of the model)")
    parser.add_argument("--all-rows", action="store_true",
                        help="score every row even when the data is the model's own training data (by default "
                             "only the held-out split is scored then, since training rows flatter the model)")
    return parser


def evaluate_main(argv: list[str] | None = None) -> int:
    args = _evaluate_parser().parse_args(argv)
    from rules.intent.model import load_score_model

    try:
        model = load_score_model(args.model)
    except ModelError as error:
        return _fail("evaluate", str(error))
    import numpy as np

    from rules.intent.data import load_datasets
    from rules.intent.metrics import score_metrics, write_plots

    try:
        dataset = load_datasets(args.data)
    except DataError as error:
        return _fail("evaluate", str(error))
    X, y = dataset.select(model.features), dataset.y
    rows = "all"
    if not args.all_rows and _same_data(dataset.sources, model.metadata):
        split = model.metadata.get("split") or {}
        if float(split.get("test_size") or 0) <= 0:
            return _fail("evaluate", "this is the model's training data and the model had no held-out split "
                                     "(--test-size 0); evaluate on other data, or pass --all-rows knowingly")
        from sklearn.model_selection import train_test_split

        _, test_index = train_test_split(np.arange(len(y)), test_size=float(split["test_size"]), stratify=y,
                                         random_state=int(split.get("seed", 0)))
        X, y, rows = X[test_index], y[test_index], "held-out"
    if len(set(y.tolist())) < 2:
        return _fail("evaluate", "the data needs both buyers and non-buyers (Revenue TRUE and FALSE) for ROC AUC")
    p = np.asarray(model.score_rows(X))
    out = Path(args.out) if args.out else Path(args.model) / "evaluation"
    if out.exists() and not out.is_dir():
        return _fail("evaluate", f"--out {out}: exists and is not a folder")
    result = {"model": str(args.model), "name": model.name, "features": model.feature_set,
              "data": dataset.sources, "scored_rows": rows, **score_metrics(y, p, model.threshold)}
    try:
        result.update(write_plots(y, p, out, model.name))
    except OSError as error:
        return _fail("evaluate", f"cannot write plots to {out}: {error.strerror or error}")
    print(json.dumps(result, indent=2))
    return 0


def _same_data(sources: list[dict], metadata: dict) -> bool:
    trained = metadata.get("training_data") or []
    return [s["sha256"] for s in sources] == [s.get("sha256") for s in trained if isinstance(s, dict)]
