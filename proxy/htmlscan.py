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
HEAD_ELEMENTS = frozenset(
    {"meta", "title", "link", "style", "base", "script", "noscript", "noframes", "template", "basefont", "bgsound"}
)
# After </head> the parser still puts these into the head (HTML "after head" insertion mode): a <meta>
# CSP there is enforced. Not <noscript>: that one starts the body.
AFTER_HEAD_ELEMENTS = HEAD_ELEMENTS - {"noscript"}
# End tags that end the head (and start the body); every other end tag in or after the head is ignored.
BODY_END_TAGS = frozenset({"body", "html", "br"})
IGNORED_START_TAGS = frozenset({"html", "head"})  # in or after the head: the parser ignores them
WHITESPACE = "\t\n\f\r "
_TEXT_WHITESPACE = WHITESPACE + "\ufeff"

_NAME = re.compile(r"[^\t\n\f\r />]*")
_ATTR = re.compile(
    r"""([^\t\n\f\r />][^\t\n\f\r /=>]*)(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"([^"]*)"|'([^']*)'|([^\t\n\f\r >]*)))?"""
)
_COMMENT_END = re.compile(r"--!?>")
# The rest of a tag after its name, as the HTML tokenizer reads it (whitespace and '/', attribute names,
# values quoted or not), up to '>' (group 1) or the end of the document. Atomic groups keep a tag that
# never ends from backtracking.
_TAG_REST = (
    r"""(?>[\t\n\f\r /]+|[^\t\n\f\r />][^\t\n\f\r /=>]*+(?>[\t\n\f\r ]*=[\t\n\f\r ]*(?>"[^"]*+"|'[^']*+'|[^\t\n\f\r >]*+))?)*+(>)?"""
)
# A whole start or end tag in one match: '/' (group 1), the name (group 2), '>' (group 3) unless unterminated.
_TAG = re.compile(r"<(/?)([A-Za-z][^\t\n\f\r />]*+)" + _TAG_REST)
_META_OF_INTEREST = re.compile(r"charset|http-equiv", re.I)  # worth parsing the attributes of
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
    doc: str = field(default="", repr=False, compare=False)
    _attrs: list[Attr] | None = field(default=None, repr=False, compare=False)

    @property
    def attrs(self) -> list[Attr]:
        """Parsed on first use: the head scan needs attributes of a few tags only (meta, script)."""
        if self._attrs is None:
            self._attrs = _attributes(self.doc, self.start, self.end) if self.kind == "start" else []
        return self._attrs

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
            end = raw_text_end(doc, pos, token.name)
            if end > pos:
                yield Token("rawtext", pos, end)
            pos = end


def raw_text_end(doc: str, pos: int, name: str, stop: int | None = None) -> int:
    """Where the content of a raw-text element (script, style ...) opened before ``pos`` ends: at its
    ``</name`` followed by whitespace, '/' or '>' in any letter case, else at the end of the document
    (or at ``stop``, when given: nothing from there on is looked at).
    Plain ``find`` for ``</`` rather than a case-insensitive regex, which crawls through long styles."""
    n, size = len(doc), len(name)
    limit = n if stop is None else min(stop, n)
    while True:
        close = doc.find("</", pos, limit)
        if close < 0:
            return limit
        after = close + 2 + size
        if doc[close + 2 : after].lower() == name and after < n and doc[after] in "\t\n\f\r />":
            return close
        pos = close + 2


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
            return _tag(doc, lt)
        close = doc.find(">", lt + 2)
        return Token("comment", lt, close + 1 if close >= 0 else n)
    if nxt.isascii() and nxt.isalpha():
        return _tag(doc, lt)
    return None


def _tag(doc: str, lt: int) -> Token:
    """A start or end tag: its name, and its end found in one regex match (attributes are parsed
    later, only when asked for). An unterminated tag runs to the end of the document."""
    m = _TAG.match(doc, lt)
    assert m is not None
    end = m.end() if m.group(3) else len(doc)
    return Token("end" if m.group(1) else "start", lt, end, m.group(2).lower(), doc)


def _attributes(doc: str, start: int, end: int) -> list[Attr]:
    """The attributes of the tag ``doc[start:end]``, with the offsets of their values."""
    attrs: list[Attr] = []
    name_match = _NAME.match(doc, start + 1)
    assert name_match is not None
    pos = name_match.end()
    while pos < end:
        ch = doc[pos]
        if ch in WHITESPACE or ch == "/":
            pos += 1
            continue
        if ch == ">":
            break
        m = _ATTR.match(doc, pos, end)
        if m is None or m.end() == pos:
            pos += 1
            continue
        for group, quote in ((2, '"'), (3, "'"), (4, "")):
            if m.group(group) is not None:
                attrs.append(Attr(m.group(1).lower(), m.group(group), m.start(group), m.end(group), quote))
                break
        else:
            attrs.append(Attr(m.group(1).lower(), "", -1, -1, ""))
        pos = m.end()
    return attrs


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
    complete: bool = True  # False when a scan cap (HEAD_SCAN_CHARS, HEAD_SCAN_TAGS) stopped the scan
    has_html: bool = False  # an <html> start tag comes before the head (XHTML: the tag must go inside it)


# How far the head analysis looks, so that no document costs more than a few milliseconds whatever it
# holds (an unclosed <template>, thousands of elements after </head>): markup starting at or beyond
# HEAD_SCAN_CHARS characters, or after HEAD_SCAN_TAGS tags and comments, is not examined, and a
# <template> not closed before HEAD_SCAN_CHARS counts as running to the end. A <meta> policy past
# that point is not seen (docs/proxy.md); real heads are a few KB and a few dozen tags.
HEAD_SCAN_CHARS = 256 * 1024
HEAD_SCAN_TAGS = 2000


def _any_case(word: str) -> str:
    """A regex for ``word`` in any ASCII letter case: much faster to search than ``re.IGNORECASE``."""
    return "".join(f"[{c.upper()}{c}]" if c.isalpha() else re.escape(c) for c in word)


# Template content, skipped in one regex match up to the next token that matters there (a nested
# template's start or end tag, or a raw-text element whose content may hold a "</template>" string),
# following ``tokens()``: text, comments (incl. "<!-->", "<!--->"), CDATA, bogus comments, other tags
# with their attributes (a "<template>" in a quoted value is no tag), a lone '<'.
_TEMPLATE_NAMES = "|".join(_any_case(n) for n in sorted(RAW_TEXT | {"template"}))
_TEMPLATE_SKIP = (
    r"(?:[^<]++"
    r"|<!--(?:-?>|(?s:.*?)--!?>|(?s:.*+))"
    r"|<!\[CDATA\[(?:(?s:.*?)\]\]>|(?s:.*+))"
    r"|<[!?][^>]*+>?"
    r"|</(?![A-Za-z])[^>]*+>?"
    # tags whose first letter starts none of the names that matter (div, p, a, img ...): no lookahead
    r"|</?[A-HJ-MO-RU-WYZa-hj-mo-ru-wyz][^\t\n\f\r />]*+" + _TAG_REST.removesuffix("(>)?") + r">?"
    + rf"|<(?!/?(?:{_TEMPLATE_NAMES})(?:[\t\n\f\r />]|\Z))/?[A-Za-z][^\t\n\f\r />]*+"
    + _TAG_REST.removesuffix("(>)?") + r">?"
    r"|<(?![!/?A-Za-z]))*+"
)
_TEMPLATE_NEXT = re.compile(_TEMPLATE_SKIP + rf"<(/?)({_TEMPLATE_NAMES})(?=[\t\n\f\r />]|\Z)")


def template_end(doc: str, pos: int, stop: int | None = None, max_tags: int = HEAD_SCAN_TAGS, xml: bool = False) -> int:
    """Where the content of a ``<template>`` opened before ``pos`` ends (after its ``</template>``,
    nested templates counted): template content is inert, so nothing in it ends the head or is a
    policy, and it may hold any elements. Only ``doc[:stop]`` and ``max_tags`` template, script ...
    tags are examined: a template not closed by then is taken to run to the end of the document
    (``len(doc)``). ``xml``: XHTML, where ``<template/>`` and ``<script/>`` are empty elements.

    One regex search per comment, raw-text element or template tag, not a token per tag: template
    content can be most of a page (an unclosed ``<template>`` holds everything after it)."""
    n = len(doc)
    stop = n if stop is None else min(stop, n)
    depth = 1
    for _ in range(max_tags):
        if pos >= stop:
            break
        m = _TEMPLATE_NEXT.match(doc, pos, stop)
        if m is None:  # nothing that matters up to ``stop``
            return n
        name = m.group(2).lower()
        pos = _tag(doc, m.start(1) - 1).end
        if xml and not m.group(1) and doc.startswith("/>", pos - 2):
            continue  # an empty element in XHTML
        if name != "template":
            if not m.group(1):  # a raw-text element: skip its content and its end tag
                close = raw_text_end(doc, pos, name, stop)
                if close >= stop:
                    return n
                pos = _tag(doc, close).end
        elif m.group(1):
            depth -= 1
            if depth == 0:
                return pos if pos <= stop else n
        else:
            depth += 1
    return n


def scan_head(
    doc: str, xml: bool = False, max_chars: int = HEAD_SCAN_CHARS, max_tags: int = HEAD_SCAN_TAGS
) -> HeadScan:
    """Find the injection point: right after ``<head ...>`` (after a ``<meta charset>`` that comes
    before any script, so the charset stays early), or with no ``<head>`` tag at the start of the
    implied head, after doctype/``<html>``/comments. Always before the first script and the body.

    ``<meta>`` policies are collected where browsers enforce them: in the head, also after ``</head>``
    (elements the parser moves into the head, up to the body or other content), never inside
    ``<template>`` content.

    ``xml`` (``application/xhtml+xml``): a self-closing ``<template/>`` or ``<script/>`` is an empty
    element there, not the start of content that hides what follows.

    Markup from ``max_chars`` on, or after ``max_tags`` tags and comments, is not examined
    (``complete`` is then False): see ``HEAD_SCAN_CHARS``.

    The same tokenization as ``tokens()``, written out as one loop without a ``Token`` per tag: this
    runs on every page, and real heads hold dozens of tags."""
    n = len(doc)
    pos = prefix_end = 1 if doc.startswith("\ufeff") else 3 if doc.startswith("\xef\xbb\xbf") else 0
    anchor: int | None = None
    has_head = has_html = in_head = after_head = seen_script = False
    after_charset: int | None = None
    charset: str | None = None
    csp_metas: list[Attr] = []
    complete = True
    tags = 0
    while pos < n:
        lt = doc.find("<", pos)
        if lt < 0:
            lt = n
        elif lt >= max_chars or tags >= max_tags:
            complete = False
            break
        tags += 1
        if lt > pos:
            if doc[pos:lt].strip(_TEXT_WHITESPACE):  # text: the head is over (or, before it, implied)
                if not in_head:
                    anchor = prefix_end
                break
            if not in_head:
                prefix_end = lt
            pos = lt
            if pos >= n:
                break
        m = _TAG.match(doc, lt)
        if m is not None:
            kind, name, end = ("end" if m.group(1) else "start"), m.group(2).lower(), (m.end() if m.group(3) else n)
        else:
            token = _markup(doc, lt)
            if token is None:  # a lone '<' is text
                if not in_head:
                    anchor = prefix_end
                break
            kind, name, end = token.kind, "", token.end
        if not in_head:
            if kind in {"comment", "doctype"} or (kind == "start" and name == "html"):
                has_html = has_html or kind == "start"
                prefix_end = pos = end
                continue
            in_head = True
            if kind == "start" and name == "head":
                has_head = True
                anchor = pos = end
                continue
            anchor = prefix_end
        # inside the (explicit or implied) head, or after it
        if kind == "end":
            if name in BODY_END_TAGS:
                break
            after_head = after_head or name == "head"
            pos = end
            continue
        if kind != "start" or name in IGNORED_START_TAGS:  # comments, doctypes: ignored, as by the parser
            pos = end
            continue
        if name not in (AFTER_HEAD_ELEMENTS if after_head else HEAD_ELEMENTS):
            break  # body content
        empty = xml and doc.startswith("/>", end - 2)  # <template/>, <script/> in XHTML
        if name == "template" and not empty:
            pos = template_end(doc, end, max_chars, max_tags - tags, xml)
            if pos == n:
                complete = False  # unclosed, or not closed within the caps: the rest is not examined
            continue
        if name == "script":
            seen_script = True
        elif name == "meta" and _META_OF_INTEREST.search(doc, lt, end):  # not for viewport, og:* ...
            token = Token("start", lt, end, name, doc)
            label = meta_charset(token)
            if label is not None and charset is None:
                charset = label
                if not seen_script and not after_head:
                    after_charset = end
            if is_meta_csp(token):
                content = token.attr("content")
                assert content is not None
                csp_metas.append(content)
        pos = end
        if name in RAW_TEXT and not empty:  # skip the element's content: a "</head>" in a script is not markup
            pos = raw_text_end(doc, pos, name)
    if anchor is None:
        anchor = prefix_end
    insert_at = after_charset if after_charset is not None else anchor
    return HeadScan(insert_at=insert_at, has_head=has_head, charset=charset, csp_metas=csp_metas, complete=complete,
                    has_html=has_html)


def has_clickto_tag(doc: str) -> bool:
    """True when a ``<script>`` element (outside comments) loads clickto.js. Only this spelling: the
    service serves ``/clickto.js`` on a case-sensitive path, so no other spelling is a working tag,
    and one plain substring search is the cheapest pre-check for the common case (no mention)."""
    if "clickto.js" not in doc:
        return False
    for token in tokens(doc):
        if token.kind == "start" and token.name == "script":
            src = token.attr("src")
            if src is not None and _is_clickto_src(src.value):
                return True
    return False


def _is_clickto_src(src: str) -> bool:
    path = src.strip(WHITESPACE).split("#", 1)[0].split("?", 1)[0]
    return path.rsplit("/", 1)[-1] == "clickto.js"
