"""Request plumbing shared by the endpoints: CORS against a site's origins, bearer tokens, error wrapping."""

from __future__ import annotations

import functools
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from sdk.config import PersonToken, ServiceConfig, SiteConfig
from sdk.errors import ApiError, JSONResponse, error_response
from clickto.ids import ID, ID_RULE

log = logging.getLogger("clickto.sdk")

CORS_KEY = "clickto.cors"
ALLOWED_REQUEST_HEADERS = {"authorization", "content-type"}
Handler = Callable[[Request], Awaitable[Response]]


def api(handler: Handler) -> Handler:
    """Turn ``ApiError`` into its JSON answer (with the CORS headers already granted) and anything
    unexpected into a logged JSON 500 that names no internals."""

    @functools.wraps(handler)
    async def wrapper(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as error:
            response = error_response(error)
        except Exception:
            log.exception("%s %s failed", request.method, request.url.path)
            response = JSONResponse({"error": "internal error; the service logged it", "field": None}, 500)
        response.headers.update(request.scope.get(CORS_KEY) or {})
        return response

    return wrapper


def site_or_404(config: ServiceConfig, key: object) -> SiteConfig:
    if not isinstance(key, str) or not key:
        raise ApiError(422, "site is required", "site")
    site = config.site(key)
    if site is None:
        raise ApiError(404, f"unknown site '{key[:64]}'", "site")
    return site


def query_site(config: ServiceConfig, request: Request) -> SiteConfig:
    return site_or_404(config, request.query_params.get("site"))


def query_id(request: Request, name: str) -> str:
    value = request.query_params.get(name)
    if not value:
        raise ApiError(422, f"{name} is required (query parameter)", name)
    if not ID.match(value):
        raise ApiError(422, f"{name} must be {ID_RULE}", name)
    return value


def same_origin(request: Request, origin: str) -> bool:
    return origin == f"{request.url.scheme}://{request.url.netloc}"


def origin_grant(config: ServiceConfig, site: SiteConfig | None, origin: str) -> dict[str, str]:
    """The CORS headers for a foreign ``origin`` allowed for ``site`` (before the site is known: for any
    site); ``ApiError`` 403 naming ``Origin`` when it is not allowed."""
    sites: Iterable[SiteConfig] = [site] if site is not None else config.sites
    if not any(candidate.allows_origin(origin) for candidate in sites):
        where = f"site '{site.key}'" if site is not None else "any site"
        _log_refused_origin(config, origin[:200], where, site)
        raise ApiError(403, f"origin {origin[:200]} is not allowed for {where}", "Origin")
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


MAX_REFUSED_LOGGED = 1000
MAX_REFUSED_LINES_PER_MINUTE = 20


def _log_refused_origin(config: ServiceConfig, origin: str, where: str, site: SiteConfig | None) -> None:
    """Say once per origin and site why pages get nothing: the browser shows the shop's developer only a CORS
    error, and the tag gives up for ten minutes after six of them. The origins already logged are the most
    recent MAX_REFUSED_LOGGED of this service: any client can send any Origin, so a flood of made-up ones
    pushes out old entries (which may be logged again) rather than silencing the log."""
    logged = config.refused_origins_logged
    if (origin, where) in logged:
        logged.move_to_end((origin, where))
        return
    minute = int(time.monotonic() // 60)        # at most this many lines a minute: a flood is no log spam (an
    window, lines = config.refused_lines       # origin left out now is logged at one of its next requests)
    if window == minute and lines >= MAX_REFUSED_LINES_PER_MINUTE:
        return
    config.refused_lines = (minute, lines + 1 if window == minute else 1)
    logged[(origin, where)] = None
    if len(logged) > MAX_REFUSED_LOGGED:
        logged.popitem(last=False)
    key = site.key if site is not None else "KEY"
    log.warning("origin %s is not allowed for %s: its pages' requests are refused (403); if they are the shop's, "
                "list it: clickto serve --site %s=%s (SiteConfig.origins)", origin, where, key, origin)


def grant_cors(request: Request, config: ServiceConfig, site: SiteConfig | None) -> None:
    """Allow the request's ``Origin`` for ``site`` (or, before the site is known, for any site).

    Same-origin and origin-less requests (curl, servers) need nothing. A foreign origin that the site did
    not configure gets 403 and no CORS headers, so the browser shows the page nothing and the event is not
    counted.
    """
    origin = request.headers.get("origin")
    if not origin or same_origin(request, origin):
        return
    try:
        request.scope[CORS_KEY] = origin_grant(config, site, origin)
    except ApiError:
        request.scope.pop(CORS_KEY, None)
        raise


def cors_headers(request: Request) -> dict[str, str]:
    return dict(request.scope.get(CORS_KEY) or {})


def preflight(config: ServiceConfig, methods: Iterable[str]) -> Handler:
    """An OPTIONS handler for a route that accepts ``methods`` from a site's pages."""
    allowed_methods = sorted(set(methods))

    @api
    async def handle(request: Request) -> Response:
        site = None
        if request.query_params.get("site"):
            site = query_site(config, request)
        if not request.headers.get("origin"):
            return Response(status_code=204, headers={"Allow": ", ".join(allowed_methods + ["OPTIONS"])})
        grant_cors(request, config, site)
        wanted = request.headers.get("access-control-request-method", "").upper()
        if wanted and wanted not in allowed_methods:
            raise ApiError(405, f"method {wanted} is not allowed here; use {', '.join(allowed_methods)}",
                           "Access-Control-Request-Method")
        headers = {h.strip().lower() for h in request.headers.get("access-control-request-headers", "").split(",")
                   if h.strip()}
        if not headers <= ALLOWED_REQUEST_HEADERS:
            extra = ", ".join(sorted(headers - ALLOWED_REQUEST_HEADERS))
            raise ApiError(403, f"request headers not allowed: {extra}", "Access-Control-Request-Headers")
        return Response(status_code=204, headers={
            **cors_headers(request),
            "Access-Control-Allow-Methods": ", ".join(allowed_methods),
            "Access-Control-Allow-Headers": "Authorization, Content-Type",
            "Access-Control-Max-Age": "600",
        })

    return handle


# ---------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Grant:
    """What a bearer token may do: everything on a site (admin) or one person's presence."""

    site: SiteConfig
    person: PersonToken | None = None

    @property
    def admin(self) -> bool:
        return self.person is None


def bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "Authorization: Bearer TOKEN is required", "Authorization",
                       headers={"WWW-Authenticate": 'Bearer realm="clickto"'})
    return token.strip()


def authorize(config: ServiceConfig, request: Request, site: SiteConfig | None) -> Grant:
    """The grant of the request's bearer token on ``site`` (or on the one site the token belongs to)."""
    token = bearer(request)
    grants = [grant for candidate in ([site] if site is not None else config.sites)
              if (grant := _grant(candidate, token)) is not None]
    if not grants:
        raise ApiError(401, "the token is not valid" + (f" for site '{site.key}'" if site else ""), "Authorization",
                       headers={"WWW-Authenticate": 'Bearer realm="clickto", error="invalid_token"'})
    if len(grants) > 1:
        raise ApiError(422, "the token is valid for several sites; name the site (?site=KEY)", "site")
    return grants[0]


def _grant(site: SiteConfig, token: str) -> Grant | None:
    if site.admin_token and hmac.compare_digest(site.admin_token.encode(), token.encode()):
        return Grant(site)
    for person_token, person in site.people.items():
        if hmac.compare_digest(person_token.encode(), token.encode()):
            return Grant(site, person)  # type: ignore[arg-type]
    return None


def require_admin(grant: Grant) -> None:
    if not grant.admin:
        raise ApiError(403, "this needs the site's admin token; a person's token only switches its own presence",
                       "Authorization")
