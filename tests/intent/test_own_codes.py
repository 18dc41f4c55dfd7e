"""``--features own``: every row must carry clickto's own code in both OperatingSystems and TrafficType."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

from clickto.cli import main


def recode(source: Path, target: Path, change) -> Path:
    """``source`` with ``change(index, row)`` applied to each data row (a dict of the columns)."""
    with open(source, newline="") as handle:
        reader = csv.DictReader(handle)
        rows, header = list(reader), reader.fieldnames
    for index, row in enumerate(rows):
        change(index, row)
    with open(target, "w", newline="") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return target


def own_codes(index: int, row: dict) -> None:
    rng = random.Random(index)
    row["OperatingSystems"] = str(rng.randint(100, 103))
    row["TrafficType"] = str(rng.randint(100, 107))


def train_own(path: Path, out: Path) -> int:
    return main(["train", "--data", str(path), "--out", str(out), "--features", "own", "--folds", "2",
                 "--no-baselines", "--test-size", "0", "--candidates", "logistic"])


def test_rows_in_own_codes_train(small_csv, tmp_path, capsys):
    assert train_own(recode(small_csv, tmp_path / "own.csv", own_codes), tmp_path / "m") == 0, capsys.readouterr().err
    assert json.loads((tmp_path / "m" / "metadata.json").read_text())["feature_set"] == "own"


@pytest.mark.parametrize(("column", "value", "reason"), [
    ("TrafficType", "7", "TrafficType 7 is a code of the public data, but OperatingSystems 101 is one of clickto's "
                         "own codes"),
    ("OperatingSystems", "3", "OperatingSystems 3 is a code of the public data, but TrafficType 104 is one of "
                              "clickto's own codes"),
    ("TrafficType", "108", "TrafficType 108 is not one of clickto's own codes (100 to 107)"),
    ("OperatingSystems", "104", "OperatingSystems 104 is not one of clickto's own codes (100 to 103)"),
])
def test_a_row_half_in_public_codes_or_above_the_table_is_refused(small_csv, tmp_path, capsys, column, value,
                                                                    reason):
    def change(index: int, row: dict) -> None:
        row["OperatingSystems"], row["TrafficType"] = "101", "104"
        if index >= 4:
            row[column] = value

    path = recode(small_csv, tmp_path / "half.csv", change)
    assert train_own(path, tmp_path / "m") == 2
    err = capsys.readouterr().err
    rows = len(path.read_text().splitlines()) - 1
    assert f"{path}:6: column {column}: {reason}" in err                     # data row 5 is line 6
    assert f"({rows - 4} such rows in {path})" in err
    assert not (tmp_path / "m").exists()
