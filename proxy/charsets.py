"""Which character encoding a document uses, and whether we can insert ASCII bytes into it as is.

Why bytes and not text: re-encoding a whole document risks changing bytes we did not mean to touch
(unmappable characters, normalisation). For every ASCII-compatible encoding (UTF-8, windows-1252,
ISO-8859-x, Shift_JIS, EUC-*, GBK, Big5 ...) markup characters are single ASCII bytes that never occur
inside a multi-byte character, so we scan and splice raw bytes. Only UTF-16 (BOM, or declared in the
header) and the stateful ISO-2022 family need decoding, and they are handled as text.

The order follows the HTML standard: BOM, then the Content-Type header charset, then ``<meta>``
(a ``<meta>`` that claims UTF-16 is read as UTF-8: whoever could read the meta in ASCII is not UTF-16).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from mitmproxy.net.http.headers import parse_content_type


@dataclass(frozen=True)
class DocumentEncoding:
    codec: str | None  # None: ASCII-compatible, work on bytes; else a Python codec to decode with
    label: str  # what was declared, for logs ("" when nothing was)
    source: str  # "bom", "header", "meta" or "none"


ASCII_COMPATIBLE = DocumentEncoding(None, "", "none")


def bom(raw: bytes) -> DocumentEncoding | None:
    if raw.startswith(codecs.BOM_UTF8):
        return DocumentEncoding(None, "utf-8", "bom")
    if raw.startswith(codecs.BOM_UTF16_LE):
        return DocumentEncoding("utf-16-le", "utf-16le", "bom")
    if raw.startswith(codecs.BOM_UTF16_BE):
        return DocumentEncoding("utf-16-be", "utf-16be", "bom")
    return None


def header_charset(content_type: str | None) -> str | None:
    parsed = parse_content_type(content_type or "")
    if parsed is None:
        return None
    charset = parsed[2].get("charset", "").strip().strip("\"'")
    return charset or None


# The labels of the WHATWG Encoding Standard (what browsers accept) that are not ASCII-compatible. Python's
# codec names differ ("ucs-2" is unknown to Python, "utf16" unknown to browsers), so the table decides, not
# ``codecs.lookup``: every other label, known or not, is read by browsers as an ASCII-compatible encoding.
_UTF16_LE_LABELS = frozenset({"csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16", "utf-16le"})
_UTF16_BE_LABELS = frozenset({"unicodefffe", "utf-16be"})
_ISO2022_JP_LABELS = frozenset({"csiso2022jp", "iso-2022-jp"})
REPLACEMENT = "replacement"
"""The codec of labels browsers decode as one replacement character (ISO-2022-KR/CN, HZ): nothing to tag."""
_REPLACEMENT_LABELS = frozenset({"csiso2022kr", "hz-gb-2312", "iso-2022-cn", "iso-2022-cn-ext", "iso-2022-kr",
                                 REPLACEMENT})


def from_label(label: str, source: str) -> DocumentEncoding:
    """Map a declared label to how we treat the document, as a browser reads the label (WHATWG)."""
    name = label.strip("\t\n\f\r ").lower()
    if name in _REPLACEMENT_LABELS:
        return DocumentEncoding(REPLACEMENT, label, source)
    utf16 = "utf-16-le" if name in _UTF16_LE_LABELS else "utf-16-be" if name in _UTF16_BE_LABELS else None
    if utf16 is not None:
        # a <meta> claiming UTF-16 is read as UTF-8 (the HTML standard): it was readable as ASCII
        return DocumentEncoding(None if source == "meta" else utf16, label, source)
    if name in _ISO2022_JP_LABELS:
        return DocumentEncoding("iso2022_jp", label, source)
    return DocumentEncoding(None, label, source)


def detect(raw: bytes, content_type: str | None, meta_label: str | None) -> DocumentEncoding:
    found = bom(raw)
    if found is not None:
        return found
    label = header_charset(content_type)
    if label is not None:
        return from_label(label, "header")
    if meta_label is not None:
        return from_label(meta_label, "meta")
    return ASCII_COMPATIBLE
