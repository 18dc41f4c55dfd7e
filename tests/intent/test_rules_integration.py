"""A rule file's ``scores: {intent: {model: DIR}}`` makes ``score.intent`` decide; a broken model is a check error."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.intent import load_score_model

rules = pytest.importorskip("rules")
if not hasattr(rules, "load"):  # pragma: no cover - the engine is another package's work
    pytest.skip("rules.load is not implemented yet", allow_module_level=True)

SHIPPED_LIVE = Path(__file__).resolve().parents[2] / "rules" / "intent" / "models" / "live"
RULES = """\
version: 1
channels:
  chat: {{label: "Chat with an advisor", needs: advisors}}
  community: {{label: "Ask our community", needs: experts}}
scores:
  intent:
    model: {model}
rules:
  - id: high-intent-hesitating-at-shipping
    when: {{checkout.step: shipping, checkout.step_seconds: {{$gte: 20}}, score.intent: {{$gte: 0.15}}}}
    show: chat
    priority: 100
  - id: low-intent-lingering-on-product
    when: {{page.type: product, page.dwell_seconds: {{$gte: 20}}, score.intent: {{$lt: 0.12}}}}
    show: community
    priority: 50
"""
AVAILABLE = {"experts": 1, "advisors": 1}


def buyer_at_shipping(browse):
    T0 = browse.start
    events = [(0, {"type": "page_view", "path": "/", "page_type": "home"})]
    t = 5
    for i in range(12):
        events.append((t, {"type": "page_view", "path": f"/p/{i}", "page_type": "product"}))
        t += 60
    for path, kind, seconds in (("/account", "account", 40), ("/cart", "cart", 30), ("/checkout", "checkout", 5)):
        events.append((t, {"type": "page_view", "path": path, "page_type": kind}))
        t += seconds
    events.append((t, {"type": "checkout_step", "step": "shipping"}))
    return browse(events, visit_count=3), T0 + t + 30


def browser_on_product(browse):
    T0 = browse.start
    return browse([(0, {"type": "page_view", "path": "/p/1", "page_type": "product"})]), T0 + 25


@pytest.fixture
def rule_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES.format(model=SHIPPED_LIVE))
    return path


def test_score_intent_decides_between_chat_and_community(rule_file, browse):
    model = load_score_model(SHIPPED_LIVE)
    buyer, buyer_now = buyer_at_shipping(browse)
    browser, browser_now = browser_on_product(browse)
    high, low = model.score(buyer.facts(buyer_now)), model.score(browser.facts(browser_now))
    assert high >= 0.15 > 0.12 > low, (high, low)

    ruleset = rules.load(rule_file)
    decision = ruleset.decide(buyer, buyer_now, AVAILABLE)
    assert (decision.channel, decision.rule_id) == ("chat", "high-intent-hesitating-at-shipping")
    assert decision.scores["intent"] == pytest.approx(high)
    decision = ruleset.decide(browser, browser_now, AVAILABLE)
    assert (decision.channel, decision.rule_id) == ("community", "low-intent-lingering-on-product")
    assert decision.scores["intent"] == pytest.approx(low)


def test_a_tampered_model_is_a_check_error_at_the_model_line(rule_file, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(SHIPPED_LIVE, broken)
    (broken / "model.json").write_text((broken / "model.json").read_text().replace('"version":1', '"version":1 '))
    rule_file.write_text(RULES.format(model=broken))
    problems = rules.check(rule_file)
    assert len(problems) == 1
    assert problems[0].line == 7 and "sha256" in problems[0].message and "cannot load model" in problems[0].message
    rule_file.write_text(RULES.format(model=tmp_path / "missing"))
    [problem] = rules.check(rule_file)
    assert problem.line == 7 and "no such model directory" in problem.message
