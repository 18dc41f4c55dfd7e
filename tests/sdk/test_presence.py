"""Presence: people per site and pool, counts, change notifications (also from other threads)."""

from __future__ import annotations

import threading

import pytest

from sdk.presence import Presence


def test_counts_and_people():
    presence = Presence({"demo": {"experts": ["ana", "carl"], "advisors": []}})
    assert presence.counts("demo") == {"experts": 2, "advisors": 0}
    assert presence.get("demo") == {"experts": ["ana", "carl"], "advisors": []}
    assert presence.counts("other") == {}
    assert presence.is_online("demo", "experts", "ana")


def test_set_reports_changes_and_notifies():
    presence = Presence({"demo": {"experts": ["ana"]}})
    seen = []
    presence.events.on("change", lambda *args: seen.append(args))
    assert presence.set("demo", "advisors", "ben", True) is True
    assert presence.set("demo", "advisors", "ben", True) is False     # no change, no event
    assert presence.set("demo", "experts", "ana", False) is True
    assert seen == [("demo", "advisors", "ben", True), ("demo", "experts", "ana", False)]
    assert presence.counts("demo") == {"experts": 0, "advisors": 1}


def test_declared_pools_show_with_zero():
    presence = Presence()
    presence.declare_pools("demo", ["experts", "advisors"])
    assert presence.counts("demo") == {"experts": 0, "advisors": 0}
    assert presence.pools("demo") == ["advisors", "experts"]


@pytest.mark.parametrize("bad", ["", "a b", "<x>", "x" * 65, 5, None])
def test_names_are_validated(bad):
    with pytest.raises(ValueError, match="person"):
        Presence().set("demo", "experts", bad, True)
    with pytest.raises(ValueError, match="pool"):
        Presence({"demo": {bad: ["ana"]}}) if isinstance(bad, str) else Presence().set("demo", bad, "ana", True)


def test_threads_can_switch_people_concurrently():
    presence = Presence()
    changes = []
    presence.events.on("change", lambda *args: changes.append(args))

    def work(offset):
        for index in range(200):
            presence.set("demo", "experts", f"p{offset + index}", True)

    threads = [threading.Thread(target=work, args=(n * 1000,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert presence.counts("demo") == {"experts": 800} and len(changes) == 800
