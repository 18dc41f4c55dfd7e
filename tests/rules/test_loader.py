"""The loader's API: path or text in, a validated RuleFile / a working RuleSet out, unreachable rules, models."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

import rules
from rules.errors import RuleError, RuleErrors
from rules.loader import check, load, looks_like_text, parse
from rules.model import ONCE_PER_SESSION, Channel, Schedule

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "rules.yaml"

HEAD = """\
version: 1
channels:
  community: {label: "Ask the community", needs: experts}
  chat: {label: "Chat with us", needs: advisors}
  banner: {label: "Read our guide"}
"""


def problems(text: str, **kwargs: Any) -> list[str]:
    return [str(error) for error in check(text, **kwargs)]


# -- path or text ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["version: 1", "{version: 1}", "# rules\n", "a:\n", "", "---", "x-anchor: 1"])
def test_strings_that_look_like_yaml_are_text(value: str) -> None:
    assert looks_like_text(value)


@pytest.mark.parametrize("value", ["rules.yaml", "examples/rules.yaml", "/etc/shop/rules.yml", "C:\\shop\\rules.yaml",
                                   "my rules.yaml"])
def test_strings_that_look_like_paths_are_paths(value: str) -> None:
    assert not looks_like_text(value)


def test_path_str_and_text_give_the_same_rules() -> None:
    text = EXAMPLE.read_text()
    from_path, from_str, from_text = parse(EXAMPLE), parse(str(EXAMPLE)), parse(text)
    assert from_path.rules == from_str.rules == from_text.rules
    assert from_path.source == str(EXAMPLE) and from_text.source is None


def test_a_path_object_is_always_a_path(tmp_path: Path) -> None:
    odd = tmp_path / "version: 1"
    odd.write_text(HEAD + "rules: []\n")
    assert parse(odd).version == 1


# -- the validated model ----------------------------------------------------------------------------------------

def test_parse_builds_the_model() -> None:
    text = HEAD + """\
segments:
  vip: [c1, 7]
scores:
  hesitation:
    - when: {checkout.step: shipping}
      add: 50
    - {when: {session.back_navigations: {$gte: 2}}, add: -2.5}
rules:
  - id: vip-chat
    description: VIPs get a person.
    when: {custom.customer_id: {$inGroup: vip}}
    show: chat
    priority: 10
    cooldown: 1h30m
    holdout: 5%
    schedule: {timezone: Europe/Paris, days: [mon-fri, sun], hours: ["09:00-12:00", "14:00-18:00"]}
  - id: quiet
    when: {}
    show: none
    cooldown: session
"""
    rule_file = parse(text)
    assert rule_file.version == 1
    assert rule_file.channels["community"] == Channel("community", "Ask the community", "experts", line=3)
    assert rule_file.channels["banner"].needs is None
    assert rule_file.segments == {"vip": ["c1", 7]}
    hesitation = rule_file.scores["hesitation"]
    assert [(term.when, term.add, term.line) for term in hesitation.terms] == [
        ({"checkout.step": "shipping"}, 50.0, 10), ({"session.back_navigations": {"$gte": 2}}, -2.5, 12)]
    assert hesitation.line == 9 and hesitation.model is None
    first, second = rule_file.rules
    assert (first.id, first.show, first.priority, first.order, first.line) == ("vip-chat", "chat", 10, 0, 14)
    assert first.description == "VIPs get a person."
    assert first.cooldown == 5400.0 and first.holdout == 5.0
    assert first.schedule == Schedule("Europe/Paris", (0, 1, 2, 3, 4, 6), ((540, 720), (840, 1080)))
    assert (second.id, second.show, second.order, second.priority) == ("quiet", "none", 1, 0)
    assert second.cooldown == ONCE_PER_SESSION and math.isinf(second.cooldown)
    assert second.holdout == 0.0 and second.schedule is None and second.description == ""


def test_empty_rules_list_is_valid() -> None:
    assert parse(HEAD + "rules:\n").rules == ()


def test_parse_raises_every_problem_at_once() -> None:
    with pytest.raises(RuleErrors) as caught:
        parse(HEAD + "rules:\n  - id: a\n    show: phone\n  - id: a\n    when: {}\n    show: chat\n")
    assert [str(error) for error in caught.value.errors] == [
        "<rules>:7:5: rule 'a' is missing 'when'",
        "<rules>:8:11: unknown channel 'phone' in show (declared channels: community, chat, banner, none)",
        "<rules>:9:9: duplicate rule id 'a' (first used at line 7)",
    ]
    assert isinstance(caught.value, RuleError) and caught.value.line == 7


# -- load: a working rule set -------------------------------------------------------------------------------------

def test_load_returns_a_rule_set_that_decides() -> None:
    ruleset = rules.load(HEAD + """\
rules:
  - id: big-cart
    when: {cart.value: {$gte: 80}}
    show: chat
    priority: 5
  - id: anyone
    when: {}
    show: banner
""")
    session = rules.Session(session_id="s1", site="demo", now=1000.0)
    session.apply({"type": "cart", "t": 1_000_000, "value": 120, "items": 2}, 1000.0)
    decision = ruleset.decide(session, 1001.0, {"experts": 0, "advisors": 1})
    assert (decision.channel, decision.rule_id, decision.label) == ("chat", "big-cart", "Chat with us")
    decision = ruleset.decide(session, 1002.0, {"experts": 0, "advisors": 0})
    assert (decision.channel, decision.rule_id) == ("banner", "anyone")


def test_load_raises_rule_errors_and_check_lists_them() -> None:
    text = HEAD + "rules:\n  - id: a\n    when: {cart.value: {$gte: x}, cart.item: 1}\n    show: chat\n"
    with pytest.raises(RuleErrors) as caught:
        load(text)
    assert [str(error) for error in caught.value.errors] == problems(text) == [
        "<rules>:8:31: $gte 'x' never holds: cart.value is a number, not a string",
        "<rules>:8:35: unknown fact 'cart.item' (did you mean 'cart.items'?)"]


def test_load_of_the_example_file() -> None:
    ruleset = load(EXAMPLE)
    assert isinstance(ruleset, rules.RuleSet)
    assert check(EXAMPLE) == []


# -- unreachable rules ---------------------------------------------------------------------------------------------

def two_rules(first: str, second: str) -> str:
    return HEAD + "rules:\n" + first + second


def test_shadowed_rule_is_reported_on_the_shadowed_rule() -> None:
    text = two_rules(
        "  - id: product\n    when: {page.type: product}\n    show: chat\n    priority: 10\n",
        "  - id: expensive-product\n    when: {page.type: product, page.price: {$gte: 100}}\n    show: chat\n")
    assert problems(text) == [
        "<rules>:11:9: rule 'expensive-product' can never fire: rule 'product' (line 7) "
        "has priority >= and a weaker condition"]


def test_equal_priority_shadows_only_later_rules() -> None:
    weak = "  - id: weak\n    when: {cart.value: {$gte: 50}}\n    show: banner\n"
    strong = "  - id: strong\n    when: {cart.value: {$gte: 80}}\n    show: banner\n"
    assert problems(two_rules(strong, weak)) == []
    assert problems(two_rules(weak, strong)) == [
        "<rules>:10:9: rule 'strong' can never fire: rule 'weak' (line 7) has priority >= and a weaker condition"]


def test_a_lower_priority_weaker_rule_does_not_shadow() -> None:
    weak = "  - id: weak\n    when: {cart.value: {$gte: 50}}\n    show: banner\n    priority: -1\n"
    strong = "  - id: strong\n    when: {cart.value: {$gte: 80}}\n    show: banner\n"
    assert problems(two_rules(weak, strong)) == []


@pytest.mark.parametrize("stopper", ["cooldown: 10m", "holdout: 5", "schedule: {timezone: UTC, hours: '09:00-17:00'}"])
def test_a_rule_that_can_be_stopped_does_not_shadow(stopper: str) -> None:
    weak = f"  - id: weak\n    when: {{page.type: product}}\n    show: banner\n    {stopper}\n"
    strong = "  - id: strong\n    when: {page.type: product, cart.items: 1}\n    show: banner\n"
    assert problems(two_rules(weak, strong)) == []


def test_availability_decides_whether_a_weaker_rule_shadows() -> None:
    strong = "  - id: strong\n    when: {page.type: product, cart.items: 1}\n    show: SHOW\n"
    for weak_show, strong_show, shadowed in [
        ("chat", "chat", True),            # same pool: when chat is unavailable, both fall through
        ("chat", "community", False),      # experts may be online while advisors are not
        ("chat", "banner", False),         # the banner needs nobody: it shows when chat cannot
        ("banner", "chat", True),          # needs nobody: always shows
        ("none", "chat", True),            # suppression always wins
        ("chat", "none", False),
    ]:
        weak = f"  - id: weak\n    when: {{page.type: product}}\n    show: {weak_show}\n"
        found = problems(two_rules(weak, strong.replace("SHOW", strong_show)))
        assert bool(found) == shadowed, (weak_show, strong_show, found)


def test_unrelated_conditions_do_not_shadow() -> None:
    text = two_rules("  - id: a\n    when: {page.type: product}\n    show: chat\n",
                     "  - id: b\n    when: {page.type: cart}\n    show: chat\n")
    assert problems(text) == []


# -- learned scores ----------------------------------------------------------------------------------------------

class ConstantModel:
    """A tiny learned score (the real one comes from rules.intent): always the same value."""

    def __init__(self, name: str, value: float) -> None:
        self.name = name
        self.features: Sequence[str] = ("cart.value",)
        self.value = value

    def score(self, facts: Mapping[str, Any]) -> float:
        return self.value


MODEL_FILE = HEAD + """\
scores:
  intent: {model: models/intent.skops}
rules:
  - id: likely-buyer
    when: {score.intent: {$gte: 0.5}}
    show: chat
"""


def test_model_scores_are_loaded_relative_to_the_file_and_passed_to_the_rule_set(tmp_path: Path) -> None:
    path = tmp_path / "shop" / "rules.yaml"
    path.parent.mkdir()
    path.write_text(MODEL_FILE)
    asked: list[Path] = []

    def loader(model_path: Path) -> ConstantModel:
        asked.append(model_path)
        return ConstantModel("intent", 0.9)

    assert parse(path).scores["intent"].model == tmp_path / "shop" / "models" / "intent.skops"
    ruleset = load(path, model_loader=loader)
    assert asked == [tmp_path / "shop" / "models" / "intent.skops"]
    session = rules.Session(session_id="s", site="demo", now=0.0)
    decision = ruleset.decide(session, 1.0, {"advisors": 1})
    assert decision.rule_id == "likely-buyer" and decision.scores["intent"] == pytest.approx(0.9)


def test_a_model_that_cannot_be_loaded_is_a_located_problem(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(MODEL_FILE)

    def broken(model_path: Path) -> object:
        raise ValueError(f"{model_path.name}: not a clickto model")

    assert [str(error) for error in check(path, model_loader=broken)] == [
        f"{path}:7:19: cannot load model 'models/intent.skops': intent.skops: not a clickto model"]
    with pytest.raises(RuleErrors):
        load(path, model_loader=broken)


def test_the_default_model_loader_reports_a_missing_model_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(MODEL_FILE)
    found = [str(error) for error in check(path)]
    assert len(found) == 1 and found[0].startswith(f"{path}:7:19: cannot load model 'models/intent.skops': ")


def test_a_broken_model_is_reported_with_the_files_other_problems(tmp_path: Path) -> None:
    """All in one run: a merchant fixing the listed problems should not then meet a new one."""
    def broken(model_path: Path) -> object:
        raise ValueError(f"{model_path.name}: no such file")

    text = MODEL_FILE.replace("show: chat", "show: phone")
    assert problems(text, model_loader=broken) == [
        "<rules>:7:19: cannot load model 'models/intent.skops': intent.skops: no such file",
        "<rules>:11:11: unknown channel 'phone' in show (declared channels: community, chat, banner, none)"]


def test_a_rule_with_an_or_shadows_a_rule_that_implies_one_branch() -> None:
    text = two_rules(
        "  - id: browsing\n    when: {$or: [{page.type: product}, {cart.value: {$gt: 100}}]}\n    show: banner\n",
        "  - id: pricey\n    when: {page.type: product, page.price: {$gte: 500}}\n    show: chat\n")
    assert problems(text) == [
        "<rules>:10:9: rule 'pricey' can never fire: rule 'browsing' (line 7) has priority >= and a weaker condition"]


def test_only_the_first_shadowing_rule_is_named() -> None:
    text = HEAD + "rules:\n" + "".join(
        f"  - id: {rule_id}\n    when: {when}\n    show: banner\n"
        for rule_id, when in (("a", "{page.type: product}"), ("b", "{page.type: product}"),
                              ("c", "{page.type: product, cart.items: 2}")))
    assert problems(text) == [
        "<rules>:10:9: rule 'b' can never fire: rule 'a' (line 7) has priority >= and a weaker condition",
        "<rules>:13:9: rule 'c' can never fire: rule 'a' (line 7) has priority >= and a weaker condition",
    ]
