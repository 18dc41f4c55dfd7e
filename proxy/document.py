"""One response body: decode its Content-Encoding, tag the document, encode it again the same way.

Pure (no flow, no mitmproxy ``ctx``) so the addon can run it in a worker thread. Lives outside
``proxy/addon.py`` because that file is also loaded as a mitmproxy script, where dataclasses cannot be
defined (the script module is not registered in ``sys.modules``).
"""

from __future__ import annotations

from dataclasses import dataclass

from proxy import bodycoding
from proxy.injection import Injected, TagConfig, inject


@dataclass
class Rewritten:
    raw: bytes  # the new body, content-encoded like the original
    csp_headers: list[str]
    nonce: str | None


def rewrite(
    raw: bytes | None,
    content_encoding: str | None,
    content_type: str | None,
    csp_headers: list[str],
    config: TagConfig,
    cap: int,
) -> Rewritten | str:
    """Decode, tag and re-encode one document body; a string says why it stays untouched.
    Pure (no flow, no ctx), so it can run in a worker thread."""
    if raw is None:
        return "no body"
    if len(raw) > cap:
        return f"body of {len(raw)} bytes above the cap"
    coding = bodycoding.normalize(content_encoding)
    try:
        body = bodycoding.decode(raw, coding, cap)
    except bodycoding.TooLarge:
        return "decoded body above the cap"
    except ValueError as exc:
        return f"content-encoding: {exc}"
    result = inject(body, content_type, csp_headers, config)
    if not isinstance(result, Injected):
        return result.reason
    raw_deflate = coding == "deflate" and bodycoding.is_raw_deflate(raw)
    return Rewritten(bodycoding.encode(result.body, coding, raw_deflate), result.csp_headers, result.nonce)
