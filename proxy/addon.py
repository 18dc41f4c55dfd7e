"""The mitmproxy addon: inject the clickto tag into HTML documents passing through.

    mitmdump -s proxy/addon.py --set clickto_server=http://127.0.0.1:8000 --set clickto_site=demo

Everything that is not a top-level HTML document of a matching host passes through byte for
byte (see ``skip_reason``); documents get exactly one tag, Content-Encoding and Content-Length kept
consistent, and CSP headers rewritten just enough (``proxy/csp.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from mitmproxy import ctx, exceptions, http

from clickto.ports import DEFAULT_PORTS
from proxy.bodycoding import join_codings
from proxy.document import Rewritten, decode_body, rewrite
from proxy.hosts import HostPattern, host_matches, matches_any, parse_host_patterns  # noqa: F401 (host_matches: API)
from proxy.injection import ConfigError, TagConfig
from proxy.servicecheck import ServiceChecks
from proxy.settings import (
    OPTION_TYPES,
    deferred_option_errors,
    option_error,
    unknown_option_warnings,
)
from proxy.tagstyles import TagStyleError, style_hashes

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Top-level documents only: the tag does nothing in a frame (a framed page would take over the visit), so a
# frame's document keeps its bytes, and its policy is not loosened for nothing.
DOCUMENT_DESTS = frozenset({"document"})
INJECTABLE_STATUS = frozenset({200, 203}) | frozenset(range(400, 600))
DIGEST_HEADERS = ("content-md5", "digest", "content-digest", "repr-digest")
CONDITIONAL_HEADERS = ("if-none-match", "if-modified-since")
_CONDITIONAL_BYTES = frozenset(name.encode() for name in CONDITIONAL_HEADERS)
_DROP_BYTES = frozenset(name.encode() for name in (*DIGEST_HEADERS, "content-encoding"))
# Bodies from this size on (encoded or decoded, whichever is larger) are tagged in a worker thread;
# below, a thread hop costs more than the work. Re-encoding costs about ten times more than decoding
# and tagging, hence two thresholds.
OFFLOAD_BYTES = 16 * 1024
OFFLOAD_BYTES_DECODED = 256 * 1024
WORKERS = 2
MAX_LOGGED_HOSTS = 1000


def mimetype(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def header_map(headers: http.Headers) -> dict[str, str]:
    """Lower-cased name -> first value, in one pass. Why: every ``Headers.get`` lower-cases every
    field name again, which made header lookups the addon's largest cost after decompression."""
    found: dict[str, str] = {}
    for name, value in headers.fields:
        found.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return found


def request_wants_document(headers: Mapping[str, str]) -> str | None:
    """None when the request (its lower-cased headers) is for a top-level document; else why it is
    not (frames, XHR/fetch fragments)."""
    if headers.get("x-requested-with", "").lower() == "xmlhttprequest":
        return "XMLHttpRequest"
    dest = headers.get("sec-fetch-dest")
    if dest is not None:
        return None if dest.strip().lower() in DOCUMENT_DESTS else f"Sec-Fetch-Dest: {dest}"
    accept = headers.get("accept")
    if accept is not None and "text/html" not in accept.lower() and "application/xhtml+xml" not in accept.lower():
        return f"Accept: {accept}"
    return None


def skip_reason(
    flow: http.HTTPFlow, patterns: Sequence[HostPattern], response_headers: Mapping[str, str] | None = None
) -> str | None:
    """Why a response must pass through untouched, or None when it is a document to tag.
    ``response_headers`` is the response's ``header_map`` when the caller already has it."""
    request, response = flow.request, flow.response
    if response is None:
        return "no response"
    if request.method.upper() in {"HEAD", "CONNECT"}:
        return f"{request.method} request"
    if response.status_code not in INJECTABLE_STATUS:
        return f"status {response.status_code}"
    headers = header_map(response.headers) if response_headers is None else response_headers
    if mimetype(headers.get("content-type")) not in HTML_TYPES:
        return f"content type {headers.get('content-type')!r}"
    if headers.get("content-disposition", "").strip().lower().startswith("attachment"):
        return "download (Content-Disposition: attachment)"
    if patterns and not matches_any(request.pretty_host, request.port, patterns):
        return f"host {request.pretty_host} not in --only"
    return request_wants_document(header_map(request.headers))


class ClicktoInjector:
    """mitmproxy addon; options are declared in ``load`` so ``--set clickto_*=...`` works."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self.config: TagConfig | None = None
        # option values cached in ``configure``: reading ``ctx.options`` deep-copies list values
        self.only: tuple[HostPattern, ...] = ()
        self.max_bytes = DEFAULT_MAX_BYTES
        self.reencode = False
        # Per-flow log lines only with mitmproxy's debug verbosity (-v): mitmproxy turns every log record
        # into an event for every addon, which cost more than tagging itself. Otherwise the first
        # tagged document of each host is logged, as proof that the proxy works.
        self.log_each = False
        self._logged_hosts: set[str] = set()
        self._trusted_types_hosts: set[str] = set()
        self._sandboxed_hosts: set[str] = set()
        self.checks: ServiceChecks | None = None
        self.injected = 0
        self.passed = 0

    def load(self, loader) -> None:
        types = OPTION_TYPES
        loader.add_option("clickto_server", types["clickto_server"], "", "Base URL of the clickto service, e.g. http://127.0.0.1:8000")
        loader.add_option("clickto_site", types["clickto_site"], "", "Site key the tag reports as (data-site)")
        loader.add_option(
            "clickto_only",
            types["clickto_only"],
            [],
            "Only inject into these hosts (fnmatch patterns, e.g. '*.example.com'); default: every host",
        )
        loader.add_option(
            "clickto_max_bytes",
            types["clickto_max_bytes"],
            DEFAULT_MAX_BYTES,
            "Leave documents larger than this many bytes (encoded or decoded) untouched",
        )
        loader.add_option(
            "clickto_reencode",
            types["clickto_reencode"],
            False,
            "Compress tagged documents again with their original Content-Encoding (costs CPU); "
            "by default they are sent to the browser decoded",
        )
        # mitmproxy loses errors in deferred ``--set`` values of script options: report them here
        for message in deferred_option_errors(loader.master.options):
            logger.error(message)
        for message in unknown_option_warnings(loader.master.options):
            logger.warning(message)

    def configure(self, updated: set[str]) -> None:
        if "termlog_verbosity" in updated:
            self.log_each = getattr(ctx.options, "termlog_verbosity", "info") == "debug"
        for name in sorted(updated & {"clickto_server", "clickto_site", "clickto_only", "clickto_max_bytes"}):
            message = option_error(name, getattr(ctx.options, name))
            if message:
                raise exceptions.OptionsError(message)
        if "clickto_only" in updated:
            self.only = parse_host_patterns(ctx.options.clickto_only)
        if "clickto_reencode" in updated:
            self.reencode = ctx.options.clickto_reencode
        if not updated & {"clickto_server", "clickto_site", "clickto_max_bytes"}:
            return
        self.max_bytes = ctx.options.clickto_max_bytes
        server, site = ctx.options.clickto_server, ctx.options.clickto_site
        if not server or not site:
            self.config = None
            missing = " and ".join(n for n, v in (("clickto_server", server), ("clickto_site", site)) if not v)
            logger.warning(f"clickto: set {missing} to inject the tag; until then everything passes through")
            return
        try:
            self.config = TagConfig.create(server, site, tag_style_hashes())
        except ConfigError as exc:  # one line, not a chained traceback
            raise exceptions.OptionsError(f"clickto: {exc}") from None
        logger.info(f"clickto: injecting {self.config.tag()} (site {self.config.site})")

    def running(self) -> None:
        """Once mitmproxy listens: ask the service whether it is there and knows the site (warnings only)."""
        if self.config is not None:
            self.checks = ServiceChecks(self.config.server, self.config.site,
                                        bool(getattr(ctx.options, "ssl_insecure", False)),
                                        lambda problem: logger.warning("clickto: %s", problem),
                                        asyncio.get_running_loop())

    def request(self, flow: http.HTTPFlow) -> None:
        """Drop ``If-None-Match``/``If-Modified-Since`` from document requests to hosts we tag, as
        mitmproxy's ``anticache`` does: a page the browser cached before the proxy was switched on
        would otherwise be revalidated, answered 304 and stay untagged. Other requests keep them.

        "Document request" is decided exactly as for the response (``request_wants_document``: no
        ``Accept`` at all counts as one): whatever the answer turns out to be (an image opened in a
        tab, a page already carrying the tag, one above the cap), the request cannot know it."""
        request = flow.request
        if self.config is None or not any(name.lower() in _CONDITIONAL_BYTES for name, _ in request.headers.fields):
            return
        if request.method.upper() != "GET" or request_wants_document(header_map(request.headers)) is not None:
            return
        if self.only and not matches_any(request.pretty_host, request.port, self.only):
            return
        request.anticache()
        if self.log_each:
            logger.debug("clickto: %s: conditional headers dropped so the page comes back whole", request.pretty_url)

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        """Stream what must not be buffered: Server-Sent Events (the service pushes decisions over SSE,
        and a buffered stream never arrives), and documents whose Content-Length is above the cap."""
        if self.config is None or flow.response is None:
            return
        headers = header_map(flow.response.headers)
        if mimetype(headers.get("content-type")) == "text/event-stream":
            flow.response.stream = True
            return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes and skip_reason(flow, self.only, headers) is None:
            flow.response.stream = True
            logger.info("clickto: %s: %s bytes above the cap, streamed untouched", flow.request.pretty_url, length)

    async def response(self, flow: http.HTTPFlow) -> None:
        """Tag the document. Large bodies are decoded, tagged (and re-encoded) in a worker thread
        (zlib, brotli and zstd release the GIL), so that mitmproxy's event loop keeps serving other
        flows meanwhile; the flow is only changed back on the loop."""
        if self.config is None or flow.response is None or flow.response.stream:
            return
        response = flow.response
        headers = header_map(response.headers)
        reason = skip_reason(flow, self.only, headers)
        if reason is None:
            raw = response.raw_content
            csp_headers = response.headers.get_all("content-security-policy") if "content-security-policy" in headers else []
            # every Content-Encoding line counts (browsers join them): "gzip" twice is a stack, left alone
            coding = join_codings(response.headers.get_all("content-encoding")) if "content-encoding" in headers else None
            threshold = OFFLOAD_BYTES if self.reencode else OFFLOAD_BYTES_DECODED
            decoded: bytes | str | None = None
            if raw is not None and coding and len(raw) < threshold:
                # decided by the decoded size too: 7 KB of gzip can hold 2 MB of page. Decoding a
                # body this small is cheap (bounded by the cap); tagging a large page is not.
                decoded = decode_body(raw, coding, self.max_bytes)
            size = max(len(raw or b""), len(decoded) if isinstance(decoded, bytes) else 0)
            job = (raw, coding, headers.get("content-type"), csp_headers, self.config, self.max_bytes,
                   self.reencode, decoded)
            if size >= threshold and not isinstance(decoded, str):
                result = await asyncio.get_running_loop().run_in_executor(self._executor(), rewrite, *job)
            else:
                result = rewrite(*job)
            if isinstance(result, str):
                reason = result
            else:
                self._apply(flow, result, headers, csp_headers)
        if reason is None:
            self.injected += 1
        else:
            self.passed += 1
            if self.log_each:
                logger.debug("clickto: %s: untouched (%s)", flow.request.pretty_url, reason)

    def done(self) -> None:
        if self.checks is not None:
            self.checks.close()
            self.checks = None
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="clickto-inject")
        return self._pool

    def _apply(self, flow: http.HTTPFlow, result: Rewritten, before: Mapping[str, str], csp_headers: list[str]) -> None:
        """Put the new body on the response with the headers that describe it (``before`` is the
        response's ``header_map``); every other header stays as it was."""
        assert flow.response is not None
        response = flow.response
        response.raw_content = result.raw
        # One pass over the fields instead of a ``Headers`` lookup per change (each lower-cases all names).
        drop = set(DIGEST_HEADERS) | ({"content-encoding"} if not result.content_encoding else set())
        length = str(len(result.raw)).encode() if "transfer-encoding" not in before else None
        fields = []
        for name, value in response.headers.fields:
            lowered = name.lower()
            if lowered in _DROP_BYTES and lowered.decode() in drop:
                continue
            if lowered == b"content-length" and length is not None:
                value = length
            elif lowered == b"etag":  # a changed body must not share the origin's validator (docs/proxy.md)
                value = b'W/"clickto-' + value.removeprefix(b"W/").strip(b'"') + b'"'
            fields.append((name, value))
        response.headers.fields = tuple(fields)
        if result.csp_headers != csp_headers:
            response.headers.set_all("content-security-policy", result.csp_headers)
        host = flow.request.host  # not pretty_host: that parses the Host header on every call
        if result.trusted_types and _first_time(self._trusted_types_hosts, host):
            logger.warning(
                "clickto: %s requires Trusted Types (CSP require-trusted-types-for): the tag loads and reports, "
                "but cannot show its button there (docs/proxy.md, Trusted Types)", flow.request.pretty_url
            )
        if result.sandboxed and _first_time(self._sandboxed_hosts, host):
            logger.warning(
                "clickto: %s is sandboxed (CSP sandbox without allow-scripts or allow-same-origin): the tag does "
                "not run there, or its origin is opaque and the service refuses its events; no button shows there "
                "(docs/proxy.md, CSP sandbox)", flow.request.pretty_url
            )
        if self.checks is not None:
            self.checks.origin_seen(page_origin(flow.request))
        if self.log_each or _first_time(self._logged_hosts, host):
            nonce = f" (nonce {result.nonce})" if result.nonce else ""
            more = "" if self.log_each else "; further pages of this host are tagged silently (-v lists each)"
            logger.info("clickto: tagged %s%s%s", flow.request.pretty_url, nonce, more)


def page_origin(request: http.Request) -> str:
    """The origin (``scheme://host[:port]``) a browser sends for requests from this document: the target's host
    (not ``pretty_host``, which parses the Host header on every call: this runs for every tagged page)."""
    host = request.host
    if ":" in host:
        host = f"[{host}]"
    default = DEFAULT_PORTS.get(request.scheme)
    return f"{request.scheme}://{host}" + ("" if request.port == default else f":{request.port}")


def _first_time(hosts: set[str], host: str) -> bool:
    """True the first time ``host`` is seen (remembering up to MAX_LOGGED_HOSTS hosts): one warning per host."""
    if host in hosts or len(hosts) >= MAX_LOGGED_HOSTS:
        return False
    hosts.add(host)
    return True


def tag_style_hashes() -> tuple[str, ...]:
    """The CSP hashes of the tag's style blocks, or none (with a warning) when the shipped sources
    cannot be read or hashed: the tag then still runs, unstyled under a strict style policy."""
    try:
        return style_hashes()
    except (TagStyleError, OSError) as exc:
        logger.warning(f"clickto: the tag's styles cannot be admitted by CSP hashes ({exc}); under a strict "
                       "style-src the button and panel show unstyled")
        return ()


addons = [ClicktoInjector()]
