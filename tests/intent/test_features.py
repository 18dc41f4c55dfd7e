"""Session facts → the dataset's columns; own-traffic rows; CSV reading errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.intent import export_sessions_csv, session_to_row
from rules.intent.data import load_datasets, read_csv
from rules.intent.features import ALL_FEATURES, COLUMNS, LIVE_FEATURES, SESSION_DEFAULTS, DataError, facts_to_row


def test_real_session_facts_map_to_the_dataset_columns(browse):
    SATURDAY_IN_NOVEMBER = browse.start
    session = browse([
        (0, {"type": "page_view", "path": "/", "page_type": "home"}),
        (10, {"type": "page_view", "path": "/c/cameras", "page_type": "category"}),
        (40, {"type": "page_view", "path": "/p/1", "page_type": "product"}),
        (100, {"type": "page_view", "path": "/about", "page_type": "info"}),
        (105, {"type": "page_view", "path": "/cart", "page_type": "cart"}),
        (125, {"type": "page_view", "path": "/checkout", "page_type": "checkout"}),
    ], visit_count=3)
    facts = session.facts(SATURDAY_IN_NOVEMBER + 155)
    row = dict(zip(LIVE_FEATURES, facts_to_row(facts, LIVE_FEATURES, SESSION_DEFAULTS)))
    assert row["ProductRelated"] == 3 and row["ProductRelated_Duration"] == pytest.approx(100)
    assert row["Informational"] == 1 and row["Informational_Duration"] == pytest.approx(5)
    assert row["Administrative"] == 2 and row["Administrative_Duration"] == pytest.approx(50)  # cart 20 + checkout 30
    assert row["Month"] == 11 and row["Weekend"] == 1.0
    assert row["VisitorType"] == 2.0                       # Returning_Visitor


def test_missing_facts_fall_back_to_defaults_and_stats_are_read_when_present():
    defaults = {**SESSION_DEFAULTS, "Month": 5.0, "PageValues": 0.0}
    row = dict(zip(ALL_FEATURES, facts_to_row({}, ALL_FEATURES, defaults)))
    assert row["Month"] == 5.0 and row["VisitorType"] == 0.0 and row["Weekend"] == 0.0
    assert row["ProductRelated"] == 0 and row["TrafficType"] == SESSION_DEFAULTS["TrafficType"]
    facts = {"stats": {"bounce_rate": 0.02, "exit_rate": 0.05, "page_value": 12.5}, "time": {"month": 13},
             "session": {"visit_count": 4, "by_type": {"product": {"pages": "many", "seconds": -3}}}}
    row = dict(zip(ALL_FEATURES, facts_to_row(facts, ALL_FEATURES, defaults)))
    assert (row["BounceRates"], row["ExitRates"], row["PageValues"]) == (0.02, 0.05, 12.5)
    assert row["Month"] == 5.0                             # 13 is no month: the default
    assert row["VisitorType"] == 2.0                       # visit_count 4 without 'returning'
    assert row["ProductRelated"] == 0 and row["ProductRelated_Duration"] == 0   # junk counts as nothing


def test_finished_sessions_export_as_training_rows(tmp_path: Path, sample_csv: Path, browse):
    SATURDAY_IN_NOVEMBER = browse.start
    bought = browse([(0, {"type": "page_view", "path": "/p/1", "page_type": "product"}),
                     (30, {"type": "order", "value": 120})]).facts(SATURDAY_IN_NOVEMBER + 60)
    left = browse([(0, {"type": "page_view", "path": "/", "page_type": "home"})]).facts(SATURDAY_IN_NOVEMBER + 5)
    rows = [session_to_row(bought, ordered=True), session_to_row(left, ordered=False)]
    assert list(rows[0]) == list(COLUMNS)
    assert rows[0]["Revenue"] == "TRUE" and rows[0]["Month"] == "Nov" and rows[0]["VisitorType"] == "New_Visitor"
    assert rows[0]["ProductRelated"] == "1" and float(rows[0]["ProductRelated_Duration"]) == pytest.approx(60)
    path = tmp_path / "own.csv"
    assert export_sessions_csv(rows, path) == 2
    X, y = read_csv(path)
    assert y.tolist() == [1, 0] and X.shape == (2, len(ALL_FEATURES))
    merged = load_datasets([sample_csv, path])
    assert len(merged.y) == len(read_csv(sample_csv)[1]) + 2 and len(merged.sources) == 2


def test_export_refuses_a_bad_row_and_writes_nothing(tmp_path: Path):
    good = session_to_row({}, ordered=False)
    with pytest.raises(DataError, match="row 1: column Month: unknown month 'Smarch'"):
        export_sessions_csv([good, {**good, "Month": "Smarch"}], tmp_path / "own.csv")
    with pytest.raises(DataError, match=r"row 0: missing columns \['Revenue'\]"):
        export_sessions_csv([{k: v for k, v in good.items() if k != "Revenue"}], tmp_path / "own.csv")
    assert not (tmp_path / "own.csv").exists()


HEADER = ",".join(COLUMNS)
ROW = "0,0,0,0,1,0,0.2,0.2,0,0,Feb,1,1,1,1,Returning_Visitor,FALSE,FALSE"


@pytest.mark.parametrize(("text", "message"), [
    ("", r"bad\.csv:1: empty file"),
    (HEADER.replace(",Region", "") + "\n", r"bad\.csv:1: header: missing columns: Region"),
    (HEADER + ",Extra\n", r"bad\.csv:1: header: unknown columns: Extra"),
    (HEADER + ",\n" + ROW + ",\n", r"bad\.csv:1: header: an empty column name \(a delimiter at the end of the header line"),
    (HEADER + "\n" + ROW + "\n" + ROW.replace(",Feb,", ',"Feb,') + "\n" + ROW.replace(",FALSE,FALSE", ',FALSE",FALSE')
     + "\n" + ROW + "\n", r"bad\.csv:3: expected 18 cells, got 12 \(a quote opened on this line closes lines later\?\)"),
    (HEADER + "\n" + ROW + "\n" + ROW.replace(",Feb,", ',"Feb,') + "\n" + (ROW + "\n") * 8000,
     r"bad\.csv:3: not a readable CSV: field larger than field limit \(131072\) \(a quote opened on this line"),
    (HEADER + "\n", r"bad\.csv: no data rows"),
    (HEADER + "\n" + ROW + "\n" + ROW.replace("Feb", "Febuary") + "\n", r"bad\.csv:3: column Month: unknown month"),
    (HEADER + "\n" + ROW.replace("0,0,0,0,1", "0,0,x,0,1", 1) + "\n", r"bad\.csv:2: column Informational: expected a number, got 'x'"),
    (HEADER + "\n" + ROW.replace(",FALSE,FALSE", ",FALSE,maybe") + "\n", r"bad\.csv:2: column Revenue: expected TRUE or FALSE"),
    (HEADER + "\n" + ROW + ",7\n", r"bad\.csv:2: expected 18 cells, got 19"),
    (HEADER + "\n" + ROW.replace("0,0,0,0,1", "0,0,0,-4,1", 1) + "\n", r"column Informational_Duration: expected a number >= 0"),
])
def test_bad_csv_errors_name_file_line_and_column(tmp_path: Path, text: str, message: str):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        read_csv(path)


def test_semicolon_mirror_and_single_class_data(tmp_path: Path):
    path = tmp_path / "semi.csv"
    path.write_text(HEADER.replace(",", ";") + "\r\n" + ROW.replace(",", ";") + "\r\n")
    X, y = read_csv(path)
    assert X[0, ALL_FEATURES.index("BounceRates")] == 0.2 and y.tolist() == [0]
    with pytest.raises(DataError, match="every row has the same value"):
        load_datasets([path])
