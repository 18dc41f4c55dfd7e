"""The one shape of every error the service answers: ``{"error": message, "field": name-or-null}``.

Handlers raise ``ApiError``; the app turns it (and Starlette's own 404/405) into that JSON, so a client
never sees an HTML page or a bare 500 for bad input.
"""

from __future__ import annotations

from collections.abc import Mapping

import ujson
from starlette.responses import Response


class ApiError(Exception):
    """A 4xx answer: ``status``, what was wrong (``message``) and where (``field``, e.g. ``events[2].value``)."""

    def __init__(self, status: int, message: str, field: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.headers = dict(headers or {})

    def payload(self) -> dict[str, object]:
        return {"error": self.message, "field": self.field}


def json_bytes(payload: object) -> bytes:
    """``payload`` as compact UTF-8 JSON, non-ASCII kept as is.

    A lone UTF-16 surrogate (``"\\ud800"`` is valid JSON, so a client can send one and have it echoed in an
    error message, a conversation or custom data) cannot be encoded as UTF-8: such a payload is written with
    ASCII escapes instead, which is the same JSON to every reader. The common case pays nothing extra.
    """
    try:
        return ujson.dumps(payload, ensure_ascii=False, escape_forward_slashes=False).encode()
    except UnicodeEncodeError:
        return ujson.dumps(payload, ensure_ascii=True, escape_forward_slashes=False).encode()


class JSONResponse(Response):
    """Starlette's JSONResponse, rendered with ujson (faster, and the same output for our data)."""

    media_type = "application/json"

    def render(self, content: object) -> bytes:
        return json_bytes(content)


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error.payload(), status_code=error.status, headers=error.headers)
