"""Ask the clickto service whether tagged pages can work: is it there, does it know the site, does it accept
the pages' origin. Why: the proxy's "tagged" log line was no proof; with the service down, or started with
a bare ``--site KEY`` (same origin only), every page got the tag and not one event was accepted.

The questions are blocking (``urllib``, never through a proxy) and asked one at a time by ``ServiceChecks``
on a daemon thread of its own: urllib's timeout bounds each socket operation, not a whole answer, so a
service that trickles bytes can hold a question for long. It must hold up neither mitmproxy's event loop
nor its default executor (mitmproxy resolves host names there) nor its shutdown.
"""

from __future__ import annotations

import asyncio
import json
import queue
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import quote

TIMEOUT = 3.0
RETRY_SECONDS = 30.0     # a service that did not answer is asked again this long after, when pages come
MAX_ORIGINS = 1000       # origins remembered (checked or waiting for the service)
MAX_PENDING = 64         # questions queued for the thread at most (more are dropped: it is a courtesy check)


class Answer(NamedTuple):
    reached: bool           # the service answered (whatever it said)
    problem: str | None     # what to tell the user, or None


def _opener(insecure: bool) -> urllib.request.OpenerDirector:
    """Direct (not through HTTP_PROXY and friends); without certificate checks when ``insecure``."""
    handlers: list = [urllib.request.ProxyHandler({})]
    if insecure:
        handlers.append(urllib.request.HTTPSHandler(context=ssl._create_unverified_context()))  # noqa: S323
    return urllib.request.build_opener(*handlers)


def _unreachable(server: str, site: str, error: BaseException) -> Answer:
    reason = getattr(error, "reason", None) or error
    if isinstance(reason, ssl.SSLCertVerificationError):
        return Answer(False, f"the service at {server} has a certificate this machine does not trust ({reason}): "
                             "for a test service, run the proxy with --ssl-insecure (or serve it over http)")
    return Answer(False, f"the service at {server} does not answer ({reason}): pages get the tag, but nothing "
                         f"is reported and no button shows until it runs (clickto serve --site {site}=ORIGIN ...)")


def service_problem(server: str, site: str, insecure: bool = False, timeout: float = TIMEOUT) -> Answer:
    """Whether the service at ``server`` answers, and why it cannot take ``site``'s events (down, not
    clickto, no such site)."""
    url = f"{server}/healthz"
    try:
        with _opener(insecure).open(url, timeout=timeout) as response:
            body = response.read(65536)
    except urllib.error.HTTPError as error:
        return Answer(True, f"the service at {server} answers {url} with HTTP {error.code}: is it a clickto "
                            "service (and is a path such as /clickto missing from --server)?")
    except (OSError, ValueError) as error:   # refused, timed out, TLS
        return _unreachable(server, site, error)
    try:
        sites = json.loads(body).get("sites")
    except (ValueError, AttributeError):
        sites = None
    if not isinstance(sites, list):
        return Answer(True, f"{url} does not answer like a clickto service: is a path such as /clickto "
                            "missing from --server?")
    if site not in sites:
        known = ", ".join(map(str, sites)) or "none"
        return Answer(True, f"the service at {server} has no site '{site}' (it serves: {known}); start it with "
                            f"--site {site}=ORIGIN, ORIGIN being the address of the pages you browse")
    return Answer(True, None)


def origin_problem(server: str, site: str, origin: str, insecure: bool = False,
                   timeout: float = TIMEOUT) -> Answer:
    """Whether the service answered, and why it refuses the tag's requests from pages of ``origin``
    (``scheme://host[:port]``), with the CORS preflight the browser would send."""
    request = urllib.request.Request(
        f"{server}/v1/events?site={quote(site)}", method="OPTIONS",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"})
    try:
        with _opener(insecure).open(request, timeout=timeout):
            return Answer(True, None)
    except urllib.error.HTTPError as error:
        if error.code != 403:
            return Answer(True, None)
        try:
            detail = json.loads(error.read(65536)).get("error", "")
        except (OSError, ValueError, AttributeError):
            detail = ""
        return Answer(True, f"the service refuses the pages of {origin} ({detail or 'HTTP 403'}): no event of "
                            f"theirs is accepted and no button shows; restart it with --site {site}={origin} "
                            "(more origins: comma-separated)")
    except (OSError, ValueError) as error:
        return Answer(False, _unreachable(server, site, error).problem)


class ServiceChecks:
    """The questions for one service and site, asked on a daemon thread; answers are handled on ``loop``.

    At start the service is asked whether it answers and knows the site; each origin seen on a tagged page is
    asked about once the service answered (origins seen while it did not wait for it, and it is asked again
    after RETRY_SECONDS, so a service started after the proxy is still checked). Each distinct problem is
    reported once, through ``report``.
    """

    def __init__(self, server: str, site: str, insecure: bool, report: Callable[[str], None],
                 loop: asyncio.AbstractEventLoop, retry: float = RETRY_SECONDS) -> None:
        self.server, self.site, self.insecure, self.retry = server, site, insecure, retry
        self.report = report
        self.loop = loop
        self.reached: bool | None = None        # None: not known yet
        self._asked_at = 0.0
        self._checked: set[str] = set()          # origins the service answered about
        self._waiting: set[str] = set()          # origins seen, not asked about yet
        self._asking: set[str] = set()
        self._reported: set[str] = set()
        self._questions: queue.Queue = queue.Queue(MAX_PENDING)
        threading.Thread(target=self._work, name="clickto-service-check", daemon=True).start()
        self._ask_service()

    # ------------------------------------------------------------------ on the event loop

    def origin_seen(self, origin: str) -> None:
        if origin in self._checked or origin in self._asking or len(self._checked) >= MAX_ORIGINS:
            return
        if self.reached:
            self._ask_origin(origin)
            return
        if len(self._waiting) < MAX_ORIGINS:
            self._waiting.add(origin)
        if self.reached is False and time.monotonic() - self._asked_at >= self.retry:
            self._ask_service()

    def close(self) -> None:
        self._put(None)

    def _ask_service(self) -> None:
        self._asked_at = time.monotonic()
        self._put(("service", None))

    def _ask_origin(self, origin: str) -> None:
        self._waiting.discard(origin)
        self._asking.add(origin)
        if not self._put(("origin", origin)):
            self._asking.discard(origin)

    def _put(self, question) -> bool:
        try:
            self._questions.put_nowait(question)
            return True
        except queue.Full:
            return False

    def _answered(self, kind: str, origin: str | None, answer: Answer) -> None:
        if answer.problem and answer.problem not in self._reported:
            self._reported.add(answer.problem)
            self.report(answer.problem)
        if kind == "origin":
            self._asking.discard(origin)
            if answer.reached:
                self._checked.add(origin)
            elif len(self._waiting) < MAX_ORIGINS:
                self._waiting.add(origin)
        was = self.reached
        self.reached = answer.reached
        if not answer.reached and kind == "origin":
            self._asked_at = time.monotonic()
        if answer.reached and not was:
            for waiting in list(self._waiting):
                self._ask_origin(waiting)

    # ------------------------------------------------------------------ on the thread

    def _work(self) -> None:
        while True:
            question = self._questions.get()
            if question is None:
                return
            kind, origin = question
            if kind == "service":
                answer = service_problem(self.server, self.site, self.insecure)
            else:
                answer = origin_problem(self.server, self.site, origin, self.insecure)
            try:
                self.loop.call_soon_threadsafe(self._answered, kind, origin, answer)
            except RuntimeError:   # the loop is closed: mitmproxy is shutting down
                return
