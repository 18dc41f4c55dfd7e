"""A model that was tampered with, made for other features, or is not valid JSON is refused with a clear error."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from rules.intent import ModelError, load_score_model
from rules.intent.model import METADATA_FILE, MODEL_FILE


@pytest.fixture
def model_dir(trained_all, tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(trained_all[1], target)
    return target


def rewrite_model(folder: Path, text: str) -> None:
    """Replace model.json and record its new hash, as someone who edits the files on purpose would."""
    (folder / MODEL_FILE).write_text(text)
    metadata = json.loads((folder / METADATA_FILE).read_text())
    metadata["model_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    (folder / METADATA_FILE).write_text(json.dumps(metadata))


def edit_document(folder: Path, change) -> None:
    document = json.loads((folder / MODEL_FILE).read_text())
    change(document)
    rewrite_model(folder, json.dumps(document))


def test_a_changed_model_file_fails_the_hash_check(model_dir):
    text = (model_dir / MODEL_FILE).read_text()
    (model_dir / MODEL_FILE).write_text(text.replace('"threshold":0.', '"threshold":0.9', 1))
    with pytest.raises(ModelError, match="sha256 .* does not match .* recorded in metadata.json"):
        load_score_model(model_dir)


def test_a_feature_list_other_than_the_code_computes_is_refused(model_dir):
    edit_document(model_dir, lambda d: d["features"].reverse())
    with pytest.raises(ModelError, match=r"features: feature list .* does not match what this clickto computes"):
        load_score_model(model_dir)


def test_a_live_model_claiming_all_features_is_refused(model_dir):
    edit_document(model_dir, lambda d: d.update(feature_set="live"))
    with pytest.raises(ModelError, match="does not match what this clickto computes for 'live'"):
        load_score_model(model_dir)


def test_malformed_json_names_line_and_column(model_dir):
    rewrite_model(model_dir, '{"format": "clickto-intent-model",\n "version": 1,,}')
    with pytest.raises(ModelError, match=r"model\.json:2:15: malformed JSON"):
        load_score_model(model_dir)


def test_malformed_metadata_is_refused(model_dir):
    (model_dir / METADATA_FILE).write_text("{not json")
    with pytest.raises(ModelError, match=r"metadata\.json:1:2: malformed JSON"):
        load_score_model(model_dir)


def test_missing_folder_and_missing_metadata(tmp_path, model_dir):
    with pytest.raises(ModelError, match="no such model directory"):
        load_score_model(tmp_path / "nowhere")
    (model_dir / METADATA_FILE).unlink()
    with pytest.raises(ModelError, match=r"metadata\.json: no such file"):
        load_score_model(model_dir)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.update(format="pickle"), "not a clickto intent model"),
    (lambda d: d.update(version=2), "format version 2 is not supported"),
    (lambda d: d["estimator"].update(kind="neural_net"), "unknown estimator kind 'neural_net'"),
    (lambda d: d["calibration"].update(kind="magic"), "unknown calibration 'magic'"),
    (lambda d: d.update(threshold="high"), r"threshold: expected a finite number"),
    (lambda d: d["defaults"].pop("PageValues"), r"defaults.PageValues: missing"),
])
def test_structural_problems_name_the_field(model_dir, change, message):
    edit_document(model_dir, change)
    with pytest.raises(ModelError, match=message):
        load_score_model(model_dir)


def _first_tree(document: dict) -> dict:
    if document["estimator"]["kind"] != "gradient_boosting":
        pytest.skip("the sample's winner is the linear model")
    return document["estimator"]["trees"][0]


def test_trees_cannot_loop_or_smuggle_code(model_dir):
    def loop(document):
        tree = _first_tree(document)
        tree["left"][0] = 0
    edit_document(model_dir, loop)
    with pytest.raises(ModelError, match=r"trees\[0\].*children must come after their parent"):
        load_score_model(model_dir)

    def code(document):
        _first_tree(document)["threshold"][0] = "__import__('os').system('false')"
    edit_document(model_dir, code)
    with pytest.raises(ModelError, match=r"trees\[0\]\.threshold\[0\]: expected a finite number"):
        load_score_model(model_dir)


def test_loading_never_unpickles(model_dir, monkeypatch):
    import pickle

    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("pickle.loads called"))
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("pickle.load called"))
    assert 0.0 <= load_score_model(model_dir).score({}) <= 1.0
