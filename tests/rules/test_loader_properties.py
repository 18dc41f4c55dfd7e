"""Property tests: whatever a merchant (or a fuzzer) writes, loading answers with RuleErrors, never a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from rules.errors import RuleError, RuleErrors
from rules.loader import check, load
from rules.schema import OPERATORS

REPO = Path(__file__).resolve().parents[2]
BASE = yaml.safe_load((REPO / "examples" / "rules.yaml").read_text())
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORDS = ["version", "channels", "segments", "scores", "rules", "id", "when", "show", "priority", "cooldown",
         "schedule", "holdout", "timezone", "days", "hours", "label", "needs", "model", "add", "description",
         "chat", "community", "none", "page.type", "cart.value", "score.hesitation", "custom.x", "$and", "$or",
         "$not", "x-anchor", *OPERATORS]


def no_model(path: Path) -> object:
    raise ValueError("no models in property tests")


def only_rule_errors(source: Any) -> None:
    """``check`` returns RuleErrors with positions; ``load`` raises only ``RuleErrors`` (or succeeds)."""
    problems = check(source, model_loader=no_model)
    assert all(isinstance(problem, RuleError) for problem in problems)
    assert all(problem.line is None or problem.line >= 1 for problem in problems)
    assert all(str(problem) for problem in problems)
    try:
        load(source, model_loader=no_model)
    except RuleErrors as errors:
        assert [str(error) for error in errors.errors] == [str(problem) for problem in problems]
    else:
        assert problems == []


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(WORDS), st.sampled_from(["10m", "session", "mon-fri",
                                                                                    "09:00-18:00", "Europe/Paris",
                                                                                    "(", "[a-z"]))
keys = st.one_of(st.sampled_from(WORDS), st.text(max_size=10))
documents = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(keys, inner, max_size=5)), max_leaves=30)


@SETTINGS
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes(text: str) -> None:
    only_rule_errors("# fuzz\n" + text)


@SETTINGS
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=60))
def test_any_character_including_surrogates_and_controls_never_crashes(text: str) -> None:
    only_rule_errors("version: 1\nrules: [" + text + "]\n")


@SETTINGS
@given(documents)
def test_arbitrary_json_like_documents_never_crash(document: Any) -> None:
    only_rule_errors(yaml.safe_dump(document, allow_unicode=True) + "\n")


def _paths(value: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, path + (index,))
    return found


BASE_PATHS = _paths(BASE)


def _replaced(document: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(document, dict):
        return {**document, head: _replaced(document[head], rest, new)}
    copy = list(document)
    copy[head] = _replaced(copy[head], rest, new)
    return copy


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(BASE_PATHS), documents), min_size=1, max_size=3))
def test_a_real_file_with_random_parts_replaced_never_crashes(changes: list[tuple[tuple, Any]]) -> None:
    document = BASE
    for path, new in changes:
        try:
            document = _replaced(document, path, new)
        except (KeyError, IndexError, TypeError):   # an earlier change removed this path
            continue
    only_rule_errors(yaml.safe_dump(document, allow_unicode=True, sort_keys=False) + "\n")
