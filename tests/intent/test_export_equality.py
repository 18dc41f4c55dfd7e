"""The pure-Python scores of an exported model equal scikit-learn's predict_proba within 1e-6."""

from __future__ import annotations

import numpy as np
import pytest

from rules.intent.features import ALL_FEATURES, LIVE_FEATURES
from rules.intent.model import load_score_model
from rules.intent.train import train, write_model


@pytest.mark.parametrize(("candidate", "calibration", "feature_set"), [
    ("logistic", "sigmoid", "all"),
    ("logistic", "isotonic", "live"),
    ("gbm_4_leaves", "isotonic", "live"),
])
def test_exported_scores_equal_sklearn(sample_data, tmp_path, candidate, calibration, feature_set):
    result = train(sample_data, feature_set=feature_set, test_size=0.25, folds=3, calibration=calibration,
                   candidates=[candidate], baselines=False)
    model = load_score_model(write_model(result, tmp_path))
    assert result.document["estimator"]["kind"] == ("logistic" if candidate == "logistic" else "gradient_boosting")
    assert result.document["calibration"]["kind"] == calibration
    rows = result.X_test
    # Rows the training data never had: January and April, the 'Other' visitor type, huge and zero counts.
    features = LIVE_FEATURES if feature_set == "live" else ALL_FEATURES
    odd = rows[:6].copy()
    odd[:, features.index("Month")] = [1, 4, 12, 1, 4, 7]
    odd[:, features.index("VisitorType")] = [1, 0, 2, 1, 0, 2]
    odd[0, :] = 0.0
    odd[1, features.index("ProductRelated_Duration")] = 1e7
    rows = np.vstack([rows, odd])
    expected = result.model.predict_proba(rows)[:, 1]
    actual = np.asarray(model.score_rows(rows))
    assert np.max(np.abs(actual - expected)) <= 1e-6
    assert model.score_row(rows[0].tolist()) == actual[0]
    assert len(set(np.round(actual, 6))) > 10          # a real score, not a constant


def test_score_row_rejects_a_row_of_the_wrong_length(trained_all):
    model = load_score_model(trained_all[1])
    with pytest.raises(ValueError, match="expected 17 values"):
        model.score_row([0.0] * 9)


def test_the_shared_gradient_boosting_model_equals_sklearn(trained_all):
    result, out = trained_all
    assert result.document["estimator"]["kind"] == "gradient_boosting"   # the sample's CV winner
    expected = result.model.predict_proba(result.X_test)[:, 1]
    assert np.max(np.abs(np.asarray(load_score_model(out).score_rows(result.X_test)) - expected)) <= 1e-6
