"""``POST /v1/events`` written at the ASGI level: the one endpoint every page calls, several times a minute.

It does exactly what the other endpoints do through Starlette (CORS against the site's origins, content
type, size cap, JSON, schema, fold, JSON answer, errors as ``{"error", "field"}``), but reads the headers
and the body straight off the ASGI scope and messages and answers with two ``send`` calls: Starlette's
``Request``/``Response`` objects, routing and middleware cost as much per batch as the engine's own work.
``ServiceApp`` routes the path here before Starlette's router; a host that adds middleware to the app
gets the ordinary route (same endpoint), so its middleware still sees every request.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from clickto.ports import DEFAULT_PORTS
from sdk.config import ServiceConfig
from sdk.errors import ApiError, json_bytes
from sdk.http import origin_grant, site_or_404
from sdk.intake import (
    check_media_type,
    parse_batch,
    parse_json,
    receive_body,
    require_id,
    require_object,
)
from sdk.service import Service

log = logging.getLogger("clickto.sdk")

JSON_HEADER = (b"content-type", b"application/json")


def own_origin(scope: Scope, host: str | None) -> str:
    """``scheme://host[:port]`` of the service as the client addressed it (what Starlette's ``request.url``
    gives): a page on the service's own origin needs no CORS."""
    scheme = scope.get("scheme", "http")
    if host is not None:
        return f"{scheme}://{host}"
    server = scope.get("server")
    if server is None:
        return ""
    name, port = server
    return f"{scheme}://{name}" if DEFAULT_PORTS.get(scheme) == port else f"{scheme}://{name}:{port}"


async def respond(send: Send, status: int, body: bytes, headers: Mapping[str, str]) -> None:
    raw = [JSON_HEADER, (b"content-length", str(len(body)).encode())]
    raw.extend((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items())
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class EventsEndpoint:
    """The ASGI app of ``POST /v1/events`` (docs/service.md, Events)."""

    def __init__(self, service: Service, config: ServiceConfig) -> None:
        self.service = service
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cors: dict[str, str] = {}
        try:
            status, body = 200, await self._handle(scope, receive, cors)
        except ApiError as error:
            status, body = error.status, json_bytes(error.payload())
            cors = {**error.headers, **cors}
        except Exception:
            log.exception("%s %s failed", scope.get("method"), scope.get("path"))
            status, body = 500, json_bytes({"error": "internal error; the service logged it", "field": None})
        await respond(send, status, body, cors)

    async def _handle(self, scope: Scope, receive: Receive, cors: dict[str, str]) -> bytes:
        """The answer's body; fills ``cors`` with the headers granted so far (errors carry them too)."""
        service, config = self.service, self.config
        service.ensure_running()
        origin = host = media = length = None
        for name, value in scope["headers"]:   # the first of repeated headers counts, as in Starlette
            if name == b"origin":
                origin = value.decode("latin-1") if origin is None else origin
            elif name == b"host":
                host = value.decode("latin-1") if host is None else host
            elif name == b"content-type":
                media = value.decode("latin-1") if media is None else media
            elif name == b"content-length":
                length = value if length is None else length
        foreign = bool(origin) and origin != own_origin(scope, host)
        if foreign:
            cors.update(origin_grant(config, None, origin))  # type: ignore[arg-type]
        check_media_type(media)
        data = require_object(parse_json(await receive_body(receive, length, config.max_body_bytes)))
        site = site_or_404(config, require_id(data, "site"))
        if foreign:
            cors.clear()
            cors.update(origin_grant(config, site, origin))  # type: ignore[arg-type]
        batch = parse_batch(data, config.max_events_per_batch, site.key)
        folded = await service.fold(batch)
        answer: dict[str, Any] = {"session": batch.session, "decision": folded.decision}
        if not folded.page_known:
            answer["page_unknown"] = True
        return json_bytes(answer)


def route_path(scope: Scope) -> str:
    """The path inside this app (without the prefix it is mounted under), as Starlette's router sees it."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


class ServiceApp(Starlette):
    """The service's Starlette app, with ``POST /v1/events`` answered before Starlette's routing.

    Everything else (and ``/v1/events`` itself once a host adds middleware) goes through the routes.
    """

    def __init__(self, *args: Any, events: EventsEndpoint, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.events_endpoint = events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not self.user_middleware \
                and route_path(scope) == "/v1/events":
            scope["app"] = self
            await self.events_endpoint(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
