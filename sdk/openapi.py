"""The OpenAPI 3.1 description of the service, served at ``/openapi.json``.

Written by hand (the endpoints are few and their errors matter), except the event schemas, which are
generated from the engine's own event table so the document cannot drift from what is validated.
"""

from __future__ import annotations

import functools
from typing import Any

from clickto.ids import ID
from sdk.presence import NAME
from rules.session import ENUMS, EVENT_FIELDS, REQUIRED_FIELDS

JSON_TYPE = {"string": "string", "number": "number", "integer": "integer", "boolean": "boolean", "object": "object"}
ID_SCHEMA = {"type": "string", "pattern": ID.pattern}
NAME_SCHEMA = {"type": "string", "pattern": NAME.pattern}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _event_schema(kind: str, fields: dict[str, str]) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "type": {"const": kind},
        "t": {"type": "number", "description": "client time, ms since the Unix epoch"},
    }
    for name, json_type in fields.items():
        schema: dict[str, Any] = {"type": JSON_TYPE[json_type]}
        if name in ENUMS:
            schema["enum"] = list(ENUMS[name])
        properties[name] = schema
    return {"type": "object", "required": ["type", *REQUIRED_FIELDS.get(kind, ())], "properties": properties}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": True, "schema": schema, "description": description}


def _body(schema_name: str) -> dict[str, Any]:
    schema = _ref(schema_name)
    return {"required": True, "content": {"text/plain": {"schema": schema}, "application/json": {"schema": schema}}}


SITE = _query("site", ID_SCHEMA, "the site key (`data-site` of the tag)")
BEARER = [{"bearer": []}]
COMMON_ERRORS = {"400": _error("body is not JSON"), "403": _error("origin not allowed for the site"),
                 "404": _error("unknown site (field `site`)"), "413": _error("body larger than the size cap"),
                 "415": _error("content type is not text/plain or application/json"),
                 "422": _error("a field is missing or has the wrong type; `field` names it")}
AUTH_ERRORS = {"401": _error("no or invalid bearer token"), "403": _error("the token may not do this")}
SCRIPT = {"description": "JavaScript (gzip when accepted)", "headers": {
    "ETag": {"schema": {"type": "string"}}, "Cache-Control": {"schema": {"type": "string"}}},
    "content": {"text/javascript": {"schema": {"type": "string"}}}}


@functools.cache
def openapi_document() -> dict[str, Any]:
    events = [_event_schema(kind, fields) for kind, fields in sorted(EVENT_FIELDS.items())]
    schemas: dict[str, Any] = {
        "Error": {"type": "object", "required": ["error", "field"], "properties": {
            "error": {"type": "string", "description": "what was wrong"},
            "field": {"type": ["string", "null"], "description": "where, e.g. `events[2].value`; null for the body"}}},
        "Event": {"oneOf": events, "description": "a session event (docs/architecture.md, Session events)"},
        "EventBatch": {"type": "object", "required": ["site", "session", "sent_at", "events"], "properties": {
            "site": ID_SCHEMA, "session": ID_SCHEMA, "visitor": ID_SCHEMA,
            "sent_at": {"type": "number", "minimum": 0, "description": "client time of sending, ms since epoch"},
            "events": {"type": "array", "items": _ref("Event"), "maxItems": 500}}},
        "Decision": {"type": "object", "required": ["channel", "rule", "label", "reasons", "scores", "next_check",
                                                    "held_out"], "properties": {
            "channel": {"type": ["string", "null"], "description": "button to show; null for none"},
            "rule": {"type": ["string", "null"]}, "label": {"type": ["string", "null"]},
            "reasons": {"type": "array", "items": {"type": "string"}},
            "scores": {"type": "object", "additionalProperties": {"type": "number"}},
            "next_check": {"type": ["number", "null"], "description": "epoch seconds"},
            "held_out": {"type": "boolean"},
            "near_misses": {"type": "array", "items": {"type": "object"}}}},
        "DecisionResponse": {"type": "object", "required": ["session", "decision"], "properties": {
            "session": ID_SCHEMA, "decision": _ref("Decision"),
            "page_unknown": {"type": "boolean", "const": True,
                             "description": "present when the session has no page yet (the service restarted or "
                                            "the session expired there): the tag sends a page_view again"}}},
        "Counts": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
                   "description": "people online per pool"},
        "PresenceUpdate": {"type": "object", "required": ["pool", "person", "online"], "properties": {
            "site": ID_SCHEMA, "pool": NAME_SCHEMA, "person": NAME_SCHEMA, "online": {"type": "boolean"}}},
        "PresenceResult": {"type": "object", "required": ["site", "pool", "person", "online", "changed", "counts"],
                           "properties": {"site": ID_SCHEMA, "pool": NAME_SCHEMA, "person": NAME_SCHEMA,
                                          "online": {"type": "boolean"}, "changed": {"type": "boolean"},
                                          "counts": _ref("Counts")}},
        "NewConversation": {"type": "object", "required": ["site", "session", "channel", "message"], "properties": {
            "site": ID_SCHEMA, "session": ID_SCHEMA, "channel": {"type": "string", "minLength": 1, "maxLength": 64},
            "rule": {"type": ["string", "null"], "maxLength": 128},
            "message": {"type": "string", "minLength": 1, "maxLength": 4000, "pattern": "\\S",
                        "description": "not only whitespace"}}},
        "Conversation": {"type": "object", "required": ["id", "site", "session", "channel", "rule", "message",
                                                        "created_at"], "properties": {
            "id": {"type": "string"}, "site": ID_SCHEMA, "session": ID_SCHEMA, "channel": {"type": "string"},
            "rule": {"type": ["string", "null"]}, "message": {"type": "string"},
            "created_at": {"type": "number", "description": "epoch seconds"}}},
        "Health": {"type": "object", "required": ["status", "rules", "sessions", "streams", "sites"], "properties": {
            "status": {"enum": ["ok", "degraded"]}, "sessions": {"type": "integer"}, "streams": {"type": "integer"},
            "sites": {"type": "array", "items": {"type": "string"}},
            "rules": {"type": "object", "required": ["path", "ok", "errors"], "properties": {
                "path": {"type": "string"}, "ok": {"type": "boolean"}, "loaded_at": {"type": "number"},
                "reloads": {"type": "integer"}, "failed_reloads": {"type": "integer"},
                "errors": {"type": "array", "items": {"type": "string"}, "description": "FILE:LINE:COL: message"}}}}},
    }
    preflight = {"summary": "CORS preflight (origins configured for the site)",
                 "parameters": [{**SITE, "required": False}],
                 "responses": {"204": {"description": "allowed"}, "403": _error("origin or headers not allowed"),
                               "404": COMMON_ERRORS["404"], "405": _error("the requested method is not allowed here"),
                               "422": _error("`site` is not a valid site key")}}
    paths: dict[str, Any] = {
        "/clickto.js": {"get": {"summary": "The browser tag", "responses": {
            "200": SCRIPT, "304": {"description": "not modified (If-None-Match)"}}}},
        "/clickto-panel.js": {"get": {"summary": "The conversation panel, loaded on click", "responses": {
            "200": SCRIPT, "304": {"description": "not modified (If-None-Match)"}}}},
        "/v1/events": {
            "post": {"summary": "Fold an event batch into its session and decide",
                     "requestBody": _body("EventBatch"),
                     "responses": {"200": _json(_ref("DecisionResponse"), "the decision now"), **COMMON_ERRORS}},
            "options": preflight},
        "/v1/stream": {
            "get": {"summary": "Server-Sent Events: `event: decision` whenever the decision changes",
                    "parameters": [SITE, _query("session", ID_SCHEMA, "the session id")],
                    "responses": {"200": {"description": "`event: decision` / `data: Decision`; `: ping` comments",
                                          "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                                  "403": COMMON_ERRORS["403"], "404": COMMON_ERRORS["404"],
                                  "422": COMMON_ERRORS["422"], "503": _error("too many open streams")}},
            "options": preflight},
        "/v1/presence": {
            "get": {"summary": "People online per pool (counts only, public)", "parameters": [SITE],
                    "responses": {"200": _json(_ref("Counts")), "403": COMMON_ERRORS["403"],
                                  "404": COMMON_ERRORS["404"], "422": COMMON_ERRORS["422"]}},
            "put": {"summary": "Switch one person on or off in a pool", "security": BEARER,
                    "parameters": [{**SITE, "required": False}],
                    "requestBody": _body("PresenceUpdate"),
                    "responses": {"200": _json(_ref("PresenceResult")), **COMMON_ERRORS, **AUTH_ERRORS}},
            "options": preflight},
        "/v1/conversations": {
            "post": {"summary": "A question asked from the panel", "requestBody": _body("NewConversation"),
                     "responses": {"201": _json({"type": "object", "required": ["id"],
                                                 "properties": {"id": {"type": "string"}}}), **COMMON_ERRORS}},
            "get": {"summary": "The site's conversations, oldest first", "security": BEARER, "parameters": [SITE],
                    "responses": {"200": _json({"type": "object", "required": ["conversations"], "properties": {
                        "conversations": {"type": "array", "items": _ref("Conversation")}}}),
                        "404": COMMON_ERRORS["404"], "422": COMMON_ERRORS["422"], **AUTH_ERRORS,
                        "403": _error("origin not allowed for the site, or the token may not do this")}},
            "options": preflight},
        "/v1/sites/{site}/training-rows": {
            "parameters": [{"name": "site", "in": "path", "required": True, "schema": ID_SCHEMA,
                            "description": "the site key"}],
            "get": {"summary": "Finished sessions as CSV rows in the intent dataset's columns (Revenue = ordered), "
                               "for `clickto train --data`; admin token",
                    "security": BEARER,
                    "responses": {"200": {"description": "CSV with a header line (docs/intent.md)",
                                          "content": {"text/csv": {"schema": {"type": "string"}}}},
                                  "404": COMMON_ERRORS["404"], **AUTH_ERRORS}},
            "options": {**preflight, "parameters": []}},   # the site is the path's
        "/openapi.json": {"get": {"summary": "This document", "responses": {"200": _json({"type": "object"})}}},
        "/healthz": {"get": {"summary": "Liveness, rules reload status, counters",
                             "responses": {"200": _json(_ref("Health"))}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "clickto SDK service", "version": "1",
                 "description": "Events in, decisions out (response and SSE), presence, conversations. "
                                "Paths are relative to where the service is mounted."},
        "servers": [{"url": "."}],
        "paths": paths,
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "a site admin token or a person's token"}}},
    }
