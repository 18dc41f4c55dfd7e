"""The browser files the service hands out: read once at start, compacted, with an ETag and a gzip copy.

Every shop page loads ``clickto.js``, so it is served from memory, revalidated with ``If-None-Match``
(304 without a body) and sent gzipped to browsers that accept it. The files in ``sdk/js`` are the readable
source (indented, commented); what is served drops the indentation and the comment lines (``compact_js``),
the only transformation, made here at start-up so that there is still no build step.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

ASSETS = ("clickto.js", "clickto-panel.js")


def compact_js(source: str) -> str:
    """``source`` without the whitespace that starts its lines and without its lines that are only a ``//``
    comment: a quarter of the tag's gzip size. Nothing else changes, so no line is joined to another and
    no statement can change meaning (automatic semicolons stay where they were). A source where a line
    may continue a string (an odd number of backticks on a line, a backslash at its end) is returned as it is.
    """
    lines = source.split("\n")
    if any(line.count("`") % 2 or line.endswith("\\") for line in lines):
        return source
    kept = (line.lstrip(" \t") for line in lines)
    return "\n".join(line for line in kept if not line.startswith("//"))


@dataclass(frozen=True)
class Asset:
    name: str
    body: bytes
    gzipped: bytes
    etag: str

    @classmethod
    def read(cls, path: Path) -> "Asset":
        """The file at ``path`` as it is served (JavaScript compacted by ``compact_js``)."""
        body = path.read_bytes()
        if path.suffix == ".js":
            body = compact_js(body.decode("utf-8")).encode("utf-8")
        digest = hashlib.sha256(body).hexdigest()[:20]
        return cls(path.name, body, gzip.compress(body, compresslevel=9, mtime=0), f'"{digest}"')


def load_assets(folder: Path) -> dict[str, Asset]:
    """Read the tag and the panel; a missing file stops the service with the path it looked for."""
    missing = [name for name in ASSETS if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"the SDK's browser files are missing: {', '.join(str(folder / name) for name in missing)} "
            "(they ship in sdk/js/; set ServiceConfig.assets_dir to serve them from elsewhere)")
    return {name: Asset.read(folder / name) for name in ASSETS}


def etag_matches(header: str, etag: str) -> bool:
    """``If-None-Match`` semantics: a list of (possibly weak) tags, or ``*``."""
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


def accepts_gzip(header: str) -> bool:
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            q = params.strip().lower()
            return not (q.startswith("q=") and _q(q[2:]) == 0.0)
    return False


def _q(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 1.0


def asset_response(request: Request, asset: Asset, max_age: int) -> Response:
    headers = {
        "ETag": asset.etag,
        "Cache-Control": f"public, max-age={max_age}",
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    media_type = "text/javascript; charset=utf-8"
    if etag_matches(request.headers.get("if-none-match", ""), asset.etag):
        return Response(status_code=304, headers=headers)
    if accepts_gzip(request.headers.get("accept-encoding", "")):
        headers["Content-Encoding"] = "gzip"
        body = asset.gzipped
    else:
        body = asset.body
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(status_code=200, headers=headers, media_type=media_type)
    return Response(body, headers=headers, media_type=media_type)
