"""The mitmproxy addon: inject the clickto tag into HTML documents passing through.

    mitmdump -s proxy/addon.py --set clickto_server=http://127.0.0.1:8000 --set clickto_site=demo

Everything that is not a top-level or frame HTML document of a matching host passes through byte for
byte (see ``skip_reason``); documents get exactly one tag, Content-Encoding and Content-Length kept
consistent, and CSP headers rewritten just enough (``proxy/csp.py``).
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from mitmproxy import ctx, exceptions, http

from proxy.document import Rewritten, rewrite
from proxy.injection import ConfigError, TagConfig

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
DOCUMENT_DESTS = frozenset({"document", "iframe", "frame"})
INJECTABLE_STATUS = frozenset({200, 203}) | frozenset(range(400, 600))
DIGEST_HEADERS = ("content-md5", "digest", "content-digest", "repr-digest")
OFFLOAD_BYTES = 16 * 1024  # below this, a thread hop costs more than the work
WORKERS = 2


def mimetype(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def host_matches(host: str, port: int, patterns: Sequence[str]) -> bool:
    """fnmatch-style host patterns (``shop.example.com``, ``*.example.com``, ``127.0.0.1:8001``);
    an empty list matches every host."""
    if not patterns:
        return True
    host = host.lower().rstrip(".")
    for pattern in patterns:
        pattern = pattern.strip().lower()
        target = f"{host}:{port}" if ":" in pattern else host
        if fnmatch.fnmatchcase(target, pattern):
            return True
    return False


def request_wants_document(request: http.Request) -> str | None:
    """None when the request is for a document or frame; else why it is not (XHR/fetch fragments)."""
    if request.headers.get("x-requested-with", "").lower() == "xmlhttprequest":
        return "XMLHttpRequest"
    dest = request.headers.get("sec-fetch-dest")
    if dest is not None:
        return None if dest.strip().lower() in DOCUMENT_DESTS else f"Sec-Fetch-Dest: {dest}"
    accept = request.headers.get("accept")
    if accept is not None and "text/html" not in accept.lower() and "application/xhtml+xml" not in accept.lower():
        return f"Accept: {accept}"
    return None


def skip_reason(flow: http.HTTPFlow, patterns: Sequence[str]) -> str | None:
    """Why a response must pass through untouched, or None when it is a document to tag."""
    request, response = flow.request, flow.response
    if response is None:
        return "no response"
    if request.method.upper() in {"HEAD", "CONNECT"}:
        return f"{request.method} request"
    if response.status_code not in INJECTABLE_STATUS:
        return f"status {response.status_code}"
    if mimetype(response.headers.get("content-type")) not in HTML_TYPES:
        return f"content type {response.headers.get('content-type')!r}"
    if response.headers.get("content-disposition", "").strip().lower().startswith("attachment"):
        return "download (Content-Disposition: attachment)"
    if not host_matches(request.pretty_host, request.port, patterns):
        return f"host {request.pretty_host} not in --only"
    return request_wants_document(request)


class ClicktoInjector:
    """mitmproxy addon; options are declared in ``load`` so ``--set clickto_*=...`` works."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self.config: TagConfig | None = None
        self.injected = 0
        self.passed = 0

    def load(self, loader) -> None:
        loader.add_option("clickto_server", str, "", "Base URL of the clickto service, e.g. http://127.0.0.1:8000")
        loader.add_option("clickto_site", str, "", "Site key the tag reports as (data-site)")
        loader.add_option(
            "clickto_only",
            Sequence[str],
            [],
            "Only inject into these hosts (fnmatch patterns, e.g. '*.example.com'); default: every host",
        )
        loader.add_option(
            "clickto_max_bytes",
            int,
            DEFAULT_MAX_BYTES,
            "Leave documents larger than this many bytes (encoded or decoded) untouched",
        )

    def configure(self, updated: set[str]) -> None:
        if not updated & {"clickto_server", "clickto_site", "clickto_max_bytes"}:
            return
        if ctx.options.clickto_max_bytes <= 0:
            raise exceptions.OptionsError("clickto_max_bytes must be a positive number of bytes")
        server, site = ctx.options.clickto_server, ctx.options.clickto_site
        if not server or not site:
            self.config = None
            missing = " and ".join(n for n, v in (("clickto_server", server), ("clickto_site", site)) if not v)
            logger.warning(f"clickto: set {missing} to inject the tag; until then everything passes through")
            return
        try:
            self.config = TagConfig.create(server, site)
        except ConfigError as exc:
            raise exceptions.OptionsError(f"clickto: {exc}") from exc
        logger.info(f"clickto: injecting {self.config.tag()} (site {self.config.site})")

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        """Stream what must not be buffered: Server-Sent Events (the service pushes decisions over SSE,
        and a buffered stream never arrives), and documents whose Content-Length is above the cap."""
        if self.config is None or flow.response is None:
            return
        if mimetype(flow.response.headers.get("content-type")) == "text/event-stream":
            flow.response.stream = True
            return
        length = flow.response.headers.get("content-length", "")
        if length.isdigit() and int(length) > ctx.options.clickto_max_bytes:
            if skip_reason(flow, ctx.options.clickto_only) is None:
                flow.response.stream = True
                logger.info("clickto: %s: %s bytes above the cap, streamed untouched", flow.request.pretty_url, length)

    async def response(self, flow: http.HTTPFlow) -> None:
        """Tag the document. Bodies of ``OFFLOAD_BYTES`` or more are decoded, tagged and re-encoded in
        a worker thread (zlib, brotli and zstd release the GIL), so that mitmproxy's event loop keeps
        serving other flows meanwhile; the flow is only changed back on the loop."""
        if self.config is None or flow.response is None or flow.response.stream:
            return
        reason = skip_reason(flow, ctx.options.clickto_only)
        if reason is None:
            response = flow.response
            job = (
                response.raw_content,
                response.headers.get("content-encoding"),
                response.headers.get("content-type"),
                response.headers.get_all("content-security-policy"),
                self.config,
                ctx.options.clickto_max_bytes,
            )
            if response.raw_content is not None and len(response.raw_content) >= OFFLOAD_BYTES:
                loop = asyncio.get_running_loop()
                result = await loop.run_in_executor(self._executor(), rewrite, *job)
            else:
                result = rewrite(*job)
            reason = result if isinstance(result, str) else self._apply(flow, result)
        if reason is None:
            self.injected += 1
        else:
            self.passed += 1
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("clickto: %s: untouched (%s)", flow.request.pretty_url, reason)

    def done(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="clickto-inject")
        return self._pool

    def _apply(self, flow: http.HTTPFlow, result: Rewritten) -> None:
        assert flow.response is not None
        response = flow.response
        self._replace_body(response, result.raw)
        if result.csp_headers != response.headers.get_all("content-security-policy"):
            response.headers.set_all("content-security-policy", result.csp_headers)
        if logger.isEnabledFor(logging.INFO):
            logger.info("clickto: tagged %s%s", flow.request.pretty_url, f" (nonce {result.nonce})" if result.nonce else "")
        return None

    @staticmethod
    def _replace_body(response: http.Response, raw: bytes) -> None:
        response.raw_content = raw
        if "content-length" in response.headers and "transfer-encoding" not in response.headers:
            response.headers["content-length"] = str(len(raw))
        for name in DIGEST_HEADERS:
            response.headers.pop(name, None)
        etag = response.headers.get("etag")
        if etag:  # a changed body must not share the origin's validator (see docs/proxy.md, caching)
            response.headers["etag"] = 'W/"clickto-' + etag.removeprefix("W/").strip('"') + '"'


addons = [ClicktoInjector()]
