"""Finished sessions become training rows: expiry, LRU eviction and shutdown write them (once), the admin
endpoint serves them as CSV, the export file is bounded, and `clickto train` reads what was exported."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from clickto.testing import run_coroutine
from rules.intent.features import COLUMNS
from sdk import create_app
from sdk.cli import build_parser
from sdk.openapi import openapi_document
from sdk.testing import ADMIN, ANA_TOKEN, SHOP, batch, page_view, service_config

ROWS_URL = "/v1/sites/demo/training-rows"
MODELS = Path(__file__).resolve().parents[2] / "rules" / "intent" / "models"


def shop_visit(client: TestClient, session: str, *, order: float | None = None, pages: int = 3) -> None:
    """A visit: home, ``pages - 1`` product pages (some seconds apart), optionally an order."""
    start = time.time() * 1000 - 60_000
    events = [dict(page_view("/", "home"), t=start)]
    for index in range(1, pages):
        events.append(dict(page_view(f"/product/{index}", "product"), t=start + index * 10_000))
    if order is not None:
        events.append(dict(page_view("/checkout/confirmation", "checkout", checkout_step="confirmation"),
                           t=start + pages * 10_000))
        events.append({"type": "order", "value": order, "t": start + pages * 10_000 + 500})
    response = client.post("/v1/events", json=batch(session, *events))
    assert response.status_code == 200, response.text


def rows_of(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == list(COLUMNS)
    return list(reader)


def expire_all(app) -> int:
    """What the sweeper does, an hour later: every session is past its idle TTL."""
    return run_coroutine(app.state.store.expire(time.time() + 3600))


def admin_rows(client: TestClient) -> list[dict[str, str]]:
    response = client.get(ROWS_URL, headers={"Authorization": f"Bearer {ADMIN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return rows_of(response.text)


@pytest.fixture
def export_dir(tmp_path: Path) -> Path:
    return tmp_path / "export"


@pytest.fixture
def app(tmp_path, export_dir):
    return create_app(service_config(tmp_path, export_dir=export_dir))


def test_expired_sessions_become_rows_with_the_outcome(app, export_dir):
    with TestClient(app) as client:
        shop_visit(client, "buyer", order=129.9, pages=4)
        shop_visit(client, "browser", pages=2)
        assert admin_rows(client) == []                       # nothing has finished yet
        assert expire_all(app) == 2
        rows = admin_rows(client)
    by_revenue = {row["Revenue"]: row for row in rows}
    assert sorted(by_revenue) == ["FALSE", "TRUE"]
    buyer, browser = by_revenue["TRUE"], by_revenue["FALSE"]
    # home + 3 products; the confirmation page the order arrived on is not part of the row (it is the outcome)
    assert buyer["ProductRelated"] == "4" and buyer["Administrative"] == "0"
    assert float(buyer["ProductRelated_Duration"]) == pytest.approx(40, abs=1)
    assert float(buyer["Administrative_Duration"]) == 0
    assert browser["ProductRelated"] == "2" and browser["Administrative"] == "0"
    assert buyer["VisitorType"] == "New_Visitor" and buyer["Month"] in {"Jan", "Feb", "Mar", "Apr", "May", "June",
                                                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
    on_disk = rows_of((export_dir / "demo.csv").read_text())
    assert on_disk == rows                                    # the file and the endpoint agree
    # the session is gone: expiring again or shutting down writes nothing more
    assert expire_all(app) == 0
    assert len(rows_of((export_dir / "demo.csv").read_text())) == 2


def test_the_sweeper_exports_idle_sessions(tmp_path, export_dir):
    app = create_app(service_config(tmp_path, export_dir=export_dir, session_ttl=0.3, sweep_interval=0.05))
    with TestClient(app) as client:
        response = client.post("/v1/events", json=batch("quick", page_view("/", "home")))
        assert response.status_code == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not admin_rows(client):
            time.sleep(0.05)   # polling the real sweeper (TTL 0.3 s), bounded
        rows = admin_rows(client)
    assert [row["Revenue"] for row in rows] == ["FALSE"] and rows[0]["ProductRelated"] == "1"


def test_shutdown_flushes_live_sessions_once(app, export_dir):
    with TestClient(app) as client:
        shop_visit(client, "live-buyer", order=50)
        client.post("/v1/events", json=batch("no-pages", {"type": "activity"}))
        assert admin_rows(client) == []
    rows = rows_of((export_dir / "demo.csv").read_text())
    assert [row["Revenue"] for row in rows] == ["TRUE"]     # the session without a page view is no row
    with TestClient(app):   # a second lifespan in the same process: the same session is not written again
        pass
    assert expire_all(app) == 2                              # ... nor when it expires later
    assert len(rows_of((export_dir / "demo.csv").read_text())) == 1


def test_lru_evicted_sessions_are_rows_too(tmp_path, export_dir):
    app = create_app(service_config(tmp_path, export_dir=export_dir, max_sessions=2))
    with TestClient(app) as client:
        for name in ("a", "b", "c"):
            shop_visit(client, name, pages=2)
        assert len(admin_rows(client)) == 1 and app.state.store.evicted == 1


def test_rows_are_kept_in_memory_without_an_export_folder(tmp_path):
    app = create_app(service_config(tmp_path))
    with TestClient(app) as client:
        shop_visit(client, "s1", order=10)
        expire_all(app)
        assert [row["Revenue"] for row in admin_rows(client)] == ["TRUE"]


def test_export_file_is_bounded_and_rotates(tmp_path, export_dir):
    app = create_app(service_config(tmp_path, export_dir=export_dir, export_max_rows=2))
    with TestClient(app) as client:
        for name in ("a", "b", "c"):
            shop_visit(client, name, pages=2)
            expire_all(app)
        assert len(admin_rows(client)) == 3                    # previous + current file, one header
    assert len(rows_of((export_dir / "demo.old.csv").read_text())) == 2
    assert len(rows_of((export_dir / "demo.csv").read_text())) == 1


def test_an_existing_export_file_is_appended_to(tmp_path, export_dir):
    for _ in range(2):   # two service runs, one file
        app = create_app(service_config(tmp_path, export_dir=export_dir))
        with TestClient(app) as client:
            shop_visit(client, "s", pages=2)
    text = (export_dir / "demo.csv").read_text()
    assert text.count("Administrative,") == 1 and len(rows_of(text)) == 2


def test_a_foreign_file_is_moved_aside_not_mixed(tmp_path, export_dir):
    export_dir.mkdir()
    (export_dir / "demo.csv").write_text("a,b\n1,2\n")
    app = create_app(service_config(tmp_path, export_dir=export_dir))
    with TestClient(app) as client:
        shop_visit(client, "s", pages=2)
    assert (export_dir / "demo.old.csv").read_text() == "a,b\n1,2\n"
    assert len(rows_of((export_dir / "demo.csv").read_text())) == 1


def test_an_unusable_export_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ValueError, match="export folder .*file"):
        create_app(service_config(tmp_path, export_dir=blocker))


@pytest.mark.parametrize("headers, status, message", [
    ({}, 401, "Authorization: Bearer TOKEN is required"),
    ({"Authorization": "Bearer wrong"}, 401, "the token is not valid for site 'demo'"),
    ({"Authorization": f"Bearer {ANA_TOKEN}"}, 403, "this needs the site's admin token"),
])
def test_training_rows_need_the_admin_token(app, headers, status, message):
    with TestClient(app) as client:
        response = client.get(ROWS_URL, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert message in response.json()["error"] and response.json()["field"] == "Authorization"


def test_unknown_site_and_foreign_origin(app):
    with TestClient(app) as client:
        unknown = client.get("/v1/sites/nope/training-rows", headers={"Authorization": f"Bearer {ADMIN}"})
        foreign = client.get(ROWS_URL, headers={"Authorization": f"Bearer {ADMIN}", "Origin": "http://evil.test"})
        allowed = client.get(ROWS_URL, headers={"Authorization": f"Bearer {ADMIN}", "Origin": SHOP})
    assert unknown.status_code == 404 and unknown.json() == {"error": "unknown site 'nope'", "field": "site"}
    assert foreign.status_code == 403 and "access-control-allow-origin" not in foreign.headers
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == SHOP


def test_openapi_and_cli_describe_the_export():
    path = openapi_document()["paths"]["/v1/sites/{site}/training-rows"]
    assert path["get"]["security"] and "text/csv" in path["get"]["responses"]["200"]["content"]
    json.dumps(path)
    args = build_parser().parse_args(["--rules", "r.yaml", "--export-dir", "/tmp/x"])
    assert args.export_dir == Path("/tmp/x")


ALL_MODEL_RULES = f"""\
version: 1
channels:
  chat: {{label: "Chat", needs: advisors}}
scores:
  intent: {{model: {MODELS / 'all'}}}
rules:
  - id: likely-buyer
    when: {{score.intent: {{$gte: 0.99}}}}
    show: chat
"""


def test_site_statistics_fill_rows_once_there_is_enough_traffic(tmp_path, export_dir):
    app = create_app(service_config(tmp_path, ALL_MODEL_RULES, export_dir=export_dir, stats_min_sessions=3))
    with TestClient(app) as client:
        for index in range(5):
            shop_visit(client, f"s{index}", order=80.0 if index % 2 == 0 else None, pages=1 + index % 3)
            expire_all(app)
        rows = admin_rows(client)
        shop_visit(client, "live", pages=3)
        live = run_coroutine(app.state.store.get(("demo", "live"), time.time()))
    stats_columns = [(row["BounceRates"], row["ExitRates"], row["PageValues"]) for row in rows]
    assert stats_columns[:3] == [("0", "0", "0")] * 3        # below the threshold: no statistics
    assert all(float(exit_rate) > 0 for _, exit_rate, _ in stats_columns[3:])
    assert all(float(value) > 0 for _, _, value in stats_columns[3:])  # orders were attributed to pages
    assert live.site_stats is not None and set(live.site_stats) == {"bounce_rate", "exit_rate", "page_value"}
    assert live.facts(time.time())["stats"] == live.site_stats


def test_live_model_rules_get_no_statistics(tmp_path):
    app = create_app(service_config(tmp_path, ALL_MODEL_RULES.replace("/all", "/live"), stats_min_sessions=1))
    with TestClient(app) as client:
        shop_visit(client, "a", pages=2)
        expire_all(app)
        shop_visit(client, "b", pages=2)
        session = run_coroutine(app.state.store.get(("demo", "b"), time.time()))
    assert session.site_stats is None and "stats" not in session.facts(time.time())
