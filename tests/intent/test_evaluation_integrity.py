"""``clickto evaluate`` on the split a model was trained with: split.json is hash-checked and consistent with the
metadata, held-out rows that copy fitted rows are left out, and rows are recognised by the model's own columns."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from clickto.cli import main

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "rules" / "intent" / "models"


def run(capsys, *args):
    code = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def evaluate(capsys, model, *data, out):
    args = ["evaluate", "--model", model, "--out", out]
    for path in data:
        args += ["--data", path]
    return run(capsys, *args)


def copy_model(name: str, folder: Path) -> Path:
    target = folder / name
    shutil.copytree(MODELS / name, target)
    return target


# ---------------------------------------------------------------------- gap 2: split.json is checked


@pytest.mark.parametrize("name", ["live", "all"])
def test_the_shipped_metadata_records_the_split_file_hash(name):
    metadata = json.loads((MODELS / name / "metadata.json").read_text())
    raw = (MODELS / name / "split.json").read_bytes()
    assert metadata["split_file"] == "split.json"
    assert metadata["split_sha256"] == hashlib.sha256(raw).hexdigest()


def test_a_tampered_split_file_next_to_a_shipped_model_is_refused(data_path, tmp_path, capsys):
    model = copy_model("live", tmp_path)
    split = json.loads((model / "split.json").read_text())
    rows = split["sources"][0]["rows"]
    split["sources"][0]["held_out"] = base64.b64encode(b"\xff" * ((rows + 7) // 8)).decode()   # all "held out"
    (model / "split.json").write_text(json.dumps(split, separators=(",", ":")))
    code, out, err = evaluate(capsys, model, data_path, out=tmp_path / "e")
    assert code == 2 and out == ""
    assert f"{model / 'split.json'}: sha256 does not match metadata.json (changed after training)" in err


def test_a_split_file_the_metadata_does_not_record_is_refused(data_path, tmp_path, capsys):
    model = copy_model("live", tmp_path)
    metadata = json.loads((model / "metadata.json").read_text())
    del metadata["split_sha256"]
    (model / "metadata.json").write_text(json.dumps(metadata, indent=2))
    code, _, err = evaluate(capsys, model, data_path, out=tmp_path / "e")
    assert code == 2
    assert f"{model / 'split.json'}: metadata.json records no split_sha256" in err and "retrain" in err


def test_a_split_whose_held_out_count_differs_from_the_metadata_is_refused(data_path, tmp_path, capsys):
    model = copy_model("live", tmp_path)
    split = json.loads((model / "split.json").read_text())
    bits = bytearray(base64.b64decode(split["sources"][0]["held_out"]))
    first = next(i for i, byte in enumerate(bits) if byte != 0xFF)
    bits[first] |= 0x80 >> next(b for b in range(8) if not bits[first] & (0x80 >> b))     # one more held-out row
    split["sources"][0]["held_out"] = base64.b64encode(bytes(bits)).decode()
    raw = json.dumps(split, separators=(",", ":")).encode()
    (model / "split.json").write_bytes(raw)
    metadata = json.loads((model / "metadata.json").read_text())
    metadata["split_sha256"] = hashlib.sha256(raw).hexdigest()          # a consistent hash, an inconsistent split
    (model / "metadata.json").write_text(json.dumps(metadata, indent=2))
    code, _, err = evaluate(capsys, model, data_path, out=tmp_path / "e")
    assert code == 2
    test_rows = metadata["split"]["test_rows"]
    assert f"marks {test_rows + 1} held-out rows, metadata.json records {test_rows}" in err


# ---------------------------------------------------------------------- gap 4: held-out copies of fitted rows


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_held_out_rows_of_a_training_file_that_copy_fitted_rows_are_left_out(small_csv, tmp_path, capsys):
    with open(small_csv, newline="") as handle:
        header, *rows = list(csv.reader(handle))
    public = write_rows(tmp_path / "pub.csv", header, rows[0::2])
    copied = rows[0::2][: len(rows) // 4]                                 # half of B copies pub
    b = write_rows(tmp_path / "B.csv", header, rows[1::2][: len(copied)] + copied)
    model = tmp_path / "model"
    code, _, err = run(capsys, "train", "--data", public, "--data", b, "--out", model, "--folds", "2",
                       "--no-baselines", "--candidates", "logistic", "--features", "all")
    assert code == 0, err

    code, out, err = evaluate(capsys, model, b, out=tmp_path / "e")
    assert code == 0, err
    result = json.loads(out)
    source = result["sources"][0]
    split = json.loads((model / "split.json").read_text())
    held_out = sum(bin(byte).count("1") for byte in base64.b64decode(split["sources"][1]["held_out"]))
    excluded_copies = source["held_out_rows_identical_to_fitted_rows"]
    assert excluded_copies > 5                                           # copies of pub rows the model learnt
    assert source["scored_rows"] == result["rows"] == held_out - excluded_copies
    assert source["scored"] == "held-out"
    assert (f"{b}: training data of the model: scoring {result['rows']} of its {held_out} held-out rows "
            f"({excluded_copies} left out: identical to rows the model was trained on)") in err

    # exactly the training files: the recorded split, so the recorded metrics are reproduced; the copies are counted
    code, out, err = evaluate(capsys, model, public, b, out=tmp_path / "e")
    assert code == 0, err
    both = json.loads(out)
    metadata = json.loads((model / "metadata.json").read_text())
    assert both["rows"] == metadata["metrics"]["rows"]
    assert both["roc_auc"] == pytest.approx(metadata["metrics"]["roc_auc"], abs=1e-9)
    assert both["sources"][1]["held_out_rows_identical_to_fitted_rows"] >= excluded_copies
    assert "kept: exactly the training files, scored as in the recorded held-out metrics" in err


# ---------------------------------------------------------------------- gap 5: rows hashed on the model's columns


def test_reformatting_columns_the_model_does_not_read_still_recognises_training_rows(data_path, tmp_path, capsys):
    with open(data_path, newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        header = reader.fieldnames
    for row in rows:
        row["BounceRates"] = f"{float(row['BounceRates']):.2f}"           # the live model does not read it
    variant = tmp_path / "rounded.csv"
    with open(variant, "w", newline="") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    code, out, err = evaluate(capsys, MODELS / "live", variant, out=tmp_path / "e")
    assert code == 0, err
    result = json.loads(out)
    metadata = json.loads((MODELS / "live" / "metadata.json").read_text())
    excluded = result["sources"][0]["excluded_training_rows"]
    assert excluded >= metadata["split"]["train_rows"]                   # every fitted row is recognised
    assert result["rows"] == len(rows) - excluded <= metadata["split"]["test_rows"]


@pytest.mark.parametrize("name", ["live", "all"])
def test_the_split_file_names_the_hashed_columns_and_evaluate_reproduces_the_held_out_metrics(
        name, data_path, tmp_path, capsys):
    split = json.loads((MODELS / name / "split.json").read_text())
    metadata = json.loads((MODELS / name / "metadata.json").read_text())
    assert split["columns"] == metadata["features"] + ["Revenue"]
    code, out, err = evaluate(capsys, MODELS / name, data_path, out=tmp_path / "e")
    assert code == 0, err
    result = json.loads(out)
    assert result["scored_rows"] == "held-out" and result["rows"] == metadata["metrics"]["rows"]
    assert round(result["roc_auc"], 6) == metadata["metrics"]["roc_auc"] == {"live": 0.746979, "all": 0.936922}[name]


@pytest.mark.parametrize("name", ["live", "all"])
def test_a_fresh_training_run_writes_the_shipped_split_file(name, data_path, tmp_path, capsys):
    code, _, err = run(capsys, "train", "--data", data_path, "--out", tmp_path / name, "--features", name,
                       "--folds", "2", "--no-baselines", "--candidates", "logistic")
    assert code == 0, err
    assert (tmp_path / name / "split.json").read_bytes() == (MODELS / name / "split.json").read_bytes()


# ---------------------------------------------------------------------- gap 6: evaluate's own wording


def test_evaluate_refuses_the_same_file_twice_in_its_own_words(small_csv, tmp_path, capsys):
    code, _, err = evaluate(capsys, MODELS / "live", small_csv, small_csv, out=tmp_path / "e")
    assert code == 2
    assert f"--data {small_csv}: the same data as --data {small_csv}" in err
    assert "would score its rows twice" in err and "training" not in err


def test_the_docs_say_healthz_lists_the_watched_model_files():
    text = " ".join((REPO / "docs" / "intent.md").read_text().split())
    assert "the folders watched are listed" not in text
    assert "the files watched (each learned score's `model.json` and `metadata.json`) are listed in `/healthz` as " \
           "`rules.models`" in text
