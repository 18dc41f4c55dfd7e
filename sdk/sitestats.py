"""Per-page site statistics from the shop's own finished sessions: bounce rate, exit rate, page value.

They are the dataset's ``BounceRates``, ``ExitRates`` and ``PageValues`` (Google Analytics definitions, see
docs/intent.md), which the ``all`` intent model reads from ``facts["stats"]``:

* bounce rate of a page: the share of sessions that entered on it and saw no other page;
* exit rate of a page: the share of its views that were a session's last;
* page value of a page: order value of the sessions that viewed it and ordered, per session that viewed it.

A session's ``stats`` facts are the means over its pages (weighted by views). A page seen by few sessions is
pulled towards the site-wide figure (``PRIOR_WEIGHT`` sessions' worth), so one lucky order does not make a
page look golden. Below ``min_sessions`` finished sessions a site provides no statistics at all: the facts
have no ``stats`` and the model falls back to its defaults (use the ``live`` model until then). Memory is
bounded: at most ``max_pages`` paths per site, the least recently seen forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from rules.intent.features import STATS_FACTS
from rules.session import Session

PRIOR_WEIGHT = 20.0
STATS_COLUMNS = frozenset(STATS_FACTS)


class _Page:
    __slots__ = ("bounces", "entries", "exits", "sessions", "value", "views")

    def __init__(self) -> None:
        self.entries = 0        # sessions that started here
        self.bounces = 0        # ... and saw only this page
        self.views = 0          # page views
        self.exits = 0          # views that were a session's last
        self.sessions = 0       # sessions that viewed the page (GA's "unique page views")
        self.value = 0.0        # order value of those sessions that ordered


class SiteStats:
    """The statistics of one site, updated with every finished session (``add``)."""

    def __init__(self, min_sessions: int = 200, max_pages: int = 5000) -> None:
        if min_sessions < 1 or max_pages < 1:
            raise ValueError("SiteStats needs min_sessions >= 1 and max_pages >= 1")
        self.min_sessions = min_sessions
        self.max_pages = max_pages
        self.finished = 0
        self._pages: OrderedDict[str, _Page] = OrderedDict()
        # site-wide totals, kept even for forgotten pages: the prior of every page
        self._entries = self._bounces = self._views = self._exits = self._page_sessions = 0
        self._value = 0.0

    @property
    def ready(self) -> bool:
        return self.finished >= self.min_sessions

    def __len__(self) -> int:
        return len(self._pages)

    def _page(self, path: str) -> _Page:
        page = self._pages.get(path)
        if page is None:
            page = self._pages[path] = _Page()
            if len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(path)
        return page

    def add(self, session: Session) -> None:
        """Count a finished session (one with at least one page view; others are ignored)."""
        views: dict[str, int] = session.path_views
        if not session.pages or not views:
            return
        self.finished += 1
        value = float(session.order_value or 0.0) if session.ordered else 0.0
        entry = self._page(session.landing_path or next(iter(views)))
        entry.entries += 1
        self._entries += 1
        if session.pages == 1:
            entry.bounces += 1
            self._bounces += 1
        for path, count in views.items():
            page = self._page(path)
            page.views += count
            page.sessions += 1
            page.value += value
            self._views += count
            self._page_sessions += 1
            self._value += value
        exit_page = self._page(session.path or next(reversed(views)))
        exit_page.exits += 1
        self._exits += 1

    def _site_rates(self) -> tuple[float, float, float]:
        return (self._bounces / self._entries if self._entries else 0.0,
                self._exits / self._views if self._views else 0.0,
                self._value / self._page_sessions if self._page_sessions else 0.0)

    def page(self, path: str) -> dict[str, float]:
        """One page's figures, smoothed towards the site-wide ones (``{bounce_rate, exit_rate, page_value}``)."""
        site_bounce, site_exit, site_value = self._site_rates()
        page = self._pages.get(path) or _Page()
        k = PRIOR_WEIGHT
        return {
            "bounce_rate": (page.bounces + k * site_bounce) / (page.entries + k),
            "exit_rate": (page.exits + k * site_exit) / (page.views + k),
            "page_value": (page.value + k * site_value) / (page.sessions + k),
        }

    def for_session(self, session: Session) -> dict[str, float] | None:
        """The ``stats`` facts of a session: view-weighted means over its pages; None until ``ready``."""
        views: dict[str, int] = session.path_views
        if not self.ready or not views:
            return None
        k = PRIOR_WEIGHT
        site_bounce, site_exit, site_value = self._site_rates()
        bounce = exit_ = value = 0.0
        weight = 0
        pages = self._pages
        for path, count in views.items():
            page = pages.get(path)
            if page is None:
                bounce += site_bounce * count
                exit_ += site_exit * count
                value += site_value * count
            else:
                bounce += (page.bounces + k * site_bounce) / (page.entries + k) * count
                exit_ += (page.exits + k * site_exit) / (page.views + k) * count
                value += (page.value + k * site_value) / (page.sessions + k) * count
            weight += count
        return {"bounce_rate": bounce / weight, "exit_rate": exit_ / weight, "page_value": value / weight}

    def summary(self, top: int = 20) -> dict[str, Any]:
        """For people: sessions counted, whether figures are provided, and the most viewed pages."""
        pages = sorted(self._pages.items(), key=lambda item: item[1].views, reverse=True)[:top]
        return {"finished_sessions": self.finished, "ready": self.ready, "min_sessions": self.min_sessions,
                "pages_tracked": len(self._pages),
                "pages": [{"path": path, "views": page.views, **self.page(path)} for path, page in pages]}


def needs_stats(ruleset: Any) -> bool:
    """True when a learned score of the rule set reads site statistics (an ``all``-features intent model)."""
    models = getattr(getattr(ruleset, "scores", None), "models", None) or {}
    return any(STATS_COLUMNS & set(getattr(model, "features", ())) for model in models.values())


class SiteStatsBook:
    """``SiteStats`` per site, and the hook that puts a session's figures into its facts before a decision."""

    def __init__(self, sites: Iterable[str], min_sessions: int = 200, max_pages: int = 5000) -> None:
        self.sites = {site: SiteStats(min_sessions, max_pages) for site in sites}
        self._needs: tuple[Any, bool] = (None, False)   # (rule set, needs_stats(rule set)), per reload

    def add(self, site: str, session: Session) -> None:
        stats = self.sites.get(site)
        if stats is not None:
            stats.add(session)

    def for_session(self, site: str, session: Session) -> dict[str, float] | None:
        stats = self.sites.get(site)
        return stats.for_session(session) if stats is not None else None

    def attach(self, session: Session, ruleset: Any) -> None:
        """Set ``session.site_stats`` (``facts["stats"]``) when the rules read it, else clear it."""
        needs = self._needs
        if needs[0] is not ruleset:
            needs = self._needs = (ruleset, needs_stats(ruleset))
        if needs[1]:
            session.site_stats = self.for_session(session.site, session)
        elif session.site_stats is not None:
            session.site_stats = None
