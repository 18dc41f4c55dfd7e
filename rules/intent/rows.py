"""Which moment of a finished session becomes its training row: the last page view, or the order.

A session that ordered is described as it was when the page the ``order`` event arrived on began: that
page (the order confirmation, an account or checkout page in every shop) and any later page are left out,
with their seconds. Otherwise every buyer's row would carry one extra checkout page and its time, and a
model trained on such rows would learn "saw the confirmation page", which no live visitor shows before
buying. A session without an order is described as it was when last seen.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from rules.session import Session, time_facts


def training_facts(session: Session) -> dict[str, Any]:
    """The nested facts a finished session's training row is made of (see the module docstring)."""
    snapshot = session.order_snapshot if session.ordered else None
    if not snapshot:
        return session.facts(session.last_event_at)
    at = float(snapshot["at"])
    facts = session.facts(session.last_event_at)
    facts["session"] = {**facts["session"], "pages": sum(int(counts[0]) for counts in snapshot["by_type"].values()),
                        "by_type": {kind: {"pages": int(counts[0]), "seconds": float(counts[1])}
                                    for kind, counts in snapshot["by_type"].items()}}
    facts["time"] = time_facts(at)
    return facts


def pages_before_order(session: Session) -> Any:
    """What the site statistics of a training row are averaged over: the session itself, or for a session that
    ordered a stand-in whose ``path_views`` leave out the order's page (Google Analytics' page value, too, only
    counts the pages viewed before the transaction page)."""
    snapshot = session.order_snapshot if session.ordered else None
    if not snapshot or "path_views" not in snapshot:
        return session
    return SimpleNamespace(site=session.site, pages=sum(snapshot["path_views"].values()),
                           path_views=snapshot["path_views"])
