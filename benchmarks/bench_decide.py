"""How long one ``RuleSet.decide()`` takes on a realistic 100-rule file, against a naive interpreter.

Run: ``/tmp/venv/bin/python benchmarks/bench_decide.py``. Target: median under 50 µs per decide.

The rule file is YAML loaded with ``rules.load`` (page types, categories, cart thresholds, checkout steps,
clocks, scores, cooldowns, a schedule and a holdout). Sessions are real ``rules.Session`` objects built from
events. The baseline, measured in the same run on the same facts, is the naive way to do the same job:
evaluate each rule's condition (and each score term) with the GrowthBook SDK's ``evalCondition`` in
priority order until one holds — no compilation, no next-check time, no reasons.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from growthbook.core import evalCondition  # noqa: E402

import rules  # noqa: E402
from rules.session import Session  # noqa: E402

T0 = 1_763_888_400.0       # Sun 2025-11-23 09:00 UTC
CATEGORIES = ["cameras", "lenses", "tripods", "fishing", "rods", "reels", "tents", "boots", "jackets", "lamps"]
AVAILABILITY = {"experts": 2, "advisors": 1}


def rule_file_yaml() -> str:
    """100 rules the way a real shop writes them: a few broad ones, many per category, checkout help."""
    lines = [
        "version: 1",
        "channels:",
        "  community: {label: Ask our community, needs: experts}",
        "  chat: {label: Chat with an advisor, needs: advisors}",
        "segments:",
        "  staff: [c-1, c-2, c-3]",
        "scores:",
        "  hesitation:",
        "    - {when: {checkout.step: shipping, page.idle_seconds: {$gte: 20}}, add: 50}",
        "    - {when: {checkout.errors: {$gte: 2}}, add: 25}",
        "    - {when: {session.back_navigations: {$gte: 2}}, add: 20}",
        "  enthusiasm:",
        "    - {when: {session.by_type.product.pages: {$gte: 3}}, add: 40}",
        "    - {when: {session.returning: true}, add: 20}",
        "  value:",
        "    - {when: {cart.value: {$gte: 100}}, add: 30}",
        "    - {when: {cart.items: {$gte: 3}}, add: 10}",
        "rules:",
        "  - {id: staff, when: {custom.customer_id: {$inGroup: staff}}, show: none, priority: 1000}",
        "  - id: reassure-at-shipping",
        "    when: {checkout.step: shipping, cart.value: {$gte: 80}, score.hesitation: {$gte: 50}}",
        "    show: chat",
        "    priority: 900",
        "    cooldown: 10m",
        "    schedule: {timezone: Europe/Paris, days: mon-sat, hours: '08:00-20:00'}",
    ]
    count = 2
    for step, seconds in (("address", 60), ("shipping", 45), ("payment", 40)):
        for errors in (1, 2, 3):
            lines.append(f"  - {{id: {step}-errors-{errors}, when: {{checkout.step: {step}, checkout.errors: "
                         f"{{$gte: {errors}}}, checkout.step_seconds: {{$gte: {seconds}}}}}, show: chat, "
                         f"priority: {800 - errors}, cooldown: 5m}}")
            count += 1
    for index, category in enumerate(CATEGORIES):
        for dwell in (10, 20, 40):
            lines.append(f"  - {{id: {category}-dwell-{dwell}, when: {{page.type: product, page.category: {category}, "
                         f"page.dwell_seconds: {{$gte: {dwell}}}}}, show: community, priority: {500 + dwell}, "
                         f"cooldown: 10m}}")
            count += 1
        for cart in (50, 150, 400):
            lines.append(f"  - {{id: {category}-cart-{cart}, when: {{page.type: {{$in: [product, cart]}}, "
                         f"session.categories: {{$in: [{category}]}}, cart.value: {{$gte: {cart}}}, "
                         f"page.idle_seconds: {{$gte: 15}}}}, show: chat, priority: {300 + cart // 10}}}")
            count += 1
        lines.append(f"  - {{id: {category}-comparing, when: {{session.products: {{$size: {{$gte: 3}}}}, "
                     f"page.category: {category}, score.enthusiasm: {{$gte: 40}}}}, show: community, "
                     f"priority: {200 + index}, holdout: 10}}")
        lines.append(f"  - {{id: {category}-search, when: {{page.type: search, page.path: {{$regex: '^/search.*"
                     f"{category}'}}, page.dwell_seconds: {{$gte: 25}}}}, show: community, priority: 150}}")
        count += 2
    while count < 99:
        lines.append(f"  - {{id: mobile-{count}, when: {{device.type: mobile, session.pages: {{$gte: {count % 7 + 2}}}, "
                     f"session.seconds: {{$gte: {count * 5}}}, score.value: {{$gte: 30}}}}, show: chat, "
                     f"priority: {60 + count}}}")   # stricter thresholds rank higher, so none is shadowed
        count += 1
    lines.append("  - {id: catch-all-cart, when: {page.type: cart, cart.value: {$gte: 1}}, show: chat, priority: 1}")
    return "\n".join(lines) + "\n"


def event(kind: str, **fields) -> dict:
    return {"type": kind, **fields}


def sessions() -> dict[str, tuple[Session, float]]:
    """A few realistic visitors, each with the moment we decide for them."""
    found: dict[str, tuple[Session, float]] = {}

    def build(name: str, events: list[tuple[float, dict]], at: float) -> None:
        session = Session(name, "demo", T0)
        for offset, item in events:
            rules.validate_event(item)
            session.apply(item, T0 + offset)
        found[name] = (session, T0 + at)

    product = lambda n, c: event("page_view", url=f"https://shop.test/p/{n}", page_type="product",  # noqa: E731
                                 category=c, product=str(n), device="desktop")
    build("browsing-camera", [(0, event("page_view", url="https://shop.test/", page_type="home")),
                              (5, product(1, "cameras")), (30, product(2, "cameras"))], 36)
    build("comparing-reels", [(0, product(3, "reels")), (20, product(4, "reels")), (40, product(5, "reels")),
                              (60, product(6, "reels")), (61, event("activity"))], 70)
    build("cart-with-tent", [(0, product(7, "tents")), (20, event("cart", value=180.0, items=1)),
                             (25, event("page_view", url="https://shop.test/cart", page_type="cart"))], 31)
    build("stuck-at-shipping", [(0, event("page_view", url="https://shop.test/checkout/shipping",
                                          page_type="checkout", checkout_step="shipping", cart_value=95.0,
                                          cart_items=2)),
                                (3, event("activity"))], 30)
    build("mobile-searcher", [(0, event("page_view", url="https://shop.test/search?q=boots",
                                        path="/search/boots", page_type="search", device="mobile")),
                              (2, event("visibility", visible=False))], 12)
    return found


class NaiveBaseline:
    """The same rules, interpreted: GrowthBook's evalCondition per rule and per score term, every time."""

    def __init__(self, rs) -> None:
        self.rules = [(rule.id, rule.when, rule.show) for rule in rs.ordered_rules]
        self.scores = {name: [(term.when, term.add) for term in score.terms] for name, score in rs.file.scores.items()}
        self.segments = dict(rs.file.segments)

    def decide(self, session: Session, now: float, availability) -> tuple[str | None, str | None]:
        facts = session.facts(now)
        scores = facts["score"] = {}
        for name, terms in self.scores.items():
            scores[name] = sum(add for when, add in terms if evalCondition(facts, when, self.segments))
        for rule_id, when, show in self.rules:
            if evalCondition(facts, when, self.segments):
                return show, rule_id
        return None, None


def measure(function, repeat: int) -> list[float]:
    """Per-call CPU times in µs, ``repeat`` rounds of 50 calls each (timer overhead spread over 50).

    CPU time of this process, not wall time: the machine is shared, and time spent waiting for a core
    says nothing about the code. Both sides are measured the same way, so the ratio stays fair.
    """
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(50):
            function()
        samples.append((time.process_time() - start) / 50 * 1e6)
    return samples


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    rs = rules.load(rule_file_yaml())
    assert len(rs.rules) == 100, len(rs.rules)
    baseline = NaiveBaseline(rs)
    visitors = sessions()
    print(f"decide() on a {len(rs.rules)}-rule file ({len(rs.file.scores)} scores), {len(visitors)} sessions")
    print(f"{'session':<20} {'decision':<26} {'next check':>10} {'median µs':>10} {'p95 µs':>8} "
          f"{'naive µs':>9} {'ratio':>6}")
    medians, naive_medians = [], []
    for name, (session, now) in visitors.items():
        decision = rs.decide(session, now, AVAILABILITY)
        outcome = f"{decision.channel or '-'} ({decision.rule_id or 'nothing'})"
        rs.decide(session, now, AVAILABILITY)        # steady state: what the session shows is recorded
        ours = measure(lambda: rs.decide(session, now, AVAILABILITY), 60)
        naive = measure(lambda: baseline.decide(session, now, AVAILABILITY), 20)
        median, naive_median = statistics.median(ours), statistics.median(naive)
        medians.append(median)
        naive_medians.append(naive_median)
        wake = "-" if decision.next_check is None else f"+{decision.next_check - now:.1f}s"
        print(f"{name:<20} {outcome[:26]:<26} {wake:>10} {median:>10.1f} {percentile(ours, 0.95):>8.1f} "
              f"{naive_median:>9.1f} {naive_median / median:>5.1f}x")
    overall, naive_overall = statistics.median(medians), statistics.median(naive_medians)
    print(f"\nmedian over sessions: {overall:.1f} µs per decide (target < 50 µs); "
          f"naive evalCondition loop: {naive_overall:.1f} µs; ratio {naive_overall / overall:.1f}x")
    return 0 if overall < 50 else 1


if __name__ == "__main__":
    sys.exit(main())
