"""Where the tag goes, on well-formed and pathological documents."""

from __future__ import annotations

import pytest

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
        ("<SCRIPT SRC=//svc/a/CLICKTO.JS?v=2></SCRIPT>", True),
        ("<script src=/a/Clickto.js></script>", True),
        ("<!-- <script src=/clickto.js></script> -->", False),
        ("<p>we use clickto.js</p>", False),
        ("<script>load('clickto.js')</script>", False),
        ('<script src="/not-clickto.js.map"></script>', False),
        ('<link rel=preload href="/clickto.js">', False),
    ],
)
def test_existing_tag_detection(doc, tagged):
    assert has_clickto_tag(doc) is tagged
