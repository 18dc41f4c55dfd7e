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


class JSONResponse(Response):
    """Starlette's JSONResponse, rendered with ujson (faster, and the same output for our data)."""

    media_type = "application/json"

    def render(self, content: object) -> bytes:
        return ujson.dumps(content, ensure_ascii=False, escape_forward_slashes=False).encode()


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error.payload(), status_code=error.status, headers=error.headers)
