"""``create_app(config)``: the Starlette app that serves the tag, takes events and pushes decisions.

All routes are relative, so the app works at the root or mounted under a prefix
(``Mount("/clickto", app=create_app(config))``). See docs/service.md for the protocol.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from sdk.assets import asset_response
from sdk.config import ServiceConfig
from sdk.errors import ApiError, JSONResponse, error_response
from sdk.events import EventsEndpoint, ServiceApp
from sdk.http import (api, authorize, cors_headers, grant_cors, preflight, query_id, query_site, require_admin,
                      site_or_404)
from sdk.intake import (
    check_content_type,
    json_type,
    parse_json,
    read_body,
    require_id,
    require_object,
    require_string,
)
from sdk.openapi import openapi_document
from sdk.presence import check_name
from sdk.service import Service, settled_heap
from sdk.sse import EventStreamResponse
from sdk.store import SessionStore

MAX_CONTROL_BODY = 4096   # presence updates are tiny


def path_methods(routes: Sequence[BaseRoute], scope: Scope) -> list[str]:
    """Every method some route answers on ``scope``'s path (its routes are split by method)."""
    methods: set[str] = set()
    for route in routes:
        if isinstance(route, Route) and route.methods and route.matches(scope)[0] != Match.NONE:
            methods |= route.methods
    return sorted(methods)


def create_app(config: ServiceConfig, store: SessionStore | None = None) -> Starlette:
    """Build the service. Raises ``rules.RuleErrors`` for a bad rule file and FileNotFoundError when the
    tag files are missing, so a misconfigured service never starts.

    ``app.state.service`` holds the state; ``app.state.presence`` (set/get) and ``app.state.rules_errors``
    (problems of the last reload attempt) are shortcuts for host applications.
    """
    service = Service(config, store)

    # ------------------------------------------------------------------ the tag

    async def tag(request: Request) -> Response:
        return asset_response(request, service.assets["clickto.js"], config.cache_max_age)

    async def panel(request: Request) -> Response:
        return asset_response(request, service.assets["clickto-panel.js"], config.cache_max_age)

    # ------------------------------------------------------------------ events

    events = EventsEndpoint(service, config)   # ASGI level: the hot path (sdk/events.py)

    # ------------------------------------------------------------------ stream

    @api
    async def stream(request: Request) -> Response:
        service.ensure_running()
        site = query_site(config, request)
        session = query_id(request, "session")
        grant_cors(request, config, site)
        key = (site.key, session)
        refusal = service.hub.can_subscribe(key)
        if refusal:
            raise ApiError(503, refusal, headers={"Retry-After": "30"})
        subscriber = service.hub.subscribe(key)
        try:
            decision = await service.decide_stored(key)
        except Exception:
            service.hub.unsubscribe(key, subscriber)
            raise
        if decision is not None:
            service.hub.publish(key, decision)   # sends it to the new stream and arms the wake-up timer
        return EventStreamResponse(  # type: ignore[return-value]
            subscriber, lambda: service.hub.unsubscribe(key, subscriber), config.ping_interval,
            headers=cors_headers(request))

    # ------------------------------------------------------------------ presence

    @api
    async def presence_get(request: Request) -> Response:
        site = query_site(config, request)
        grant_cors(request, config, site)
        return JSONResponse(service.presence.counts(site.key), headers=cors_headers(request))

    @api
    async def presence_put(request: Request) -> Response:
        service.ensure_running()
        named = request.query_params.get("site")
        site = site_or_404(config, named) if named else None
        grant_cors(request, config, site)
        grant = authorize(config, request, site)
        grant_cors(request, config, grant.site)
        check_content_type(request)
        data = require_object(parse_json(await read_body(request, MAX_CONTROL_BODY)))
        named = data.get("site")
        if named is not None and not isinstance(named, str):
            raise ApiError(422, f"site must be a string, got {json_type(named)}", "site")
        if named is not None and named != grant.site.key:
            raise ApiError(403 if config.site(named) else 404,
                           f"the token is for site '{grant.site.key}', not '{named[:64]}'", "site")
        pool, person = data.get("pool"), data.get("person")
        for name, value in (("pool", pool), ("person", person)):
            if value is None:
                raise ApiError(422, f"{name} is required", name)
            try:
                check_name(name, value)
            except ValueError as error:
                raise ApiError(422, str(error), name) from None
        online = data.get("online")
        if not isinstance(online, bool):
            raise ApiError(422, "online is required and must be true or false", "online")
        known = service.presence.pools(grant.site.key)
        if pool not in known:
            raise ApiError(422, f"unknown pool '{pool}'; known: {', '.join(known) or 'none'}", "pool")
        if grant.person is not None:
            if pool != grant.person.pool:
                raise ApiError(403, f"this token may only switch pool '{grant.person.pool}'", "pool")
            if person != grant.person.person:
                raise ApiError(403, f"this token may only switch person '{grant.person.person}'", "person")
        changed = service.presence.set(grant.site.key, pool, person, online)
        return JSONResponse({"site": grant.site.key, "pool": pool, "person": person, "online": online,
                             "changed": changed, "counts": service.presence.counts(grant.site.key)},
                            headers=cors_headers(request))

    # ------------------------------------------------------------------ conversations

    @api
    async def conversations_post(request: Request) -> Response:
        grant_cors(request, config, None)
        check_content_type(request)
        data = require_object(parse_json(await read_body(request, config.max_body_bytes)))
        site = site_or_404(config, require_id(data, "site"))
        grant_cors(request, config, site)
        session = require_id(data, "session")
        channel = require_string(data, "channel", 64)
        rule = require_string(data, "rule", 128, required=False)
        message = require_string(data, "message", 4000)
        conversation = service.conversations.create(site.key, session, channel, rule, message.strip())
        return JSONResponse({"id": conversation.id}, status_code=201, headers=cors_headers(request))

    @api
    async def conversations_get(request: Request) -> Response:
        site = query_site(config, request)
        grant_cors(request, config, site)
        require_admin(authorize(config, request, site))
        items = [conversation.to_dict() for conversation in service.conversations.list(site.key)]
        return JSONResponse({"conversations": items}, headers=cors_headers(request))

    # ------------------------------------------------------------------ training rows (sdk.export)

    @api
    async def training_rows(request: Request) -> Response:
        site = site_or_404(config, request.path_params["site"])
        grant_cors(request, config, site)
        require_admin(authorize(config, request, site))
        headers = {**cors_headers(request), "Cache-Control": "no-store",
                   "Content-Disposition": f'attachment; filename="{site.key}-sessions.csv"'}
        return StreamingResponse(service.export.lines(site.key), media_type="text/csv; charset=utf-8",
                                 headers=headers)

    # ------------------------------------------------------------------ meta

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document())

    async def healthz(request: Request) -> Response:
        return JSONResponse(service.status(), headers={"Cache-Control": "no-store"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service.ensure_running()
        with settled_heap():   # startup objects out of the collector's sight while serving (sdk/service.py)
            yield
        await service.aclose()

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            # Starlette answers with the methods of the first route of the path only (GET, HEAD for
            # /v1/presence, though PUT works): name them all, in the header and in the message
            methods = ", ".join(path_methods(request.app.routes, request.scope))
            error = ApiError(405, f"method {request.method} is not allowed for {request.url.path}; use {methods}",
                             headers={**(exc.headers or {}), "Allow": methods})
        else:
            error = ApiError(exc.status_code, exc.detail if exc.status_code != 404 else f"no such endpoint: "
                             f"{request.method} {request.url.path}", headers=exc.headers)
        return error_response(error)

    routes = [
        Route("/clickto.js", tag, methods=["GET", "HEAD"]),
        Route("/clickto-panel.js", panel, methods=["GET", "HEAD"]),
        Route("/v1/events", events, methods=["POST"]),
        Route("/v1/events", preflight(config, ["POST"]), methods=["OPTIONS"]),
        Route("/v1/stream", stream, methods=["GET"]),
        Route("/v1/stream", preflight(config, ["GET"]), methods=["OPTIONS"]),
        Route("/v1/presence", presence_get, methods=["GET"]),
        Route("/v1/presence", presence_put, methods=["PUT"]),
        Route("/v1/presence", preflight(config, ["GET", "PUT"]), methods=["OPTIONS"]),
        Route("/v1/conversations", conversations_post, methods=["POST"]),
        Route("/v1/conversations", conversations_get, methods=["GET"]),
        Route("/v1/conversations", preflight(config, ["GET", "POST"]), methods=["OPTIONS"]),
        Route("/v1/sites/{site}/training-rows", training_rows, methods=["GET"]),
        Route("/v1/sites/{site}/training-rows", preflight(config, ["GET"]), methods=["OPTIONS"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    app = ServiceApp(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: http_error}, events=events)
    app.state.service = service
    app.state.presence = service.presence
    app.state.conversations = service.conversations
    app.state.store = service.store
    app.state.rules = service.rules
    app.state.rules_errors = service.rules.errors

    def track_errors(*_: object) -> None:
        app.state.rules_errors = list(service.rules.errors)

    service.rules.events.on("reloaded", track_errors)
    service.rules.events.on("failed", track_errors)
    return app
