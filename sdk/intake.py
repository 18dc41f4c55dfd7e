"""Reading an event batch off the wire: size cap, content type, JSON, schema and types, in that order.

Everything is checked before any event is applied, so a batch is folded whole or not at all. Each error
names the field the way a developer would address it in the batch: ``sent_at``, ``events[2].value``.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import ujson
from starlette.requests import Request
from starlette.types import Receive

from clickto.ids import ID, ID_RULE
from rules import EventError
from rules.condition_syntax import json_type
from rules.session import validate_event
from sdk.errors import ApiError


JSON_TYPES = {"", "text/plain", "application/json"}
MAX_NUMBER = 1e300
"""Above this (JSON integers may have hundreds of digits) a number is not a time or an amount, and turning it
into a float would overflow."""


class Batch(NamedTuple):
    """A checked batch (a tuple: it is built on every request, and tuples are the cheapest immutable record)."""

    site: str
    session: str
    visitor: str | None
    sent_at: float            # client clock, ms since epoch
    events: list[dict[str, Any]]

    def server_times(self, now: float, oldest: float) -> list[float]:
        """Each event's time on the server clock: ``now - (sent_at - t)/1000``, never in the future
        and never before ``oldest`` (a queue that waited for hours is not replayed as hours of dwell)."""
        times = []
        for event in self.events:
            t = event.get("t", self.sent_at)
            times.append(min(now, max(oldest, now - (self.sent_at - t) / 1000.0)))
        return times


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) anything over ``limit`` bytes before reading it all."""
    return await receive_body(request.receive, request.headers.get("content-length"), limit)


async def receive_body(receive: Receive, declared: str | bytes | None, limit: int) -> bytes:
    """The body from the ASGI messages; ``declared`` is the Content-Length header (413 before reading when
    it is over ``limit``, and 413 as soon as what arrives is)."""
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise ApiError(400, "Content-Length is not a number") from None
        if size > limit:
            raise ApiError(413, f"body is {size} bytes; the limit is {limit} bytes")
    chunks: list[bytes] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ApiError(400, "the client went away before the body was complete")
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > limit:
            raise ApiError(413, f"body is larger than the limit of {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def check_content_type(request: Request) -> None:
    """JSON may come as ``text/plain`` (what the tag sends: no CORS preflight) or ``application/json``."""
    check_media_type(request.headers.get("content-type"))


def check_media_type(header: str | None) -> None:
    """415 unless the Content-Type ``header`` is one that carries JSON here."""
    media = (header or "").split(";", 1)[0].strip().lower()
    if media not in JSON_TYPES:
        raise ApiError(415, f"Content-Type must be text/plain or application/json carrying JSON, got '{media}'")


def parse_json(body: bytes) -> Any:
    """Decode JSON; on failure say where (line and column), which ujson alone does not."""
    if not body.strip():
        raise ApiError(400, "body is empty; expected a JSON object")
    try:
        return ujson.loads(body)
    except (ValueError, OverflowError):
        pass
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(400, f"body is not UTF-8 text (byte {error.start})") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ApiError(400, "body is not acceptable JSON: nested too deeply") from None
    except json.JSONDecodeError as error:
        raise ApiError(400, f"body is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except ValueError as error:
        raise ApiError(400, f"body is not valid JSON: {error}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def require_object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ApiError(422, f"body must be a JSON object, got {json_type(data)}")
    return data


def _string(data: dict[str, Any], name: str, required: bool) -> str | None:
    """``data[name]`` when it is a string; None when absent and optional; else a 422 naming it."""
    value = data.get(name)
    if value is None:
        if required:
            raise ApiError(422, f"{name} is required", name)
        return None
    if not isinstance(value, str):
        raise ApiError(422, f"{name} must be a string, got {json_type(value)}", name)
    return value


def require_id(data: dict[str, Any], name: str, required: bool = True) -> str | None:
    value = _string(data, name, required)
    if value is not None and not ID.match(value):
        raise ApiError(422, f"{name} must be {ID_RULE}", name)
    return value


def require_number(data: dict[str, Any], name: str) -> float:
    value = data.get(name)
    if value is None:
        raise ApiError(422, f"{name} is required", name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ApiError(422, f"{name} must be a number, got {json_type(value)}", name)
    if not 0 <= value <= MAX_NUMBER:   # also NaN and inf; compares integers of any size without overflow
        raise ApiError(422, f"{name} must be a finite, non-negative number", name)
    return float(value)


def require_string(data: dict[str, Any], name: str, max_length: int, required: bool = True) -> str | None:
    value = _string(data, name, required)
    if value is None:
        return None
    if required and not value.strip():
        raise ApiError(422, f"{name} must not be empty", name)
    if len(value) > max_length:
        raise ApiError(422, f"{name} is longer than {max_length} characters", name)
    try:
        value.encode()
    except UnicodeEncodeError:   # a lone UTF-16 surrogate ("\\ud800" is valid JSON): not text anybody can read
        raise ApiError(422, f"{name} is not valid Unicode text (a lone surrogate)", name) from None
    return value


def parse_batch(data: Any, max_events: int, site: str | None = None) -> Batch:
    """Check a decoded batch entirely; the first problem raises ``ApiError`` naming its field.

    ``site``: the batch's ``site``, when the caller has already checked ``data`` is an object and read it.
    """
    if site is None:
        data = require_object(data)
        site = require_id(data, "site")
    session = require_id(data, "session")
    visitor = require_id(data, "visitor", required=False)
    sent_at = require_number(data, "sent_at")
    events = data.get("events")
    if events is None:
        raise ApiError(422, "events is required (an empty list asks for the current decision)", "events")
    if not isinstance(events, list):
        raise ApiError(422, f"events must be a list, got {json_type(events)}", "events")
    if len(events) > max_events:
        raise ApiError(413, f"events has {len(events)} entries; the limit is {max_events} per batch", "events")
    for index, event in enumerate(events):
        try:
            validate_event(event)
        except EventError as error:
            where = f"events[{index}].{error.field}" if error.field else f"events[{index}]"
            raise ApiError(422, f"{where}: {error.message}", where) from None
    return Batch(site, session, visitor, sent_at, events)  # type: ignore[arg-type]
