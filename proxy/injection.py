"""Insert the clickto tag into one HTML document (bytes in, bytes out), rewriting CSP as needed.

Pure: no mitmproxy flow, no I/O. ``proxy/addon.py`` decides whether a response is a document at all
and handles Content-Encoding; this module handles charsets, the head, CSP and the tag itself.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from clickto.ids import ID, ID_RULE
from proxy import charsets, csp
from proxy.htmlscan import has_clickto_tag, scan_head

# A CSP host source's host: letters, digits, '-' and dots (urlsplit lower-cases it).
_HOST = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.?")


class ConfigError(ValueError):
    """A bad --server or --site value; the message says which and why."""


@dataclass(frozen=True)
class TagConfig:
    server: str  # base URL of the clickto service, no trailing slash: https://svc.example/clickto
    site: str
    style_hashes: tuple[str, ...] = ()  # CSP hash sources of the tag's <style> blocks (proxy/tagstyles.py)

    @classmethod
    def create(cls, server: str, site: str, style_hashes: Sequence[str] = ()) -> "TagConfig":
        return cls(normalize_server(server), validate_site(site), tuple(style_hashes))

    @property
    def source(self) -> str:
        """The CSP source that admits the service: path-scoped to its base URL."""
        return self.server + "/"

    def tag(self, nonce: str | None = None, xhtml: bool = False) -> str:
        nonce_attr = f' nonce="{html.escape(nonce, quote=True)}"' if nonce else ""
        async_attr = ' async="async"' if xhtml else " async"
        src = html.escape(f"{self.server}/clickto.js", quote=True)
        site = html.escape(self.site, quote=True)
        return f'<script src="{src}" data-site="{site}"{nonce_attr}{async_attr}></script>'


def normalize_server(server: str) -> str:
    """``http(s)://host[:port][/prefix]`` without query, fragment, credentials or trailing slash."""
    text = server.strip()
    if not text:
        raise ConfigError("server URL is empty; expected http(s)://host[:port], e.g. http://127.0.0.1:8000")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"server URL {server!r} is not valid: {exc}") from exc
    if parts.scheme not in {"http", "https"}:
        raise ConfigError(f"server URL {server!r} must start with http:// or https://")
    if not parts.hostname:
        raise ConfigError(f"server URL {server!r} has no host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError(f"server URL {server!r} must not contain credentials, a query or a fragment")
    if not text.isascii() or any(c in text for c in " \"'<>\\;,"):
        raise ConfigError(f"server URL {server!r} contains characters not allowed in a tag or a CSP source")
    if ":" in parts.hostname:
        raise ConfigError(f"server URL {server!r}: IPv6 literals cannot be CSP sources; use a host name")
    if not _HOST.fullmatch(parts.hostname):
        raise ConfigError(
            f"server URL {server!r}: {parts.hostname!r} is not a host name or IPv4 address (no wildcards or patterns)"
        )
    netloc = parts.hostname + (f":{port}" if port is not None else "")
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


def validate_site(site: str) -> str:
    text = site.strip()
    if not text:
        raise ConfigError("site key is empty; pass the key of the site configured in the service, e.g. demo")
    if not ID.match(text):
        raise ConfigError(f"site key {site!r} must be {ID_RULE}, as the service requires")
    return text


@dataclass
class Injected:
    body: bytes
    csp_headers: list[str]  # the enforced CSP header values, rewritten (same count and order)
    nonce: str | None
    trusted_types: bool  # an enforced policy requires Trusted Types: the tag cannot render its button
    position: int  # where the tag went, in characters of the document (bytes for ASCII-compatible)
    encoding: charsets.DocumentEncoding
    sandboxed: bool = False  # a CSP ``sandbox``: the page's origin is opaque, the service refuses its requests


@dataclass
class NotInjected:
    reason: str


def inject(
    body: bytes,
    content_type: str | None,
    csp_headers: Sequence[str],
    config: TagConfig,
    new_nonce: Callable[[], str] = csp.fresh_nonce,
) -> Injected | NotInjected:
    if not body.strip():
        return NotInjected("empty body")
    xhtml = (content_type or "").split(";", 1)[0].strip().lower() == "application/xhtml+xml"
    encoding = charsets.detect(body, content_type, None)
    if encoding.codec is None:
        doc = body.decode("latin-1")
        scan = scan_head(doc, xhtml)
        if encoding.source == "none" and scan.charset:
            encoding = charsets.from_label(scan.charset, "meta")
    if encoding.codec == charsets.REPLACEMENT:
        return NotInjected(f"charset {encoding.label}: browsers show such a document as one replacement character")
    if encoding.codec is not None:
        errors = "surrogatepass" if encoding.codec.startswith("utf-16") else "strict"
        try:
            doc = body.decode(encoding.codec, errors)
            if doc.encode(encoding.codec, errors) != body:
                return NotInjected(f"{encoding.label} body does not round-trip")
        except (UnicodeError, LookupError):
            return NotInjected(f"body is not valid {encoding.label}")
        scan = scan_head(doc, xhtml)
    if xhtml and not (scan.has_head or scan.has_html):
        # a prefixed root (<h:html>) or none: the tag would become a second root, an XML error for the page
        return NotInjected("XHTML document without an <html> or <head> element to put the tag in")
    if has_clickto_tag(doc):
        return NotInjected("document already carries a clickto.js script")

    edits: list[tuple[int, int, str]] = []
    nonce = None
    headers = list(csp_headers)
    trusted_types = sandboxed = False
    if csp_headers or scan.csp_metas:
        metas = [a.value for a in scan.csp_metas]
        plan = csp.plan(csp_headers, metas, config.source, new_nonce(), config.style_hashes)
        nonce, headers, trusted_types, sandboxed = plan.nonce, plan.headers, plan.trusted_types, plan.sandboxed
        for attr, new_value in zip(scan.csp_metas, plan.metas):
            if new_value != attr.value:
                edits.append(_attr_edit(attr, new_value))
    edits.append((scan.insert_at, scan.insert_at, config.tag(nonce, xhtml)))
    if encoding.codec is None:  # offsets are byte offsets: splice the bytes, never re-encode the page
        out = _splice(body, [(a, b, text.encode("latin-1")) for a, b, text in edits])
    else:
        errors = "surrogatepass" if encoding.codec.startswith("utf-16") else "strict"
        out = _splice(doc, edits).encode(encoding.codec, errors)
    return Injected(out, headers, nonce, trusted_types, scan.insert_at, encoding, sandboxed)


def _splice(data, edits):
    """Apply non-overlapping (start, end, replacement) edits to a str or bytes in one pass."""
    parts, pos = [], 0
    for start, end, text in sorted(edits, key=lambda e: e[0]):
        parts += [data[pos:start], text]
        pos = end
    parts.append(data[pos:])
    return data[:0].join(parts)


def _attr_edit(attr, value: str) -> tuple[int, int, str]:
    """Replace an attribute value in place, keeping its quoting."""
    quote = attr.quote or '"'
    escaped = value.replace("&", "&amp;").replace(quote, "&quot;" if quote == '"' else "&#39;")
    if attr.quote:
        return (attr.value_start, attr.value_end, escaped)
    return (attr.value_start, attr.value_end, f"{quote}{escaped}{quote}")
