"""Held-out metrics of a probability score and the two plots ``clickto evaluate`` writes (matplotlib Agg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

CALIBRATION_BINS = 10


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The probability threshold with the best F1 on (out-of-fold) scores: where buyers and cost balance."""
    precision, recall, thresholds = precision_recall_curve(y, p)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(precision),
                   where=(precision + recall) > 0)[:-1]
    return float(thresholds[int(np.argmax(f1))])


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = CALIBRATION_BINS) -> list[dict[str, Any]]:
    """Equal-width probability bins: how many sessions, the mean score, and the share that really bought."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    table = []
    for b in range(bins):
        mask = index == b
        count = int(mask.sum())
        table.append({
            "low": round(float(edges[b]), 4), "high": round(float(edges[b + 1]), 4), "count": count,
            "mean_score": round(float(p[mask].mean()), 6) if count else None,
            "bought": round(float(y[mask].mean()), 6) if count else None,
        })
    return table


def score_metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, Any]:
    """ROC AUC, PR AUC, F1/precision/recall/accuracy at ``threshold``, Brier score, log loss, calibration."""
    y = np.asarray(y, dtype=np.int64)
    p = np.asarray(p, dtype=np.float64)
    predicted = (p >= threshold).astype(np.int64)
    both_classes = len(np.unique(y)) == 2
    return {
        "rows": int(len(y)),
        "buyers": int(y.sum()),
        "roc_auc": round(float(roc_auc_score(y, p)), 6) if both_classes else None,
        "pr_auc": round(float(average_precision_score(y, p)), 6) if both_classes else None,
        "threshold": round(float(threshold), 6),
        "f1": round(float(f1_score(y, predicted, zero_division=0)), 6),
        "precision": round(float(precision_score(y, predicted, zero_division=0)), 6),
        "recall": round(float(recall_score(y, predicted, zero_division=0)), 6),
        "accuracy": round(float(accuracy_score(y, predicted)), 6),
        "brier": round(float(brier_score_loss(y, p)), 6),
        "log_loss": round(float(log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1])), 6),
        "calibration": calibration_table(y, p),
    }


def write_plots(y: np.ndarray, p: np.ndarray, out_dir: Path, title: str) -> dict[str, str]:
    """calibration.png (reliability diagram + score histogram) and roc.png; returns their paths."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"calibration_plot": str(out_dir / "calibration.png"), "roc_plot": str(out_dir / "roc.png")}

    table = [row for row in calibration_table(y, p) if row["count"]]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(5.5, 6.5), height_ratios=(3, 1), sharex=True)
    top.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    top.plot([row["mean_score"] for row in table], [row["bought"] for row in table], marker="o", label=title)
    top.set_ylabel("share of sessions that bought")
    top.set_title(f"Calibration: {title}")
    top.legend(loc="upper left")
    bottom.hist(p, bins=CALIBRATION_BINS, range=(0, 1), color="tab:blue", alpha=0.7)
    bottom.set_xlabel("intent score (predicted chance of a purchase)")
    bottom.set_ylabel("sessions")
    figure.tight_layout()
    figure.savefig(paths["calibration_plot"], dpi=100)
    plt.close(figure)

    fpr, tpr, _ = roc_curve(y, p)
    figure, axis = plt.subplots(figsize=(5.5, 5))
    axis.plot([0, 1], [0, 1], linestyle="--", color="grey", label="no skill")
    axis.plot(fpr, tpr, label=f"{title} (AUC {roc_auc_score(y, p):.3f})")
    axis.set_xlabel("false positive rate")
    axis.set_ylabel("true positive rate")
    axis.set_title(f"ROC: {title}")
    axis.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(paths["roc_plot"], dpi=100)
    plt.close(figure)
    return paths
