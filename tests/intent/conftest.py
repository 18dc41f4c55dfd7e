"""Fixtures for the intent tests: the shipped UCI data, a small stratified sample of it, and one trained model."""

from __future__ import annotations

import csv
import os
import random
from datetime import datetime, timezone
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("CLICKTO_INTENT_DATA", REPO.parent / "shared" / "data" / "online_shoppers_intention.csv"))


def write_sample(source: Path, target: Path, share: float, seed: int) -> Path:
    """A stratified sample: the same share of buyers and of non-buyers, so the 15 % base rate is kept."""
    with open(source, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = list(reader)
    label = header.index("Revenue")
    rng = random.Random(seed)
    chosen = []
    for value in ("TRUE", "FALSE"):
        group = [row for row in rows if row[label] == value]
        chosen += rng.sample(group, round(len(group) * share))
    rng.shuffle(chosen)
    with open(target, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(chosen)
    return target


@pytest.fixture(scope="session")
def data_path() -> Path:
    if not DATA.is_file():
        pytest.skip(f"the UCI online shoppers data is not at {DATA} (set CLICKTO_INTENT_DATA)")
    return DATA


@pytest.fixture(scope="session")
def sample_csv(data_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample(data_path, tmp_path_factory.mktemp("intent-data") / "sample.csv", share=0.12, seed=0)


@pytest.fixture(scope="session")
def small_csv(data_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 6 % stratified sample (about 740 rows) for the CLI, where every run trains from scratch."""
    return write_sample(data_path, tmp_path_factory.mktemp("cli-data") / "small.csv", share=0.06, seed=1)


@pytest.fixture(scope="session")
def sample_data(sample_csv: Path):
    from rules.intent.data import load_datasets

    return load_datasets([sample_csv])


@pytest.fixture(scope="session")
def trained_all(sample_data, tmp_path_factory: pytest.TempPathFactory):
    """A gradient-boosting 'all' model trained on the sample (3 folds): (TrainResult, model folder)."""
    from rules.intent.train import train, write_model

    result = train(sample_data, feature_set="all", seed=0, test_size=0.25, folds=3, baselines=True,
                   candidates=["logistic", "gbm_8_leaves"])
    out = write_model(result, tmp_path_factory.mktemp("model-all"))
    return result, out


SATURDAY_IN_NOVEMBER = datetime(2026, 11, 21, 15, 0, tzinfo=timezone.utc).timestamp()


def browse_session(events: list[tuple[float, dict]], visit_count: int = 1):
    """A real engine session fed events at start + offset (page views visible, so engaged dwell counts)."""
    from rules.session import Session

    session = Session("s1", "demo", SATURDAY_IN_NOVEMBER)
    for offset, event in events:
        event = {"t": 0, **event}
        if event["type"] == "page_view":
            event.setdefault("url", f"https://shop.example{event.get('path', '/')}")
            event.setdefault("visit_count", visit_count)
            event.setdefault("visible", True)
        session.apply(event, SATURDAY_IN_NOVEMBER + offset)
    return session


browse_session.start = SATURDAY_IN_NOVEMBER  # type: ignore[attr-defined]


@pytest.fixture
def browse():
    """``browse(events, visit_count=1) -> Session``; ``browse.start`` is the session's start (a Saturday in Nov)."""
    return browse_session
