"""Ask the clickto service whether tagged pages can work: is it there, does it know the site, does it accept
the pages' origin. Why: the proxy's "tagged" log line was no proof; with the service down, or started with
a bare ``--site KEY`` (same origin only), every page got the tag and not one event was accepted.

Blocking (``urllib``), short timeouts, never through a proxy; the addon runs these in a worker thread and
only logs what they find. Each returns a message for the log, or None when all is well (or not known).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import quote

TIMEOUT = 3.0
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # not through HTTP_PROXY and friends


def service_problem(server: str, site: str, timeout: float = TIMEOUT) -> str | None:
    """Why the service at ``server`` cannot take the tag's events for ``site`` (down, not clickto, no such
    site), or None."""
    url = f"{server}/healthz"
    try:
        with _DIRECT.open(url, timeout=timeout) as response:
            status = json.loads(response.read(65536))
    except urllib.error.HTTPError as error:
        return f"the service at {server} answers {url} with HTTP {error.code}: is it a clickto service?"
    except (OSError, ValueError) as error:   # refused, timed out, not JSON
        reason = getattr(error, "reason", None) or error
        return (f"the service at {server} does not answer ({reason}): pages get the tag, but nothing is "
                f"reported and no button shows until it runs (clickto serve --site {site}=ORIGIN ...)")
    sites = status.get("sites") if isinstance(status, dict) else None
    if not isinstance(sites, list):
        return f"{url} does not look like a clickto service's health answer"
    if site not in sites:
        known = ", ".join(map(str, sites)) or "none"
        return (f"the service at {server} has no site '{site}' (it serves: {known}); start it with "
                f"--site {site}=ORIGIN, ORIGIN being the address of the pages you browse")
    return None


def origin_problem(server: str, site: str, origin: str, timeout: float = TIMEOUT) -> str | None:
    """Why the service refuses the tag's requests from pages of ``origin`` (``scheme://host[:port]``), or None
    (also when the service cannot be asked: ``service_problem`` says that once)."""
    request = urllib.request.Request(
        f"{server}/v1/events?site={quote(site)}", method="OPTIONS",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"})
    try:
        with _DIRECT.open(request, timeout=timeout):
            return None
    except urllib.error.HTTPError as error:
        if error.code != 403:
            return None
        try:
            detail = json.loads(error.read(65536)).get("error", "")
        except (OSError, ValueError, AttributeError):
            detail = ""
        return (f"the service refuses the pages of {origin} ({detail or 'HTTP 403'}): no event of theirs is "
                f"accepted and no button shows; restart it with --site {site}={origin} (more origins: comma-separated)")
    except OSError:
        return None
