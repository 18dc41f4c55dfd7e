"""The JSON Schema shipped for editors: valid, in sync with the code, accepts real files, rejects what check rejects."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from rules.condition_syntax import VALUE_OPERATORS
from rules.facts import FACTS
from rules.schema import OPERATORS, SCHEMA_FILE, rule_file_schema, schema_json

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "rules" / SCHEMA_FILE


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = rule_file_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(validator: jsonschema.Draft202012Validator, text: str) -> list[str]:
    return [error.message for error in validator.iter_errors(yaml.safe_load(text))]


def test_shipped_file_is_the_generated_schema() -> None:
    assert json.loads(SHIPPED.read_text()) == rule_file_schema(), "run: clickto schema --out rules/rule-file.schema.json"
    assert SHIPPED.read_text() == schema_json()


def test_schema_is_draft_2020_12(validator: jsonschema.Draft202012Validator) -> None:
    assert rule_file_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_every_operator_and_fact_is_offered_for_autocompletion() -> None:
    schema = rule_file_schema()
    assert set(OPERATORS) == set(VALUE_OPERATORS)
    assert set(schema["$defs"]["operators"]["properties"]) == set(VALUE_OPERATORS)
    condition = schema["$defs"]["condition"]["properties"]
    assert set(FACTS) <= set(condition)
    assert {"$and", "$or", "$nor", "$not"} <= set(condition)
    assert condition["page.type"]["anyOf"][0] == {"enum": list(FACTS["page.type"].values)}
    assert all(entry.get("description") for entry in condition.values())


@pytest.mark.parametrize("example", ["examples/rules.yaml", "demo_shop/rules.yaml"])
def test_real_rule_files_validate(validator: jsonschema.Draft202012Validator, example: str) -> None:
    assert errors(validator, (REPO / example).read_text()) == []


VALID = """\
version: 1
x-notes: anything
channels:
  chat: {label: Chat, needs: advisors}
  banner: {label: Guide}
segments: {vip: [c1, 7]}
scores:
  intent: {model: models/intent}
  hesitation:
    - {when: {checkout.step: shipping, custom.a.b: {$exists: true}}, add: -5, description: x}
rules:
  - id: a
    when:
      $or: [{cart.value: {$gte: 80}}, {session.by_type.product: {pages: 2}}]
      score.hesitation: {$not: {$lt: 5}}
      session.categories: {$elemMatch: {$eq: cameras}}
      custom.id: {$inGroup: vip}
      session.paths.length: {$gte: 2}
      session.paths.0: /
    show: none
    priority: -3
    cooldown: 1h30m
    holdout: "5%"
    schedule: {timezone: Europe/Paris, days: [mon-fri, sun], hours: ["09:00-12:00", "22:00-02:00"]}
  - id: b
    when: {}
    show: chat
    cooldown: Session
    schedule: {timezone: UTC, days: "mon,wed"}
  - id: c
    when: {}
    show: chat
    cooldown: 1e3
"""


def test_a_file_using_every_feature_validates(validator: jsonschema.Draft202012Validator) -> None:
    from rules.loader import check

    class Model:
        name, features = "intent", ("cart.value",)

        def score(self, facts: object) -> float:
            return 0.5

    assert check(VALID, model_loader=lambda path: Model()) == []     # the loader agrees the file is valid
    assert errors(validator, VALID) == []


@pytest.mark.parametrize(("change", "expected"), [
    (("version: 1", "version: 2"), "1 was expected"),
    (("x-notes: anything", "note: anything"), "'note' does not match any of the regexes: '^x-'"),
    (("cart.value: {$gte: 80}", "cart.valeu: {$gte: 80}"), "'cart.valeu' does not match any of the regexes"),
    (("{$gte: 80}", "{$gtee: 80}"), "is not valid"),
    (("show: none", "shw: none"), "'show' is a required property"),
    (("priority: -3", "priority: high"), "'high' is not of type 'integer'"),
    (("cooldown: 1h30m", "cooldown: soon"), "is not valid"),
    (("holdout: \"5%\"", "holdout: 150"), "is not valid"),
    (("days: \"mon,wed\"", "days: \"mon-fry\""), "is not valid"),
    (("banner: {label: Guide}", "none: {label: Guide}"), "should not be valid"),
    (("add: -5", "add: lots"), "is not valid"),
])
def test_what_check_rejects_the_schema_flags(validator: jsonschema.Draft202012Validator, change: tuple[str, str],
                                             expected: str) -> None:
    old, new = change
    assert old in VALID
    found = errors(validator, VALID.replace(old, new, 1))
    assert any(expected in message for message in found), found


def test_patterns_are_plain_ecma_262_without_inline_flags() -> None:
    """Editors evaluate patterns as JavaScript regexes: Python-only syntax such as (?i) or (?P<...>) breaks them."""
    text = schema_json()
    assert "(?" not in text
    days = rule_file_schema()["$defs"]["schedule"]["properties"]["days"]["anyOf"][0]["pattern"]
    import re

    assert re.fullmatch(days, "Mon-Fri") and re.fullmatch(days, "mon,wed") and not re.fullmatch(days, "mon-fry")


def test_every_pattern_compiles_as_a_javascript_regex() -> None:
    """The YAML language server is JavaScript: run every pattern through node's RegExp with the unicode flag."""
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = """
const schema = JSON.parse(require("fs").readFileSync(0, "utf8"));
let count = 0;
(function walk(node) {
  if (!node || typeof node !== "object") return;
  for (const [key, value] of Object.entries(node)) {
    if (key === "pattern") { new RegExp(value, "u"); count++; }
    if (key === "patternProperties") for (const p of Object.keys(value)) { new RegExp(p, "u"); count++; }
    walk(value);
  }
})(schema);
console.log(count);
"""
    result = subprocess.run([node, "-e", script], input=schema_json(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 10
