"""A small, tolerant HTML tokenizer that reports positions, and the head analysis built on it.

Why not ``html.parser``: we need exact offsets of tags and attribute values, and the scan must stop
as soon as the head is over (documents are large, the head is small). The tokenizer follows the HTML
tokenizer where it matters for finding the head: comments (incl. ``<!-->``, ``--!>``), doctype and
bogus comments, quoted attribute values containing ``>``, and raw-text elements (``<script>``,
``<style>``, ``<title>``, ...) whose content is skipped up to their own end tag, so a ``"</head>"``
string inside a script or a ``<head>`` inside a comment is never taken for markup.

Works on ``str``. Callers scan bytes of ASCII-compatible encodings through a latin-1 view, where a
character index is a byte offset.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

RAW_TEXT = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "textarea", "title", "noscript"})
HEAD_ELEMENTS = frozenset({"meta", "title", "link", "style", "base", "script", "noscript", "template", "basefont", "bgsound"})
WHITESPACE = "\t\n\f\r "

_NAME = re.compile(r"[^\t\n\f\r />]*")
_ATTR = re.compile(
    r"""([^\t\n\f\r />][^\t\n\f\r /=>]*)(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"([^"]*)"|'([^']*)'|([^\t\n\f\r >]*)))?"""
)
_COMMENT_END = re.compile(r"--!?>")
_CHARSET_IN_CONTENT = re.compile(r"""charset[\t\n\f\r ]*=[\t\n\f\r ]*["']?([^\t\n\f\r ;"']+)""", re.I)


@dataclass
class Attr:
    name: str  # lower-cased
    raw_value: str  # as written (entities not decoded)
    value_start: int  # -1 when the attribute has no value
    value_end: int
    quote: str  # '"', "'" or "" (unquoted / no value)

    @property
    def value(self) -> str:
        return html.unescape(self.raw_value)


@dataclass
class Token:
    kind: str  # "start", "end", "comment", "doctype", "text", "rawtext" (content of script, title ...)
    start: int
    end: int
    name: str = ""  # lower-cased tag name for start/end
    attrs: list[Attr] = field(default_factory=list)

    def attr(self, name: str) -> Attr | None:
        for attr in self.attrs:
            if attr.name == name:
                return attr
        return None


def tokens(doc: str, pos: int = 0) -> Iterator[Token]:
    """Yield tokens from ``pos``; raw-text element content is yielded as one text token."""
    n = len(doc)
    while pos < n:
        lt = doc.find("<", pos)
        if lt < 0:
            yield Token("text", pos, n)
            return
        if lt > pos:
            yield Token("text", pos, lt)
        token = _markup(doc, lt)
        if token is None:  # a lone '<' is text
            yield Token("text", lt, lt + 1)
            pos = lt + 1
            continue
        yield token
        pos = token.end
        if token.kind == "start" and token.name in RAW_TEXT:
            close = re.compile(r"</" + re.escape(token.name) + r"[\t\n\f\r />]", re.I).search(doc, pos)
            end = close.start() if close else n
            if end > pos:
                yield Token("rawtext", pos, end)
            pos = end


def _markup(doc: str, lt: int) -> Token | None:
    n = len(doc)
    nxt = doc[lt + 1 : lt + 2]
    if nxt == "!":
        if doc.startswith("<!--", lt):
            if doc.startswith(">", lt + 4):
                return Token("comment", lt, lt + 5)
            if doc.startswith("->", lt + 4):
                return Token("comment", lt, lt + 6)
            m = _COMMENT_END.search(doc, lt + 4)
            return Token("comment", lt, m.end() if m else n)
        if doc.startswith("<![CDATA[", lt):
            close = doc.find("]]>", lt + 9)
            return Token("comment", lt, close + 3 if close >= 0 else n)
        close = doc.find(">", lt + 2)
        kind = "doctype" if doc[lt + 2 : lt + 9].lower() == "doctype" else "comment"
        return Token(kind, lt, close + 1 if close >= 0 else n)
    if nxt == "?":
        close = doc.find(">", lt + 2)
        return Token("comment", lt, close + 1 if close >= 0 else n)
    if nxt == "/":
        first = doc[lt + 2 : lt + 3]
        if first.isascii() and first.isalpha():
            return _tag(doc, lt, lt + 2, "end")
        close = doc.find(">", lt + 2)
        return Token("comment", lt, close + 1 if close >= 0 else n)
    if nxt.isascii() and nxt.isalpha():
        return _tag(doc, lt, lt + 1, "start")
    return None


def _tag(doc: str, lt: int, name_at: int, kind: str) -> Token:
    n = len(doc)
    name_match = _NAME.match(doc, name_at)
    assert name_match is not None
    token = Token(kind, lt, n, name=name_match.group().lower())
    pos = name_match.end()
    while pos < n:
        ch = doc[pos]
        if ch in WHITESPACE or ch == "/":
            pos += 1
            continue
        if ch == ">":
            token.end = pos + 1
            return token
        m = _ATTR.match(doc, pos)
        if m is None or m.end() == pos:
            pos += 1
            continue
        for group, quote in ((2, '"'), (3, "'"), (4, "")):
            if m.group(group) is not None:
                token.attrs.append(Attr(m.group(1).lower(), m.group(group), m.start(group), m.end(group), quote))
                break
        else:
            token.attrs.append(Attr(m.group(1).lower(), "", -1, -1, ""))
        pos = m.end()
    return token  # unterminated tag: runs to the end of the document


def is_whitespace(doc: str, token: Token) -> bool:
    return token.kind == "text" and not doc[token.start : token.end].strip(WHITESPACE + "\ufeff")


def meta_charset(token: Token) -> str | None:
    """The charset label a ``<meta>`` declares (``charset=`` or ``http-equiv=content-type``)."""
    if token.kind != "start" or token.name != "meta":
        return None
    charset = token.attr("charset")
    if charset is not None and charset.value.strip(WHITESPACE):
        return charset.value.strip(WHITESPACE)
    equiv, content = token.attr("http-equiv"), token.attr("content")
    if equiv is not None and content is not None and equiv.value.strip(WHITESPACE).lower() == "content-type":
        m = _CHARSET_IN_CONTENT.search(content.value)
        if m:
            return m.group(1)
    return None


def is_meta_csp(token: Token) -> bool:
    if token.kind != "start" or token.name != "meta":
        return False
    equiv = token.attr("http-equiv")
    return (
        equiv is not None
        and equiv.value.strip(WHITESPACE).lower() == "content-security-policy"
        and token.attr("content") is not None
    )


@dataclass
class HeadScan:
    """Where the tag goes, and what the head declares."""

    insert_at: int
    has_head: bool
    charset: str | None  # the first <meta> charset label in the head, if any
    csp_metas: list[Attr]  # the content attributes of enforced <meta http-equiv=Content-Security-Policy>


def scan_head(doc: str) -> HeadScan:
    """Find the injection point: right after ``<head ...>`` (after a ``<meta charset>`` that comes
    before any script, so the charset stays early), or with no ``<head>`` tag at the start of the
    implied head, after doctype/``<html>``/comments. Always before the first script and the body."""
    prefix_end = 1 if doc.startswith("\ufeff") else 3 if doc.startswith("\xef\xbb\xbf") else 0
    anchor: int | None = None
    has_head = False
    after_charset: int | None = None
    charset: str | None = None
    seen_script = False
    csp_metas: list[Attr] = []
    in_head = False
    for token in tokens(doc, prefix_end):
        if not in_head:
            if token.kind in {"comment", "doctype"} or is_whitespace(doc, token):
                prefix_end = token.end
                continue
            if token.kind == "start" and token.name == "html":
                prefix_end = token.end
                continue
            in_head = True
            if token.kind == "start" and token.name == "head":
                has_head = True
                anchor = token.end
                continue
            anchor = prefix_end
        # inside the (explicit or implied) head
        if token.kind in {"comment", "rawtext"} or is_whitespace(doc, token):
            continue
        if token.kind == "text":
            break
        if token.kind == "end":
            if token.name in HEAD_ELEMENTS:
                continue
            break
        if token.kind == "start":
            if token.name not in HEAD_ELEMENTS:
                break
            if token.name == "script":
                seen_script = True
            label = meta_charset(token)
            if label is not None and charset is None:
                charset = label
                if not seen_script:
                    after_charset = token.end
            if is_meta_csp(token):
                content = token.attr("content")
                assert content is not None
                csp_metas.append(content)
            continue
        break  # doctype inside head: head content over
    if anchor is None:
        anchor = prefix_end
    insert_at = after_charset if after_charset is not None else anchor
    return HeadScan(insert_at=insert_at, has_head=has_head, charset=charset, csp_metas=csp_metas)


CLICKTO_SPELLINGS = ("clickto.js", "CLICKTO.JS", "Clickto.js", "ClickTo.js")


def has_clickto_tag(doc: str) -> bool:
    """True when a ``<script>`` element (outside comments) loads clickto.js. The substring pre-check
    keeps the common case (no mention at all) cheap: plain ``find`` for the usual spellings is a few
    microseconds on a 50 KB page, a case-insensitive regex or ``lower()`` costs ten times more."""
    if not any(spelling in doc for spelling in CLICKTO_SPELLINGS):
        return False
    for token in tokens(doc):
        if token.kind == "start" and token.name == "script":
            src = token.attr("src")
            if src is not None and _is_clickto_src(src.value):
                return True
    return False


def _is_clickto_src(src: str) -> bool:
    path = src.strip(WHITESPACE).split("#", 1)[0].split("?", 1)[0]
    return path.rsplit("/", 1)[-1].lower() == "clickto.js"
