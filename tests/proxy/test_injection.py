"""One document in, one tagged document out: charsets, existing tags, meta CSP, config validation."""

from __future__ import annotations

import codecs

import pytest

from proxy.injection import ConfigError, Injected, NotInjected, TagConfig, inject

CONFIG = TagConfig.create("http://127.0.0.1:8000", "demo")
TAG = b'<script src="http://127.0.0.1:8000/clickto.js" data-site="demo" async></script>'


def tagged(body: bytes, content_type: str | None = "text/html", csp: list[str] | None = None) -> Injected:
    result = inject(body, content_type, csp or [], CONFIG, new_nonce=lambda: "N0NCE")
    assert isinstance(result, Injected), result
    return result


def test_tag_is_inserted_once_and_nothing_else_changes():
    body = b"<!doctype html><html><head><title>x</title></head><body>\xc3\xa9</body></html>"
    out = tagged(body, "text/html; charset=utf-8").body
    assert out == body.replace(b"<head>", b"<head>" + TAG)
    assert out.count(b"clickto.js") == 1


@pytest.mark.parametrize(
    "label, text",
    [
        ("windows-1252", "Caf\u00e9 \u20ac \u201cquoted\u201d"),
        ("iso-8859-1", "\u00c4pfel \u00fcber \u00df"),
        ("shift_jis", "\u65e5\u672c\u8a9e\u306e\u30da\u30fc\u30b8 \u8868\u793a"),  # 表 has 0x5C as trail byte
        ("euc-jp", "\u65e5\u672c\u8a9e"),
        ("gb18030", "\u4e2d\u6587\u7f51\u9875"),
        ("big5", "\u7e41\u9ad4\u4e2d\u6587 \u529f\u80fd"),  # 功 has 0x5C as trail byte
        ("koi8-r", "\u0420\u0443\u0441\u0441\u043a\u0438\u0439"),
    ],
)
def test_ascii_compatible_charsets_from_header_are_spliced_as_bytes(label, text):
    html = f"<html><head><title>{text}</title></head><body><p>{text}</p></body></html>"
    body = html.encode(label)
    result = tagged(body, f"text/html; charset={label}")
    assert result.body == body.replace(b"<head>", b"<head>" + TAG)
    assert result.body.decode(label) == html.replace("<head>", "<head>" + TAG.decode())


@pytest.mark.parametrize("meta", ['<meta charset="shift_jis">', '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'])
def test_charset_from_meta(meta):
    html = f"<html><head>{meta}<title>\u65e5\u672c</title></head>"
    body = html.encode("shift_jis")
    result = tagged(body, "text/html")
    assert result.encoding.source == "meta"
    assert result.body == body.replace(meta.encode(), meta.encode() + TAG)


def test_no_charset_at_all_inserts_ascii_bytes_without_decoding():
    body = b"<html><head><title>\xff\xfe\x80 not valid utf-8 \xe9</title></head>"
    result = tagged(body, "text/html")
    assert result.encoding.source == "none"
    assert result.body == body.replace(b"<head>", b"<head>" + TAG)


def test_utf8_bom_is_kept_first():
    body = codecs.BOM_UTF8 + "<html><head><title>\u00e9</title>".encode()
    assert tagged(body).body == body.replace(b"<head>", b"<head>" + TAG)


@pytest.mark.parametrize("codec, bom", [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)])
def test_utf16_with_bom(codec, bom):
    html = "<html><head><title>\u65e5\u672c \U0001f600</title></head><body>x</body></html>"
    body = bom + html.encode(codec)
    out = tagged(body, "text/html").body
    assert out == bom + html.replace("<head>", "<head>" + TAG.decode()).encode(codec)


def test_meta_claiming_utf16_in_an_ascii_document_is_read_as_utf8():
    body = '<html><head><meta charset="utf-16"><title>\u00e9</title>'.encode()
    out = tagged(body, "text/html").body
    assert out == body.replace(b'"utf-16">', b'"utf-16">' + TAG)


@pytest.mark.parametrize(
    "label, codec, html",
    [
        ("UTF-16", "utf-16-le", "<html><head><title>\u00fc</title></head>"),  # declared, no BOM
        ("ISO-2022-JP", "iso2022_jp", "<html><head><title>\u65e5\u672c\u8a9e</title></head><body>\u3053\u3093</body>"),
    ],
)
def test_encodings_that_are_not_ascii_compatible_are_handled_as_text(label, codec, html):
    out = tagged(html.encode(codec), f"text/html; charset={label}").body
    assert out.decode(codec) == html.replace("<head>", "<head>" + TAG.decode())


@pytest.mark.parametrize("label", ["ucs-2", "unicode", "csUnicode", "iso-10646-ucs-2", "unicodefeff", "unicodefffe"])
def test_utf16_labels_browsers_know_and_python_does_not_are_handled_as_text(label):
    """Labels come from the WHATWG Encoding Standard, as browsers read them, not from Python's codec names."""
    codec = "utf-16-be" if label == "unicodefffe" else "utf-16-le"
    html = "<!doctype html><html><head><title>\u042e\u043d\u0438\u043a\u043e\u0434</title></head><body>x</body></html>"
    out = tagged(html.encode(codec), f"text/html; charset={label}").body
    assert out.decode(codec) == html.replace("<head>", "<head>" + TAG.decode())


def test_a_label_only_python_knows_is_read_as_browsers_read_it():
    """``utf16`` (no hyphen) is no label to a browser: the page is read as an ASCII-compatible default, so the tag
    goes in as bytes (Python's ``utf16`` codec would have put a UTF-16 tag in front of the doctype)."""
    body = b"<!doctype html><html><head><title>Caf\xe9</title></head><body>x</body></html>"
    result = tagged(body, "text/html; charset=utf16")
    assert result.encoding.codec is None and result.body == body.replace(b"<head>", b"<head>" + TAG)


@pytest.mark.parametrize("label, where", [("iso-2022-kr", "header"), ("ISO-2022-CN", "header"), ("hz-gb-2312", "meta")])
def test_replacement_encodings_are_left_alone(label, where):
    """Browsers show a document in these encodings as one replacement character: there is nothing to tag."""
    head = f'<meta charset="{label}">' if where == "meta" else ""
    content_type = f"text/html; charset={label}" if where == "header" else "text/html"
    result = inject(f"<html><head>{head}<title>x</title></head></html>".encode(), content_type, [], CONFIG)
    assert isinstance(result, NotInjected) and "replacement character" in result.reason


def test_invalid_utf16_body_passes_through():
    result = inject(b"\xff\xfe<\x00h", "text/html", [], CONFIG)  # odd length after the BOM
    assert isinstance(result, NotInjected)


def test_document_with_tag_is_left_alone():
    body = b'<html><head><script src="https://other.example/x/clickto.js" data-site="s" async></script>'
    assert inject(body, "text/html", [], CONFIG) == NotInjected("document already carries a clickto.js script")


def test_empty_body_is_left_alone():
    assert isinstance(inject(b"  \n", "text/html", [], CONFIG), NotInjected)


def test_xhtml_whose_root_is_prefixed_is_left_alone():
    """``<h:html>``: a tag before it would be a second root element, and the page an XML error."""
    body = (b'<?xml version="1.0"?><h:html xmlns:h="http://www.w3.org/1999/xhtml"><h:head><h:title>t</h:title>'
            b"</h:head><h:body>hello</h:body></h:html>")
    result = inject(body, "application/xhtml+xml", [], CONFIG)
    assert isinstance(result, NotInjected) and "XHTML" in result.reason


def test_xhtml_without_head_gets_the_tag_inside_its_root():
    body = b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body>hello</body></html>'
    out = tagged(body, "application/xhtml+xml").body
    assert out.index(b"<script") > out.index(b"<html") and out.count(b"clickto.js") == 1


def test_xhtml_gets_a_well_formed_tag():
    body = b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title></head></html>'
    out = tagged(body, "application/xhtml+xml").body
    assert b'data-site="demo" async="async"></script><title>' in out


@pytest.mark.parametrize("empty", [b"<template/>", b'<script src="a.js"/>'])
def test_xhtml_csp_meta_after_a_self_closing_element_is_rewritten(empty):
    """In XHTML ``<template/>`` is empty: the browser enforces the meta after it, so must we."""
    meta = b"<meta http-equiv=\"Content-Security-Policy\" content=\"connect-src 'self'\"/>"
    body = b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head>' + empty + meta + b"</head></html>"
    out = tagged(body, "application/xhtml+xml; charset=utf-8").body
    assert b"content=\"connect-src 'self' http://127.0.0.1:8000/\"/>" in out


def test_meta_csp_is_rewritten_in_place_keeping_its_quotes():
    body = (
        b"<html><head><meta charset=utf-8>"
        b"<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'strict-dynamic' 'nonce-m1'; connect-src 'self'\">"
        b"<meta http-equiv=content-security-policy content='default-src &#39;self&#39;'>"
        b"<meta http-equiv=content-security-policy content=img-src>"
        b"<title>x</title></head>"
    )
    result = tagged(body, "text/html")
    assert result.nonce == "m1"
    out = result.body.decode()
    assert ' nonce="m1" async></script>' in out
    assert "content=\"script-src 'strict-dynamic' 'nonce-m1'; connect-src 'self' http://127.0.0.1:8000/\"" in out
    assert (
        "content='default-src &#39;self&#39;; script-src &#39;self&#39; http://127.0.0.1:8000/; "
        "connect-src &#39;self&#39; http://127.0.0.1:8000/'" in out
    )
    assert "content=img-src>" in out  # no script or connect restriction: untouched


def test_csp_header_and_tag_nonce_agree():
    result = tagged(b"<head>", "text/html", ["script-src 'strict-dynamic' 'sha256-x='"])
    assert result.nonce == "N0NCE"
    assert result.csp_headers == ["script-src 'strict-dynamic' 'sha256-x=' 'nonce-N0NCE'"]
    assert b' nonce="N0NCE" async></script>' in result.body


@pytest.mark.parametrize(
    "server, message",
    [
        ("", "empty"),
        ("127.0.0.1:8000", "http:// or https://"),
        ("ftp://x", "http:// or https://"),
        ("http://", "no host"),
        ("http://u:p@x", "credentials"),
        ("http://x/?q=1", "query"),
        ("http://x:99999", "not valid"),
        ("http://x/a b", "not allowed"),
        ("http://[::1]:8000", "IPv6"),
    ],
)
def test_bad_server_urls_are_explained(server, message):
    with pytest.raises(ConfigError, match=message):
        TagConfig.create(server, "demo")


def test_server_url_is_normalized():
    assert TagConfig.create(" https://Svc.Example:8443/clickto/ ", "s").server == "https://svc.example:8443/clickto"
    assert TagConfig.create("https://svc.example/clickto/", "s").source == "https://svc.example/clickto/"


def test_site_key_is_one_the_service_accepts():
    """The service refuses every event of a site key outside its id rule: the proxy refuses to start with one."""
    assert 'data-site="shop-1.eu:main"' in TagConfig.create("http://x", " shop-1.eu:main ").tag()
    with pytest.raises(ConfigError, match="site key is empty"):
        TagConfig.create("http://x", " ")
    for key in ["caf\u00e9", 'a"b', "a b", "x" * 129]:
        with pytest.raises(ConfigError, match="must be 1-128 characters of ASCII letters, digits"):
            TagConfig.create("http://x", key)
