"""Training writes a model and a metadata file that say what was trained, on what, and how well it did."""

from __future__ import annotations

import hashlib
import json

from rules.intent.features import ALL_FEATURES
from rules.intent.model import METADATA_FILE, MODEL_FILE, load_score_model


def test_metadata_records_features_data_hash_metrics_and_versions(trained_all, sample_csv):
    result, out = trained_all
    metadata = json.loads((out / METADATA_FILE).read_text())
    model_bytes = (out / MODEL_FILE).read_bytes()
    assert metadata["model_sha256"] == hashlib.sha256(model_bytes).hexdigest()
    assert metadata["model_bytes"] == len(model_bytes)
    assert metadata["features"] == list(ALL_FEATURES)
    assert metadata["feature_set"] == "all"
    [source] = metadata["training_data"]
    assert source["sha256"] == hashlib.sha256(sample_csv.read_bytes()).hexdigest()
    assert source["rows"] > 1000
    assert metadata["split"] == {"seed": 0, "test_size": 0.25, "stratified": True, "cv_folds": 3,
                                 "train_rows": metadata["split"]["train_rows"],
                                 "test_rows": metadata["split"]["test_rows"]}
    assert metadata["split"]["test_rows"] + metadata["split"]["train_rows"] == source["rows"]
    assert set(metadata["cross_validation"]) == {"logistic", "gbm_8_leaves"}
    assert metadata["estimator"] == max(metadata["cross_validation"],
                                        key=lambda name: metadata["cross_validation"][name]["roc_auc_mean"])
    assert {"scikit-learn", "numpy", "scipy", "python", "clickto"} <= set(metadata["versions"])
    assert metadata["created"].endswith("+00:00")
    assert metadata["export_check"]["max_abs_difference"] <= 1e-6


def test_held_out_metrics_are_sane_and_baselines_are_on_the_same_split(trained_all):
    metrics = trained_all[0].metadata["metrics"]
    assert metrics["rows"] == trained_all[0].metadata["split"]["test_rows"]
    assert 0.85 <= metrics["roc_auc"] <= 1.0          # PageValues makes 'all' easy even on 1,500 rows
    assert metrics["pr_auc"] > 0.4 > 0.155             # far above the no-skill base rate
    assert 0.0 < metrics["brier"] < 0.12
    assert 0.0 < metrics["threshold"] < 1.0 and 0.0 < metrics["f1"] <= 1.0
    table = metrics["calibration"]
    assert len(table) == 10 and sum(row["count"] for row in table) == metrics["rows"]
    baselines = trained_all[0].metadata["baselines"]
    assert set(baselines) == {"random_forest_default", "hist_gradient_boosting_default"}
    assert all(0.5 < b["roc_auc"] <= 1.0 for b in baselines.values())


def test_written_model_loads_with_the_training_threshold(trained_all):
    result, out = trained_all
    model = load_score_model(out)
    assert model.name == "intent-all" and tuple(model.features) == ALL_FEATURES
    assert model.threshold == result.document["threshold"]
    assert "stats.page_value" in model.fact_paths and "time.month" in model.fact_paths
