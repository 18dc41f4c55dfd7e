"""Content-Encoding: decode with a size cap, re-encode with the same coding.

Why our own instead of ``Message.content``: decoding must stop at the size cap (a 5 MB gzip body can
inflate to gigabytes), and re-encoding uses fast settings (mitmproxy's defaults, gzip level 9 and brotli
quality 11, cost milliseconds to a tenth of a second per page). The browser decodes any level the same;
the price is a somewhat larger transfer (gzip level 1 is ~10-30% larger than level 6 on HTML), which does
not matter for a proxy that exists to try rules (docs/proxy.md, "Speed").
"""

from __future__ import annotations

import io
import zlib

import brotli
import zstandard

_FEED = 16 * 1024  # brotli input is fed in slices so that a bomb is noticed after one slice, not at the end
# (smaller slices cost time: 1 KB slices double the decoding time of a typical page)
GZIP_LEVEL = 1  # also for deflate
BROTLI_QUALITY = 1
ZSTD_LEVEL = 3  # zstd default, already fast


class TooLarge(ValueError):
    """The decoded body exceeds the cap."""


def normalize(content_encoding: str | None) -> str:
    """'' for no coding (or identity), the lower-cased coding otherwise."""
    coding = (content_encoding or "").strip().lower()
    return "" if coding in {"", "identity"} else coding


def join_codings(values: list[str]) -> str:
    """The codings of every ``Content-Encoding`` line as one list, as a browser reads repeated lines (empty ones
    add nothing)."""
    return ", ".join(value.strip() for value in values if value.strip())


def decode(raw: bytes, coding: str, cap: int) -> bytes:
    """Decode ``raw``; raises ``TooLarge`` beyond ``cap`` bytes, ``ValueError`` on unknown or broken data."""
    if coding == "":
        data = raw
    elif coding in {"gzip", "x-gzip"}:
        data = _zlib(raw, zlib.MAX_WBITS | 16, cap)
    elif coding == "deflate":
        try:
            data = _zlib(raw, zlib.MAX_WBITS, cap)
        except zlib.error:  # servers that send raw deflate without the zlib wrapper
            data = _zlib(raw, -zlib.MAX_WBITS, cap)
    elif coding == "br":
        data = _brotli(raw, cap)
    elif coding == "zstd":
        try:
            reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw), read_across_frames=True)
            data = reader.read(cap + 1)
        except zstandard.ZstdError as exc:
            raise ValueError(f"broken zstd body: {exc}") from exc
    else:
        raise ValueError(f"unsupported content-encoding {coding!r}")
    if len(data) > cap:
        raise TooLarge(f"decoded body larger than {cap} bytes")
    return data


def encode(data: bytes, coding: str, raw_deflate: bool = False) -> bytes:
    if coding == "":
        return data
    if coding in {"gzip", "x-gzip"}:
        compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        return compressor.compress(data) + compressor.flush()
    if coding == "deflate":
        compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS if raw_deflate else zlib.MAX_WBITS)
        return compressor.compress(data) + compressor.flush()
    if coding == "br":
        return brotli.compress(data, quality=BROTLI_QUALITY)
    if coding == "zstd":
        return zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(data)
    raise ValueError(f"unsupported content-encoding {coding!r}")


def is_raw_deflate(raw: bytes) -> bool:
    """A zlib stream starts with a header whose 16-bit value is a multiple of 31."""
    return len(raw) < 2 or (raw[0] & 0x0F) != 8 or ((raw[0] << 8) | raw[1]) % 31 != 0


def _zlib(raw: bytes, wbits: int, cap: int) -> bytes:
    """Inflate, stopping at ``cap``; gzip bodies may hold several members (concatenated files)."""
    out = bytearray()
    rest = raw
    while True:
        decompressor = zlib.decompressobj(wbits)
        try:
            out += decompressor.decompress(rest, cap + 1 - len(out))
        except zlib.error as exc:
            if wbits == zlib.MAX_WBITS:
                raise
            raise ValueError(f"broken compressed body: {exc}") from exc
        if len(out) > cap:
            raise TooLarge(f"decoded body larger than {cap} bytes")
        if not decompressor.eof:
            raise ValueError("truncated compressed body")
        rest = decompressor.unused_data
        if not rest or wbits != zlib.MAX_WBITS | 16:
            return bytes(out)


def _brotli(raw: bytes, cap: int) -> bytes:
    decompressor = brotli.Decompressor()
    out = bytearray()
    try:
        for i in range(0, len(raw), _FEED):
            out += decompressor.process(raw[i : i + _FEED])
            if len(out) > cap:
                raise TooLarge(f"decoded body larger than {cap} bytes")
    except brotli.error as exc:
        raise ValueError(f"broken brotli body: {exc}") from exc
    if not decompressor.is_finished():
        raise ValueError("truncated brotli body")
    return bytes(out)
