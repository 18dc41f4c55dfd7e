"""``clickto train`` and ``clickto evaluate``: the purchase-intent model's command line.

Both print JSON on stdout (progress goes to stderr) and exit 2 with one clear line for bad input: a missing
or malformed CSV (file:line: column: reason), an unusable model, a bad option.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
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


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be from 0 to {2**32 - 1}, got {text}")
    return value


def _writable_folder(out: Path) -> str | None:
    """Why ``out`` cannot receive the model, or None: checked before training, which takes a while."""
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"--out {out}: {existing} is not a folder"
    try:
        with tempfile.TemporaryFile(dir=existing, prefix=".clickto-write-check"):
            pass
    except OSError as error:
        return f"--out {out}: cannot write in {existing}: {error.strerror or error}"
    return None


def _train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clickto train",
        description="Train the purchase-intent model (estimator chosen by stratified cross-validation, calibrated "
                    "probability) and write model.json, metadata.json and split.json to DIR.")
    parser.add_argument("--data", action="append", required=True, metavar="CSV",
                        help="training CSV in the UCI online-shoppers columns; repeat to merge several "
                             "(e.g. the public data and the shop's own exported sessions)")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for model.json, metadata.json and split.json")
    parser.add_argument("--features", choices=sorted(FEATURE_SETS), default="live",
                        help="live: what a new install knows (default); all: every column incl. site statistics; "
                             "own: live plus device and traffic source, for the shop's own exported rows only")
    parser.add_argument("--seed", type=_seed, default=0, help="seed of the split and the CV folds (default 0)")
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
    problem = _writable_folder(out)
    if problem:
        return _fail("train", problem)
    from rules.intent.data import load_datasets
    from rules.intent.train import CANDIDATES, train, write_model

    candidates = [name.strip() for name in args.candidates.split(",")] if args.candidates else list(CANDIDATES)
    unknown = [name for name in candidates if name not in CANDIDATES]
    if unknown or not candidates:
        return _fail("train", f"--candidates: unknown {', '.join(unknown) or '(none given)'} "
                              f"(choose from {', '.join(CANDIDATES)})")

    try:
        dataset = load_datasets(args.data)
        for warning in dataset.warnings:
            print(f"clickto train: warning: {warning}", file=sys.stderr)
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
    parser.add_argument("--model", required=True, metavar="DIR",
                        help="folder written by 'clickto train' (or the model.json in it)")
    parser.add_argument("--data", action="append", required=True, metavar="CSV", help="CSV to evaluate on (repeatable)")
    parser.add_argument("--out", metavar="DIR", help="folder for the plots (default: DIR/evaluation of the model)")
    parser.add_argument("--all-rows", action="store_true",
                        help="score every row, training rows included (by default a training file is scored on "
                             "its held-out rows only, and other files without the rows identical to training rows, "
                             "since training rows flatter the model)")
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
    from rules.intent.split import SplitError, load_split, select_rows
    from rules.intent.train import check_codes

    model_dir = model.path if model.path is not None else Path(args.model)
    out = Path(args.out) if args.out else model_dir / "evaluation"
    if out.exists() and not out.is_dir():
        return _fail("evaluate", f"--out {out}: exists and is not a folder")
    try:
        dataset = load_datasets(args.data, purpose="evaluation")
        # the same coding checks as training: an 'own' model cannot read public codes, an 'all' model reads
        # own-coded device/traffic columns as the public data's opaque codes (figures would mean nothing)
        try:
            code_notes = [f"the model was trained with --features {model.feature_set}: {note}"
                          for note in check_codes(dataset, model.feature_set)]
        except DataError as error:
            raise DataError(f"the model was trained with --features {model.feature_set}: {error}") from None
        selection = select_rows(dataset, model.metadata, load_split(model_dir, model.metadata), args.all_rows)
    except (DataError, SplitError) as error:
        return _fail("evaluate", str(error))
    for note in [*code_notes, *selection.notes]:
        print(f"clickto evaluate: {note}", file=sys.stderr)
    X, y = dataset.select(model.features)[selection.mask], dataset.y[selection.mask]
    if not len(y):
        return _fail("evaluate", "every row of the data is a row the model was trained on: nothing left to evaluate "
                                 "(--all-rows scores them knowingly)")
    if len(set(y.tolist())) < 2:
        return _fail("evaluate", f"the {len(y)} scored rows are all {'buyers' if y[0] else 'non-buyers'}: evaluation "
                                 "needs both buyers and non-buyers (Revenue TRUE and FALSE) for ROC AUC")
    p = np.asarray(model.score_rows(X))
    result = {"model": str(args.model), "name": model.name, "features": model.feature_set,
              "data": dataset.sources, "scored_rows": selection.kind, "sources": selection.sources,
              **score_metrics(y, p, model.threshold)}
    try:
        result.update(write_plots(y, p, out, model.name))
    except OSError as error:
        return _fail("evaluate", f"cannot write plots to {out}: {error.strerror or error}")
    print(json.dumps(result, indent=2))
    return 0
