"""``clickto train`` / ``clickto evaluate`` through the real dispatcher: JSON out, plots written, exit 2 on bad input."""

from __future__ import annotations

import json

import pytest

from clickto.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


def test_train_then_evaluate_writes_model_metrics_and_plots(small_csv, tmp_path, capsys):
    out = tmp_path / "model"
    code = main(["train", "--data", str(small_csv), "--out", str(out), "--features", "live", "--folds", "3",
                 "--no-baselines", "--test-size", "0.3", "--seed", "3", "--candidates", "logistic"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out)
    assert summary["features"] == "live" and summary["estimator"] in summary["cross_validation"]
    assert {"roc_auc", "pr_auc", "f1", "brier", "threshold"} <= set(summary["held_out"])
    assert summary["export_max_abs_difference"] <= 1e-6
    assert "cross-validation (3 folds)" in captured.err
    assert (out / "model.json").is_file() and (out / "metadata.json").is_file()

    plots = tmp_path / "plots"
    assert main(["evaluate", "--model", str(out), "--data", str(small_csv), "--out", str(plots)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["scored_rows"] == "held-out"          # the training CSV: only the held-out split is scored
    assert result["rows"] == summary["held_out"]["rows"]
    assert result["roc_auc"] == pytest.approx(summary["held_out"]["roc_auc"], abs=1e-9)
    assert len(result["calibration"]) == 10 and result["brier"] == pytest.approx(summary["held_out"]["brier"])
    for name in ("calibration.png", "roc.png"):
        data = (plots / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 5000
    assert result["roc_plot"] == str(plots / "roc.png")

    assert main(["evaluate", "--model", str(out), "--data", str(small_csv), "--out", str(plots), "--all-rows"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] > summary["held_out"]["rows"]


def test_train_merges_several_csvs(small_csv, tmp_path, capsys):
    out = tmp_path / "merged"
    code = main(["train", "--data", str(small_csv), "--data", str(small_csv), "--out", str(out), "--folds", "2",
                 "--no-baselines", "--test-size", "0", "--candidates", "logistic"])
    assert code == 0, capsys.readouterr().err
    summary = json.loads(capsys.readouterr().out)
    assert "held_out" not in summary and summary["rows"] == 2 * len(small_csv.read_text().splitlines()[1:])
    metadata = json.loads((out / "metadata.json").read_text())
    assert len(metadata["training_data"]) == 2 and "metrics" not in metadata


@pytest.mark.parametrize(("argv", "message"), [
    (["train", "--data", "{missing}", "--out", "{tmp}/m"], "missing.csv: no such file"),
    (["train", "--data", "{bad}", "--out", "{tmp}/m"], "bad.csv:3: column Weekend: expected TRUE or FALSE, got 'sometimes'"),
    (["evaluate", "--model", "{tmp}/nothing", "--data", "{bad}"], "no such model directory"),
    (["train", "--data", "{bad}", "--out", "{tmp}/m", "--candidates", "svm"], "--candidates: unknown svm"),
])
def test_bad_input_exits_2_with_the_place(tmp_path, capsys, small_csv, argv, message):
    lines = small_csv.read_text().splitlines()
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([lines[0], lines[1], lines[2].replace("FALSE,", "sometimes,", 1)]) + "\n")
    values = {"missing": str(tmp_path / "missing.csv"), "bad": str(bad), "tmp": str(tmp_path)}
    assert main([arg.format(**values) for arg in argv]) == 2
    assert message in capsys.readouterr().err


def test_bad_options_exit_2(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--data", "x.csv", "--out", str(tmp_path), "--test-size", "1.5"])
    assert exit_info.value.code == 2 and "must be at least 0 and below 1" in capsys.readouterr().err
