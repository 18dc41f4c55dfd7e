"""``clickto train`` / ``clickto evaluate`` through the real dispatcher: JSON out, plots written, exit 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clickto.cli import main

PNG = b"\x89PNG\r\n\x1a\n"
MODELS = Path(__file__).resolve().parents[2] / "rules" / "intent" / "models"


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


def split_csv(source, folder):
    """Two files with disjoint rows of ``source`` (alternate lines), each with the header."""
    header, *rows = source.read_text().splitlines()
    halves = []
    for index, name in enumerate(("public.csv", "own.csv")):
        path = folder / name
        path.write_text("\n".join([header, *rows[index::2]]) + "\n")
        halves.append(path)
    return halves


def train_args(*data, out, test_size="0", extra=()):
    args = ["train", "--out", str(out), "--folds", "2", "--no-baselines", "--test-size", test_size,
            "--candidates", "logistic", *extra]
    for path in data:
        args += ["--data", str(path)]
    return args


def test_train_merges_several_csvs(small_csv, tmp_path, capsys):
    public, own = split_csv(small_csv, tmp_path)
    out = tmp_path / "merged"
    code = main(train_args(public, own, out=out))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "warning" not in captured.err                       # disjoint files: nothing shared
    summary = json.loads(captured.out)
    assert "held_out" not in summary and summary["rows"] == len(small_csv.read_text().splitlines()[1:])
    metadata = json.loads((out / "metadata.json").read_text())
    assert [source["path"] for source in metadata["training_data"]] == [str(public), str(own)]
    assert "metrics" not in metadata


def test_the_same_data_twice_is_refused_and_shared_rows_are_warned_about(small_csv, tmp_path, capsys):
    assert main(train_args(small_csv, small_csv, out=tmp_path / "twice")) == 2
    assert f"--data {small_csv}: the same data as --data {small_csv}" in capsys.readouterr().err
    assert not (tmp_path / "twice").exists()
    copy = tmp_path / "copy.csv"
    copy.write_text(small_csv.read_text() + "\n")             # other bytes, the same rows
    assert main(train_args(small_csv, copy, out=tmp_path / "overlap")) == 0
    rows = len(small_csv.read_text().splitlines()) - 1
    assert f"warning: {copy}: {rows} of {rows} rows also occur in an earlier --data file" in capsys.readouterr().err


def test_evaluate_never_scores_training_rows(small_csv, tmp_path, capsys):
    public, own = split_csv(small_csv, tmp_path)
    out = tmp_path / "model"
    assert main(train_args(public, own, out=out, test_size="0.3")) == 0
    capsys.readouterr()
    split = json.loads((out / "split.json").read_text())
    assert [source["rows"] for source in split["sources"]] == [len(p.read_text().splitlines()) - 1
                                                                for p in (public, own)]

    def evaluate(*data):
        args = ["evaluate", "--model", str(out), "--out", str(tmp_path / "plots")]
        for path in data:
            args += ["--data", str(path)]
        assert main(args) == 0
        captured = capsys.readouterr()
        return json.loads(captured.out), captured.err

    both, _ = evaluate(public, own)                            # exactly the training data: its held-out rows
    metadata = json.loads((out / "metadata.json").read_text())
    assert both["scored_rows"] == "held-out" and both["rows"] == metadata["metrics"]["rows"]
    assert both["roc_auc"] == pytest.approx(metadata["metrics"]["roc_auc"], abs=1e-9)

    alone, err = evaluate(own)               # one training source alone: its held-out rows not identical to fitted
    own_rows = len(own.read_text().splitlines()) - 1
    entry = alone["sources"][0]
    held, copies = entry["held_out_rows"], entry["held_out_rows_identical_to_fitted_rows"]
    assert alone["scored_rows"] == "held-out" and 0 < alone["rows"] == held - copies < own_rows * 0.4
    assert held + both["sources"][0]["scored_rows"] == both["rows"]
    assert held == both["sources"][1]["held_out_rows"] and copies == both["sources"][1][
        "held_out_rows_identical_to_fitted_rows"]
    if copies:
        assert (f"{own}: training data of the model: scoring {held - copies} of its {held} held-out rows "
                f"({copies} left out: identical to rows the model was trained on)") in err
    else:
        assert f"{own}: training data of the model: scoring its {held} held-out rows of {own_rows}" in err

    copy = tmp_path / "public-copy.csv"                        # the same rows, other bytes: not a known file
    copy.write_text(public.read_text() + "\n")
    scored, err = evaluate(copy)
    public_rows = len(public.read_text().splitlines()) - 1
    held_out = both["sources"][0]["scored_rows"]
    copies = both["sources"][0]["held_out_rows_identical_to_fitted_rows"]      # identical sessions go too
    assert scored["scored_rows"] == "new" and scored["rows"] == held_out - copies
    excluded = public_rows - scored["rows"]
    assert scored["sources"][0]["excluded_training_rows"] == excluded
    assert f"{copy}: left out {excluded} of {public_rows} rows identical to rows the model was trained on" in err


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


def test_cli_usage_mistakes_get_clear_messages(tmp_path, capsys, small_csv):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--data", str(small_csv), "--out", str(tmp_path / "m"), "--seed", "-1"])
    assert exit_info.value.code == 2 and "--seed: must be from 0 to 4294967295, got -1" in capsys.readouterr().err

    assert main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "m")]) == 2
    assert f"{tmp_path}: is a folder, not a CSV file" in capsys.readouterr().err

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(train_args(small_csv, out=blocker / "model")) == 2          # checked before any training
    err = capsys.readouterr().err
    assert f"--out {blocker / 'model'}: {blocker} is not a folder" in err and "cross-validation" not in err


def test_evaluate_messages_and_a_model_file_path(tmp_path, capsys, small_csv):
    import shutil

    model = tmp_path / "live"
    shutil.copytree(MODELS / "live", model)
    lines = small_csv.read_text().splitlines()
    sellers = tmp_path / "no-buyers.csv"
    sellers.write_text("\n".join([lines[0], *[line for line in lines[1:] if line.endswith(",FALSE")]]) + "\n")
    assert main(["evaluate", "--model", str(model), "--data", str(sellers), "--out", str(tmp_path / "e")]) == 2
    err = capsys.readouterr().err
    assert "are all non-buyers: evaluation needs both buyers and non-buyers" in err and "training" not in err

    assert main(["evaluate", "--model", str(model / "model.json"), "--data", str(small_csv)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["roc_plot"] == str(model / "evaluation" / "roc.png") and (model / "evaluation" / "roc.png").is_file()
    assert main(["evaluate", "--model", str(model / "split.json"), "--data", str(small_csv)]) == 2
    assert f"{model / 'split.json'}: not a model (expected the folder" in capsys.readouterr().err


def test_the_shipped_model_recognises_a_copy_of_its_training_data(data_path, tmp_path, capsys):
    copy = tmp_path / "public-copy.csv"
    copy.write_bytes(data_path.read_bytes() + b"\n")
    assert main(["evaluate", "--model", str(MODELS / "live"), "--data", str(copy), "--out", str(tmp_path)]) == 0
    result = json.loads(capsys.readouterr().out)
    metadata = json.loads((MODELS / "live" / "metadata.json").read_text())
    # the 9,864 training rows, and the 147 held-out rows identical to one of them in the live columns, are left out
    assert result["rows"] == metadata["metrics"]["rows"] - 147
    assert result["sources"][0]["excluded_training_rows"] == metadata["split"]["train_rows"] + 147
    assert result["roc_auc"] == pytest.approx(0.727872, abs=1e-6)   # the common one-page visits left out too


def test_too_few_rows_of_a_class_say_the_counts_and_the_option(small_csv, tmp_path, capsys):
    lines = small_csv.read_text().splitlines()
    tiny = tmp_path / "tiny.csv"
    buyers = [line for line in lines[1:] if line.endswith(",TRUE")][:1]
    tiny.write_text("\n".join([lines[0], *buyers, *[line for line in lines[1:] if line.endswith(",FALSE")][:5]]) + "\n")
    assert main(["train", "--data", str(tiny), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "cannot hold out 0.2 of 6 rows (1 buyer, 5 non-buyers) with buyers and non-buyers in both parts: add " \
           "rows, or change --test-size" in err and "Traceback" not in err
    assert main(["train", "--data", str(tiny), "--out", str(tmp_path / "m"), "--test-size", "0"]) == 2
    assert "too few buyers or non-buyers in the training rows for 5-fold cross-validation (1 buyer, 5 non-buyers; " \
           "5 of each needed)" in capsys.readouterr().err
