"""Learning from the shop's own traffic: sessions through a real service → exported CSV → ``clickto train``
alone or merged with the public data; and the site statistics (BounceRates, ExitRates, PageValues)."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from clickto.cli import main
from clickto.testing import run_coroutine
from rules.intent import load_score_model
from rules.session import Session
from sdk import create_app
from sdk.sitestats import PRIOR_WEIGHT, SiteStats, SiteStatsBook, needs_stats
from sdk.testing import ADMIN, batch, page_view, service_config

MODELS = Path(__file__).resolve().parents[2] / "rules" / "intent" / "models"


def visit(client: TestClient, session: str, rng: random.Random) -> None:
    """A random visit; buyers look at more products for longer and end with an order."""
    buyer = rng.random() < 0.35
    start = time.time() * 1000 - 600_000
    pages = rng.randint(4, 12) if buyer else rng.randint(1, 6)
    events, t = [], start
    for index in range(pages):
        kind = rng.choice(["product", "product", "category", "info"])
        events.append(dict(page_view(f"/{kind}/{rng.randint(1, 5)}", kind), t=t))
        t += rng.randint(20_000, 60_000) if buyer else rng.randint(2_000, 20_000)
    if buyer:
        events.append(dict(page_view("/checkout/payment", "checkout", checkout_step="payment"), t=t))
        events.append({"type": "order", "value": rng.choice([40.0, 120.0]), "t": t + 1000})
    assert client.post("/v1/events", json=batch(session, *events)).status_code == 200


@pytest.fixture(scope="module")
def own_csv(tmp_path_factory) -> Path:
    """60 sessions through a real service, expired by its store, downloaded from the admin endpoint."""
    folder = tmp_path_factory.mktemp("own-traffic")
    app = create_app(service_config(folder, export_dir=folder / "export"))
    rng = random.Random(7)
    with TestClient(app) as client:
        for index in range(60):
            visit(client, f"visit-{index}", rng)
        assert run_coroutine(app.state.store.expire(time.time() + 3600)) == 60
        response = client.get("/v1/sites/demo/training-rows", headers={"Authorization": f"Bearer {ADMIN}"})
    assert response.status_code == 200
    target = folder / "own.csv"
    target.write_text(response.text)
    return target


def test_exported_rows_train_alone_and_merged_with_public_data(own_csv, small_csv, tmp_path, capsys):
    lines = own_csv.read_text().splitlines()
    assert len(lines) == 61 and any(line.endswith(",TRUE") for line in lines) and \
        any(line.endswith(",FALSE") for line in lines)

    merged = tmp_path / "merged"
    code = main(["train", "--data", str(small_csv), "--data", str(own_csv), "--out", str(merged), "--folds", "3",
                 "--no-baselines", "--test-size", "0.25", "--candidates", "logistic"])
    assert code == 0, capsys.readouterr().err
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"] == len(small_csv.read_text().splitlines()) - 1 + 60
    metadata = json.loads((merged / "metadata.json").read_text())
    assert [source["rows"] for source in metadata["training_data"]][-1] == 60
    assert metadata["training_data"][-1]["path"] == str(own_csv)

    alone = tmp_path / "alone"
    code = main(["train", "--data", str(own_csv), "--out", str(alone), "--folds", "2", "--no-baselines",
                 "--test-size", "0.3", "--candidates", "logistic"])
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["evaluate", "--model", str(alone), "--data", str(own_csv), "--out", str(tmp_path / "eval")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["scored_rows"] == "held-out" and result["rows"] == 18
    assert result["roc_auc"] > 0.8                            # buyers browse longer here: learnable
    model = load_score_model(alone)
    assert 0.0 <= model.score({"session": {"by_type": {"product": {"pages": 8, "seconds": 300}}}}) <= 1.0


# ---------------------------------------------------------------------- site statistics


def finished(landing: str, *more: str, order: float | None = None) -> Session:
    session = Session("s", "demo", now=1000.0)
    for index, path in enumerate((landing, *more)):
        session.apply({"type": "page_view", "url": f"http://shop.test{path}", "path": path}, 1000.0 + index)
    if order is not None:
        session.apply({"type": "order", "value": order}, 1100.0)
    return session


def test_statistics_follow_the_analytics_definitions():
    stats = SiteStats(min_sessions=1)
    stats.add(finished("/a"))                                  # bounce on /a
    stats.add(finished("/a", "/b", order=100.0))               # entered /a, left from /b, ordered
    stats.add(finished("/b", "/c"))
    assert stats.finished == 3 and len(stats) == 3
    site_bounce, site_exit, site_value = 1 / 3, 3 / 5, 200 / 5   # 1 of 3 entries; 3 exits / 5 views; value/page-sessions
    k = PRIOR_WEIGHT
    a = stats.page("/a")
    assert a["bounce_rate"] == pytest.approx((1 + k * site_bounce) / (2 + k))
    assert a["exit_rate"] == pytest.approx((1 + k * site_exit) / (2 + k))
    assert a["page_value"] == pytest.approx((100 + k * site_value) / (2 + k))
    c = stats.page("/c")
    assert c["page_value"] == pytest.approx((0 + k * site_value) / (1 + k)) and c["page_value"] < a["page_value"]
    unseen = stats.page("/never")
    assert unseen == pytest.approx({"bounce_rate": site_bounce, "exit_rate": site_exit, "page_value": site_value})
    mean = stats.for_session(finished("/a", "/c"))
    assert mean["page_value"] == pytest.approx((a["page_value"] + c["page_value"]) / 2)


def test_no_statistics_below_the_traffic_threshold_and_memory_is_capped():
    stats = SiteStats(min_sessions=3, max_pages=4)
    probe = finished("/a", "/b")
    for index in range(2):
        stats.add(finished(f"/p{index}", "/a"))
        assert stats.for_session(probe) is None and not stats.ready
    stats.add(finished("/x"))
    assert stats.ready and set(stats.for_session(probe)) == {"bounce_rate", "exit_rate", "page_value"}
    for index in range(20):
        stats.add(finished(f"/many{index}"))
    assert len(stats) == 4 and stats.summary()["pages_tracked"] == 4
    stats.add(Session("empty", "demo", now=0.0))               # no page view: not counted
    assert stats.finished == 23


def test_only_rules_with_an_all_features_model_get_statistics():
    import rules

    def ruleset(model: str):
        return rules.load(f"version: 1\nchannels: {{chat: {{label: Chat}}}}\nscores:\n  intent: {{model: {MODELS / model}}}\n"
                          "rules:\n  - {id: r, when: {score.intent: {$gte: 0.5}}, show: chat}\n")

    every, live = ruleset("all"), ruleset("live")
    assert needs_stats(every) and not needs_stats(live)
    book = SiteStatsBook(["demo"], min_sessions=1)
    book.add("demo", finished("/a", "/b", order=50.0))
    session = finished("/a")
    book.attach(session, live)
    assert session.site_stats is None and "stats" not in session.facts(2000.0)
    book.attach(session, every)
    facts = session.facts(2000.0)
    assert facts["stats"]["page_value"] > 0
    model = load_score_model(MODELS / "all")
    without = dict(facts)
    del without["stats"]
    assert model.score(facts) != model.score(without)          # the model reads the statistics


# ---------------------------------------------------------------------- device and traffic source (--features own)


def coded_visit(client: TestClient, session: str, rng: random.Random) -> bool:
    """A visit whose outcome depends only on device and traffic source: buyers come by email on a desktop."""
    from sdk.testing import SHOP

    buyer = rng.random() < 0.4
    likely = buyer if rng.random() < 0.9 else not buyer
    device, medium = ("desktop", "email") if likely else (rng.choice(["mobile", "tablet"]), "social")
    start = time.time() * 1000 - 600_000
    events = [dict(page_view("/product/1", "product", device=device, url=f"{SHOP}/product/1?utm_medium={medium}"),
                   t=start),
              dict(page_view("/product/2", "product"), t=start + 20_000)]
    if buyer:
        events.append(dict(page_view("/checkout/confirmation", "checkout", checkout_step="confirmation"),
                           t=start + 40_000))
        events.append({"type": "order", "value": 50.0, "t": start + 40_500})
    else:
        events.append({"type": "activity", "t": start + 40_000})   # the same 40 s as a buyer before the order
    assert client.post("/v1/events", json=batch(session, *events)).status_code == 200
    return buyer


@pytest.fixture(scope="module")
def coded_csv(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("coded-traffic")
    app = create_app(service_config(folder))
    rng = random.Random(11)
    with TestClient(app) as client:
        for index in range(120):
            coded_visit(client, f"coded-{index}", rng)
        assert run_coroutine(app.state.store.expire(time.time() + 3600)) == 120
        response = client.get("/v1/sites/demo/training-rows", headers={"Authorization": f"Bearer {ADMIN}"})
    target = folder / "own.csv"
    target.write_text(response.text)
    return target


def test_own_rows_carry_device_and_source_codes_and_the_own_model_learns_from_them(coded_csv, tmp_path, capsys):
    import csv

    rows = list(csv.DictReader(coded_csv.open()))
    assert {row["OperatingSystems"] for row in rows} == {"101", "102", "103"}          # desktop, mobile, tablet
    assert {row["TrafficType"] for row in rows} == {"104", "103"}                       # email, social
    assert {(row["Browser"], row["Region"]) for row in rows} == {("2", "1")}

    out = tmp_path / "own"
    code = main(["train", "--data", str(coded_csv), "--out", str(out), "--features", "own", "--folds", "3",
                 "--no-baselines", "--test-size", "0.3", "--candidates", "logistic"])
    assert code == 0, capsys.readouterr().err
    summary = json.loads(capsys.readouterr().out)
    assert summary["features"] == "own" and summary["held_out"]["roc_auc"] > 0.8

    model = load_score_model(out)
    assert {"device.type", "session.traffic_source"} <= set(model.fact_paths)
    pages = {"by_type": {"product": {"pages": 2, "seconds": 40}}}
    desktop_email = model.score({"session": {**pages, "traffic_source": "email"}, "device": {"type": "desktop"}})
    mobile_social = model.score({"session": {**pages, "traffic_source": "social"}, "device": {"type": "mobile"}})
    assert desktop_email > 0.5 > mobile_social


def test_own_features_refuse_the_public_codes_and_all_warns_about_own_codes(coded_csv, small_csv, tmp_path, capsys):
    assert main(["train", "--data", str(small_csv), "--data", str(coded_csv), "--out", str(tmp_path / "mixed"),
                 "--features", "own", "--folds", "2", "--no-baselines", "--candidates", "logistic"]) == 2
    err = capsys.readouterr().err
    public_rows = len(small_csv.read_text().splitlines()) - 1
    assert f"{small_csv} ({public_rows} of {public_rows} rows) carry the public dataset's opaque codes" in err
    assert str(coded_csv) not in err.split("but", 1)[1]
    assert main(["train", "--data", str(small_csv), "--data", str(coded_csv), "--out", str(tmp_path / "all"),
                 "--features", "all", "--folds", "2", "--no-baselines", "--test-size", "0",
                 "--candidates", "logistic"]) == 0
    err = capsys.readouterr().err
    assert "warning: 120 rows carry clickto's own device/traffic-source codes mixed with rows in the public data's" \
        in err
    metadata = json.loads((tmp_path / "all" / "metadata.json").read_text())
    assert any("own device/traffic-source codes" in warning for warning in metadata["warnings"])

    # evaluating checks the codes as training does: figures on rows the model reads the other way mean nothing
    assert main(["evaluate", "--model", str(tmp_path / "all"), "--data", str(coded_csv), "--all-rows",
                 "--out", str(tmp_path / "all-eval")]) == 0
    assert ("clickto evaluate: the model was trained with --features all: 120 rows carry clickto's own "
            "device/traffic-source codes") in capsys.readouterr().err
    assert main(["train", "--data", str(coded_csv), "--out", str(tmp_path / "own"), "--features", "own",
                 "--folds", "2", "--no-baselines", "--test-size", "0.3", "--candidates", "logistic"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--model", str(tmp_path / "own"), "--data", str(small_csv)]) == 2
    err = capsys.readouterr().err
    assert "the model was trained with --features own: --features own reads" in err and "opaque codes" in err
