"""One response body: decode its Content-Encoding, tag the document, and (optionally) encode it again.

Pure (no flow, no mitmproxy ``ctx``) so the addon can run it in a worker thread. Lives outside
``proxy/addon.py`` because that file is also loaded as a mitmproxy script, where dataclasses cannot be
defined (the script module is not registered in ``sys.modules``).

Why a tagged document is sent decoded by default: compressing it again is by far the largest cost of
tagging (gzip level 1 of a 50 KB page costs more CPU than mitmproxy spends on the whole request), and
the proxy normally runs next to the browser, where the size of the proxy-to-browser leg does not
matter; the origin-to-proxy leg stays compressed. ``reencode=True`` keeps the original coding.
"""

from __future__ import annotations

from dataclasses import dataclass

from proxy import bodycoding
from proxy.injection import Injected, TagConfig, inject


@dataclass
class Rewritten:
    raw: bytes  # the new body, as it goes on the wire
    content_encoding: str  # its Content-Encoding: the original one, or "" when sent decoded
    csp_headers: list[str]
    nonce: str | None
    trusted_types: bool = False  # the document requires Trusted Types (the tag cannot render there)
    sandboxed: bool = False  # a CSP sandbox gives the page an opaque origin: the service refuses its requests


def decode_body(raw: bytes, content_encoding: str | None, cap: int) -> bytes | str:
    """The body without its Content-Encoding, or a string saying why it cannot be tagged."""
    if len(raw) > cap:
        return f"body of {len(raw)} bytes above the cap"
    try:
        return bodycoding.decode(raw, bodycoding.normalize(content_encoding), cap)
    except bodycoding.TooLarge:
        return "decoded body above the cap"
    except ValueError as exc:
        return f"content-encoding: {exc}"


def rewrite(
    raw: bytes | None,
    content_encoding: str | None,
    content_type: str | None,
    csp_headers: list[str],
    config: TagConfig,
    cap: int,
    reencode: bool = False,
    decoded: bytes | str | None = None,
) -> Rewritten | str:
    """Decode and tag one document body, and re-encode it when ``reencode``; a string says why it
    stays untouched. ``decoded``: ``decode_body``'s result when the caller already has it."""
    if raw is None:
        return "no body"
    body = decode_body(raw, content_encoding, cap) if decoded is None else decoded
    if isinstance(body, str):
        return body
    coding = bodycoding.normalize(content_encoding)
    result = inject(body, content_type, csp_headers, config)
    if not isinstance(result, Injected):
        return result.reason
    if not reencode or coding == "":
        return Rewritten(result.body, "", result.csp_headers, result.nonce, result.trusted_types, result.sandboxed)
    raw_deflate = coding == "deflate" and bodycoding.is_raw_deflate(raw)
    encoded = bodycoding.encode(result.body, coding, raw_deflate)
    return Rewritten(encoded, content_encoding or coding, result.csp_headers, result.nonce, result.trusted_types,
                     result.sandboxed)
