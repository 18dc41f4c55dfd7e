"""Where the tag goes, on well-formed and pathological documents."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.htmlscan import has_clickto_tag, scan_head, tokens

TAG = "<TAG>"


def place(doc: str) -> str:
    at = scan_head(doc).insert_at
    return doc[:at] + TAG + doc[at:]


@pytest.mark.parametrize(
    "doc, expected",
    [
        ("<!DOCTYPE html><html><head><title>t</title></head><body></body></html>",
         "<!DOCTYPE html><html><head><TAG><title>t</title></head><body></body></html>"),
        ('<html lang="de"><head data-x="a>b"><meta charset="utf-8"><script src=a.js></script></head>',
         '<html lang="de"><head data-x="a>b"><meta charset="utf-8"><TAG><script src=a.js></script></head>'),
        # a charset declared after other metas but before any script still stays ahead of us
        ("<head><meta name=viewport content=x><meta http-equiv=Content-Type content='text/html; charset=latin1'><title>x</title>",
         "<head><meta name=viewport content=x><meta http-equiv=Content-Type content='text/html; charset=latin1'><TAG><title>x</title>"),
        # ... but never behind a script
        ("<head><script>1</script><meta charset=utf-8>", "<head><TAG><script>1</script><meta charset=utf-8>"),
        ("<HTML><HEAD><TITLE>x</TITLE></HEAD>", "<HTML><HEAD><TAG><TITLE>x</TITLE></HEAD>"),
        # no head: at the start of the implied head, before the first script/body
        ("<!doctype html><script>1</script><head>", "<!doctype html><TAG><script>1</script><head>"),
        ("<!doctype html>\n<html>\n<body><p>x", "<!doctype html>\n<html>\n<TAG><body><p>x"),
        ("<p>fragment-like page", "<TAG><p>fragment-like page"),
        ("plain text only", "<TAG>plain text only"),
        ("<!doctype html><meta charset=utf-8><title>x</title><p>", "<!doctype html><meta charset=utf-8><TAG><title>x</title><p>"),
        # lookalikes
        ("<!-- <head> --><html><head><title>x</title>", "<!-- <head> --><html><head><TAG><title>x</title>"),
        ("<html><header><head>", "<html><TAG><header><head>"),
        ("<html><headline></headline><head>", "<html><TAG><headline></headline><head>"),
        ("<!--><head>--><head>", "<!--><head><TAG>--><head>"),  # '<!-->' is a complete (empty) comment
        ("<!---><head>", "<!---><head><TAG>"),
        ("<!-- x --!><head>", "<!-- x --!><head><TAG>"),
        ("<?xml version='1.0'?><html><head>", "<?xml version='1.0'?><html><head><TAG>"),
        ("\ufeff<html><head>", "\ufeff<html><head><TAG>"),
        ("", "<TAG>"),
    ],
)
def test_insertion_point(doc, expected):
    assert place(doc) == expected


def test_script_string_with_head_markup_is_not_markup():
    doc = '<script>var s = "</head><head>";</script><head><title>x'
    assert place(doc).startswith("<TAG><script>")


def test_csp_metas_are_found_anywhere_in_the_head_but_not_in_body_or_comments():
    doc = (
        "<head><title>a</title><!-- <meta http-equiv=Content-Security-Policy content=a> -->"
        "<script>'<meta http-equiv=Content-Security-Policy content=b>'</script>"
        "<META HTTP-EQUIV=' content-security-policy ' CONTENT=\"default-src 'self'\">"
        "<meta http-equiv=Content-Security-Policy-Report-Only content=x>"
        "</head><body><meta http-equiv=Content-Security-Policy content=c>"
    )
    scan = scan_head(doc)
    assert [m.value for m in scan.csp_metas] == ["default-src 'self'"]
    assert scan.has_head


@pytest.mark.parametrize(
    "between",
    ["", "\n", "<!-- c -->", "<link rel=x><style>a{}</style>", "<script>1</script>", "</head>", "<html>", "</p>"],
)
def test_csp_meta_after_the_head_end_is_found(between):
    """The parser moves a <meta> between </head> and <body> into the head, and enforces it."""
    doc = (
        f"<!doctype html><html><head><meta charset=utf-8><title>t</title></head>{between}"
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'self'\"><body><p>x</p></body></html>"
    )
    scan = scan_head(doc)
    assert [m.value for m in scan.csp_metas] == ["default-src 'self'"]
    assert doc[scan.insert_at :].startswith("<title>t</title></head>")  # the tag stays early in the head


@pytest.mark.parametrize(
    "after", ["<p>x</p>", "text", "<noscript></noscript>", "<div>", "</body>", "</html>", "<body>", "<br>"]
)
def test_csp_meta_after_body_content_is_not_collected(after):
    doc = f"<head><title>t</title></head>{after}<meta http-equiv=Content-Security-Policy content=x>"
    assert scan_head(doc).csp_metas == []


def test_csp_meta_after_a_template_with_elements_is_found_and_one_inside_it_is_not():
    doc = (
        "<head><meta charset=utf-8><template><p>x</p><template><div></div></template>"
        "<meta http-equiv=Content-Security-Policy content=inert><script>'</template>'</script></template>"
        "<meta http-equiv=Content-Security-Policy content=real><title>t</title></head><body>"
    )
    assert [m.value for m in scan_head(doc).csp_metas] == ["real"]


CSP_META = "<meta http-equiv=Content-Security-Policy content=real>"


def test_template_content_is_skipped_like_the_tokenizer_skips_it():
    """Comments, quoted attribute values and raw text inside a template may spell "</template>"."""
    doc = (
        "<head><template><!-- </template> --><a title='</template>'><style>p{}/*</template>*/</style>"
        "<TEMPLATE/></template><Template></template x></template>" + CSP_META + "</head><body>"
    )
    assert [m.value for m in scan_head(doc).csp_metas] == ["real"]
    assert scan_head(doc).complete


def test_an_unclosed_template_is_examined_only_up_to_the_cap():
    """Before the cap a closed template is found; past it the scan gives up (the meta is not seen)
    instead of tokenizing up to the end of a multi-megabyte document."""
    from proxy.htmlscan import HEAD_SCAN_CHARS, template_end

    filler = "<div class=a><p>hi <b>x</b></p><img src=x.png alt=y></div>\n"
    near = "<head><template>" + filler * 100 + "</template>" + CSP_META
    assert [m.value for m in scan_head(near).csp_metas] == ["real"]
    assert [m.value for m in scan_head(near, max_chars=len(near) - 200).csp_metas] == []
    far = "<head><template>" + filler * (HEAD_SCAN_CHARS // len(filler) + 1) + "</template>" + CSP_META + "<body>"
    scan = scan_head(far)
    assert scan.csp_metas == [] and not scan.complete and scan.insert_at == len("<head>")
    assert template_end(far, len("<head><template>"), stop=HEAD_SCAN_CHARS) == len(far)
    assert template_end(far, len("<head><template>")) == far.index(CSP_META)  # no cap: found


def test_nested_templates_count_against_the_tag_cap():
    from proxy.htmlscan import template_end

    doc = "<template>" * 50 + "</template>" * 51 + "x"
    assert template_end(doc, 0) == len(doc) - 1
    assert template_end(doc, 0, max_tags=60) == len(doc)  # gave up after 60 template tags


def test_the_scan_stops_after_the_tag_cap_after_the_head():
    doc = "<head></head>" + "<link rel=x href=y><!-- c -->" * 30 + CSP_META + "<body>"
    assert [m.value for m in scan_head(doc).csp_metas] == ["real"]
    scan = scan_head(doc, max_tags=40)
    assert scan.csp_metas == [] and not scan.complete and scan.insert_at == len("<head>")


XHTML_META = '<meta http-equiv="Content-Security-Policy" content="real"/>'


@pytest.mark.parametrize("empty", ["<template/>", '<script src="a.js"/>', "<style/>", "<title />", "<template />"])
def test_self_closing_elements_are_empty_in_xhtml(empty):
    doc = f'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head>{empty}{XHTML_META}</head><body/></html>'
    assert [m.value for m in scan_head(doc, xml=True).csp_metas] == ["real"]
    assert scan_head(doc).csp_metas == []  # in HTML "/>" is ignored: the element's content follows


def test_self_closing_template_inside_a_template_is_empty_in_xhtml():
    doc = f"<head><template><template/></template>{XHTML_META}</head>"
    assert [m.value for m in scan_head(doc, xml=True).csp_metas] == ["real"]
    assert scan_head(doc).csp_metas == []


def test_attribute_positions_and_entities():
    doc = "<head><meta http-equiv=content-security-policy content='a &amp; b'>"
    (meta,) = scan_head(doc).csp_metas
    assert doc[meta.value_start : meta.value_end] == "a &amp; b"
    assert meta.value == "a & b" and meta.quote == "'"


def test_raw_text_elements_are_skipped_whole():
    doc = "<title></head><body></title><textarea></textarea><style>a{}</STYLE >x"
    kinds = [(t.kind, t.name) for t in tokens(doc)]
    assert kinds == [
        ("start", "title"), ("rawtext", ""), ("end", "title"), ("start", "textarea"), ("end", "textarea"),
        ("start", "style"), ("rawtext", ""), ("end", "style"), ("text", ""),
    ]


def test_unterminated_markup_does_not_crash():
    for doc in ["<head", "<!--", "<head a='", "<script>no end", "</", "<!doctype", "<?", "<![CDATA[", "a < b"]:
        scan_head(doc)
        list(tokens(doc))


@pytest.mark.parametrize(
    "doc, tagged",
    [
        ('<script src="https://svc/clickto.js" data-site=x async></script>', True),
        ("<SCRIPT SRC=//svc/a/clickto.js?v=2#x></SCRIPT>", True),
        ("<script src = '/a/clickto.js' ></script>", True),
        # the service serves /clickto.js on a case-sensitive path: other spellings are not a working tag
        ("<script src=/a/CLICKTO.JS></script>", False),
        ("<!-- <script src=/clickto.js></script> -->", False),
        ("<p>we use clickto.js</p>", False),
        ("<script>load('clickto.js')</script>", False),
        ('<script src="/not-clickto.js.map"></script>', False),
        ('<link rel=preload href="/clickto.js">', False),
    ],
)
def test_existing_tag_detection(doc, tagged):
    assert has_clickto_tag(doc) is tagged


def reference_scan_head(doc: str) -> tuple[int, bool, str | None, list[str]]:
    """The head analysis written plainly on top of ``tokens()``; ``scan_head`` is a fused, faster loop
    and must agree with it on every input."""
    from proxy.htmlscan import HEAD_ELEMENTS, is_meta_csp, is_whitespace, meta_charset

    prefix_end = 1 if doc.startswith("\ufeff") else 3 if doc.startswith("\xef\xbb\xbf") else 0
    anchor, has_head, after_charset, charset, seen_script, metas, in_head = None, False, None, None, False, [], False
    after_head, template_depth = False, 0
    for token in tokens(doc, prefix_end):
        if template_depth:  # inert template content
            if token.name == "template" and token.kind in {"start", "end"}:
                template_depth += 1 if token.kind == "start" else -1
            continue
        if not in_head:
            if token.kind in {"comment", "doctype"} or is_whitespace(doc, token) or (token.kind == "start" and token.name == "html"):
                prefix_end = token.end
                continue
            in_head = True
            if token.kind == "start" and token.name == "head":
                has_head, anchor = True, token.end
                continue
            anchor = prefix_end
        if token.kind in {"comment", "rawtext", "doctype"} or is_whitespace(doc, token):
            continue
        if token.kind == "end":
            if token.name in {"body", "html", "br"}:
                break
            after_head = after_head or token.name == "head"
            continue
        if token.kind != "start":
            break
        if token.name in {"html", "head"}:
            continue
        if token.name not in HEAD_ELEMENTS or (after_head and token.name == "noscript"):
            break
        if token.name == "template":
            template_depth = 1
            continue
        seen_script = seen_script or token.name == "script"
        label = meta_charset(token)
        if label is not None and charset is None:
            charset = label
            if not seen_script and not after_head:
                after_charset = token.end
        if is_meta_csp(token):
            metas.append(token.attr("content").value)
    insert_at = after_charset if after_charset is not None else (anchor if anchor is not None else prefix_end)
    return insert_at, has_head, charset, metas


PIECES = [
    "<!DOCTYPE html>", "<html lang=en>", "<HTML>", "<head>", "<HEAD data-x='a>b'>", "</head>", "<body>", "<p>", "x",
    " ", "\n", "<!-- <head> -->", "<!-->", "<!--->", "--!>", "-->", "<meta charset=utf-8>", "<meta charset='latin1'>",
    "<meta http-equiv=Content-Security-Policy content=\"script-src 'self'\">", "<meta name=a content=b>",
    "<script>", "</script>", "'</head>'", "<title>", "</title>", "<style>", "</style>", "<link rel=x>", "<", ">",
    "<?xml?>", "<![CDATA[", "]]>", "</", "<a b=\"", "\"", "'", "=", "<header>", "<noscript>", "</noscript>",
    "<template>", "</html>", "\ufeff", "<base href=/>", "<textarea>", "</template>", "<div>", "</p>", "</body>",
    "<meta http-equiv=Content-Security-Policy content=b>", "<template/>", "<a b='<template>'>", "<!-- </template> -->",
    "<TEMPLATE x>", "</Template >",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14))
def test_fast_scan_agrees_with_the_token_stream(pieces):
    doc = "".join(pieces)
    scan = scan_head(doc)
    assert (scan.insert_at, scan.has_head, scan.charset, [m.value for m in scan.csp_metas]) == reference_scan_head(doc)
