"""The addon on crafted mitmproxy flows: documents are tagged, everything else passes byte for byte."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest
import zstandard
from mitmproxy import exceptions
from mitmproxy.test import taddons

from proxy import bodycoding
from proxy.addon import ClicktoInjector, host_matches
from proxy.tagstyles import style_hashes

from .conftest import BROWSER_NAVIGATION, make_flow
from clickto.testing import run_coroutine

TAG = b'<script src="http://127.0.0.1:8000/clickto.js" data-site="demo" async></script>'
PAGE = b"<!doctype html><html><head><title>Shop \xc3\xa9</title></head><body>" + b"<p>item</p>" * 200 + b"</body></html>"
EXPECTED = PAGE.replace(b"<head>", b"<head>" + TAG)

ENCODERS = {
    "gzip": lambda b: gzip.compress(b, mtime=0),
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": lambda b: zstandard.ZstdCompressor().compress(b),
}
DECODERS = {
    "gzip": gzip.decompress,
    "deflate": zlib.decompress,
    "br": brotli.decompress,
    "zstd": lambda b: zstandard.ZstdDecompressor().decompressobj().decompress(b),
}


def run(addon: ClicktoInjector, flow) -> None:
    """Both hooks, as mitmproxy calls them (``response`` is async: large bodies go to a worker thread)."""
    addon.responseheaders(flow)
    run_coroutine(addon.response(flow))


def snapshot(flow) -> tuple:
    return (flow.response.status_code, flow.response.raw_content, list(flow.response.headers.fields))


def test_plain_document_gets_the_tag_and_a_correct_content_length(addon):
    flow = make_flow(PAGE)
    run(addon, flow)
    assert flow.response.raw_content == EXPECTED
    assert flow.response.headers["content-length"] == str(len(EXPECTED))
    assert addon.injected == 1


@pytest.mark.parametrize("coding", sorted(ENCODERS) + ["x-gzip", "GZIP", "identity"])
def test_content_encodings_are_decoded_and_the_tagged_document_sent_decoded(addon, coding):
    raw = ENCODERS.get(coding.lower().removeprefix("x-"), bytes)(PAGE)
    flow = make_flow(raw, response_headers=[("content-encoding", coding), ("vary", "Accept-Encoding")])
    run(addon, flow)
    assert flow.response.raw_content == EXPECTED
    assert "content-encoding" not in flow.response.headers
    assert flow.response.headers["content-length"] == str(len(EXPECTED))
    assert flow.response.headers["vary"] == "Accept-Encoding"


@pytest.mark.parametrize("coding", sorted(ENCODERS))
def test_reencode_option_keeps_the_original_coding(addon, coding):
    addon.tctx.configure(addon, clickto_reencode=True)
    raw = ENCODERS[coding](PAGE)
    flow = make_flow(raw, response_headers=[("content-encoding", coding), ("vary", "Accept-Encoding")])
    run(addon, flow)
    assert flow.response.headers["content-encoding"] == coding
    assert DECODERS[coding](flow.response.raw_content) == EXPECTED
    assert flow.response.headers["content-length"] == str(len(flow.response.raw_content))


def test_reencode_keeps_raw_deflate_without_zlib_wrapper_raw(addon):
    addon.tctx.configure(addon, clickto_reencode=True)
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw = compressor.compress(PAGE) + compressor.flush()
    flow = make_flow(raw, response_headers=[("content-encoding", "deflate")])
    run(addon, flow)
    assert zlib.decompress(flow.response.raw_content, -zlib.MAX_WBITS) == EXPECTED


def test_raw_deflate_without_zlib_wrapper_is_decoded(addon):
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw = compressor.compress(PAGE) + compressor.flush()
    flow = make_flow(raw, response_headers=[("content-encoding", "deflate")])
    run(addon, flow)
    assert flow.response.raw_content == EXPECTED


def test_multi_member_gzip(addon):
    raw = gzip.compress(PAGE[:100]) + gzip.compress(PAGE[100:])
    flow = make_flow(raw, response_headers=[("content-encoding", "gzip")])
    run(addon, flow)
    assert flow.response.raw_content == EXPECTED


def test_chunked_response_keeps_transfer_encoding_and_gets_no_content_length(addon):
    flow = make_flow(PAGE, response_headers=[("transfer-encoding", "chunked")])
    run(addon, flow)
    assert flow.response.raw_content == EXPECTED
    assert "content-length" not in flow.response.headers
    assert flow.response.headers["transfer-encoding"] == "chunked"


def test_validators_and_digests_of_the_changed_body_are_not_reused(addon):
    flow = make_flow(PAGE, response_headers=[("etag", '"v1"'), ("content-md5", "x"), ("digest", "sha-256=x")])
    run(addon, flow)
    assert flow.response.headers["etag"] == 'W/"clickto-v1"'
    assert "content-md5" not in flow.response.headers and "digest" not in flow.response.headers


@pytest.mark.parametrize(
    "label, kwargs",
    [
        ("image", dict(content_type="image/png")),
        ("json", dict(content_type="application/json")),
        ("javascript", dict(content_type="text/javascript")),
        ("no content type", dict(content_type=None)),
        ("204", dict(status=204)),
        ("304", dict(status=304)),
        ("206 partial", dict(status=206)),
        ("301 redirect", dict(status=301)),
        ("HEAD", dict(method="HEAD")),
        ("XHR", dict(request_headers={"accept": "text/html", "x-requested-with": "XMLHttpRequest"})),
        ("fetch", dict(request_headers={"accept": "*/*", "sec-fetch-dest": "empty", "sec-fetch-mode": "cors"})),
        ("script dest", dict(request_headers={"accept": "text/html", "sec-fetch-dest": "script"})),
        ("accept without html", dict(request_headers={"accept": "application/json"})),
        ("attachment", dict(response_headers=[("content-disposition", "attachment; filename=a.html")])),
    ],
)
def test_non_documents_pass_through_byte_for_byte(addon, label, kwargs):
    flow = make_flow(PAGE, **kwargs)
    before = snapshot(flow)
    run(addon, flow)
    assert snapshot(flow) == before, label
    assert addon.injected == 0


def test_documents_are_tagged(addon):
    flow = make_flow(PAGE, request_headers={"sec-fetch-dest": "document", "accept": "*/*"})
    run(addon, flow)
    assert flow.response.raw_content == EXPECTED


@pytest.mark.parametrize("dest", ["iframe", "frame"])
def test_frames_are_left_alone_since_the_tag_runs_in_the_top_window_only(addon, dest):
    flow = make_flow(PAGE, request_headers={**BROWSER_NAVIGATION, "sec-fetch-dest": dest},
                     response_headers=[("content-security-policy", "script-src 'self'")])
    run(addon, flow)
    assert flow.response.raw_content == PAGE
    assert flow.response.headers["content-security-policy"] == "script-src 'self'"
    assert addon.injected == 0


def test_request_without_fetch_metadata_or_accept_is_treated_as_a_document(addon):
    flow = make_flow(PAGE, request_headers={})
    run(addon, flow)
    assert flow.response.raw_content == EXPECTED


@pytest.mark.parametrize("status", [404, 500])
def test_error_pages_are_tagged(addon, status):
    flow = make_flow(PAGE, status=status)
    run(addon, flow)
    assert flow.response.raw_content == EXPECTED


def test_only_restricts_hosts(addon):
    addon.tctx.configure(addon, clickto_only=["*.example.com", "127.0.0.1:8001"])
    elsewhere = make_flow(PAGE, host="shop.example")
    run(addon, elsewhere)
    assert elsewhere.response.raw_content == PAGE
    for host, port in [("www.example.com", 80), ("127.0.0.1", 8001)]:
        flow = make_flow(PAGE, host=host, port=port)
        run(addon, flow)
        assert flow.response.raw_content == EXPECTED, host
    other_port = make_flow(PAGE, host="127.0.0.1", port=8002)
    run(addon, other_port)
    assert other_port.response.raw_content == PAGE


def test_host_patterns():
    assert host_matches("Shop.Example.com.", 443, ["*.example.com"])
    assert not host_matches("example.com", 443, ["*.example.com"])
    assert host_matches("anything", 1, [])
    assert host_matches("localhost", 8000, ["localhost:80*"])


@pytest.mark.parametrize("pattern", ["[::1]:8001", "[::1]", "::1", "[::1]:80*", "[::?]"])
def test_ipv6_host_patterns(pattern):
    assert host_matches("::1", 8001, [pattern])
    assert host_matches("[::1]", 8001, [pattern])
    assert not host_matches("::12", 8001, [pattern])


def test_ipv6_pattern_with_another_port_does_not_match():
    assert not host_matches("::1", 8002, ["[::1]:8001"])


def test_ipv6_document_is_tagged_through_only(addon):
    addon.tctx.configure(addon, clickto_only=["[::1]:8001"])
    flow = make_flow(PAGE, host="::1", port=8001)
    flow.request.headers["host"] = "[::1]:8001"
    run(addon, flow)
    assert flow.response.raw_content == EXPECTED


def test_already_tagged_document_is_untouched(addon):
    page = PAGE.replace(b"<head>", b"<head>" + TAG)
    flow = make_flow(page)
    before = snapshot(flow)
    run(addon, flow)
    assert snapshot(flow) == before


def test_body_above_the_cap_passes_untouched(addon):
    addon.tctx.configure(addon, clickto_max_bytes=len(PAGE) - 1)
    flow = make_flow(PAGE)
    before = snapshot(flow)
    run(addon, flow)
    assert snapshot(flow) == before


def test_content_length_above_the_cap_is_streamed_unbuffered(addon):
    addon.tctx.configure(addon, clickto_max_bytes=1000)
    flow = make_flow(PAGE)
    flow.response.raw_content = None  # responseheaders runs before the body arrives
    addon.responseheaders(flow)
    assert flow.response.stream is True


def test_small_gzip_bomb_is_not_inflated_beyond_the_cap(addon):
    addon.tctx.configure(addon, clickto_max_bytes=100_000)
    bomb = gzip.compress(b"<html><head>" + b" " * 50_000_000)
    assert len(bomb) < 100_000
    flow = make_flow(bomb, response_headers=[("content-encoding", "gzip")])
    before = snapshot(flow)
    run(addon, flow)
    assert snapshot(flow) == before


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd", "deflate"])
def test_decode_caps_every_coding(coding):
    raw = ENCODERS[coding](b"x" * 200_000)
    with pytest.raises(bodycoding.TooLarge):
        bodycoding.decode(raw, coding, 100_000)
    assert bodycoding.decode(raw, coding, 200_000) == b"x" * 200_000


@pytest.mark.parametrize("coding, raw", [("gzip", b"not gzip"), ("br", b"\xff\xff"), ("compress", b"x"), ("gzip, br", b"x")])
def test_broken_or_unknown_encodings_pass_through(addon, coding, raw):
    flow = make_flow(raw, response_headers=[("content-encoding", coding)])
    before = snapshot(flow)
    run(addon, flow)
    assert snapshot(flow) == before


def test_truncated_gzip_passes_through(addon):
    raw = gzip.compress(PAGE)[:-20]
    flow = make_flow(raw, response_headers=[("content-encoding", "gzip")])
    before = snapshot(flow)
    run(addon, flow)
    assert snapshot(flow) == before


def test_csp_header_rewritten_and_report_only_left_alone(addon):
    enforced = "default-src 'self'; script-src 'nonce-abc' 'strict-dynamic'"
    report_only = "default-src 'none'"
    flow = make_flow(
        PAGE,
        response_headers=[
            ("content-security-policy", enforced),
            ("content-security-policy", "connect-src 'none'"),
            ("content-security-policy-report-only", report_only),
        ],
    )
    run(addon, flow)
    assert b' nonce="abc" async></script>' in flow.response.raw_content
    assert flow.response.headers.get_all("content-security-policy") == [
        "default-src 'self'; script-src 'nonce-abc' 'strict-dynamic'; connect-src 'self' http://127.0.0.1:8000/; "
        "style-src 'self' " + " ".join(style_hashes()),
        "connect-src http://127.0.0.1:8000/",
    ]
    assert flow.response.headers.get_all("content-security-policy-report-only") == [report_only]


def test_csp_on_a_passed_through_response_is_untouched(addon):
    flow = make_flow(b"{}", content_type="application/json", response_headers=[("content-security-policy", "default-src 'none'")])
    before = snapshot(flow)
    run(addon, flow)
    assert snapshot(flow) == before


def test_charset_document_through_the_addon(addon):
    page = "<html><head><title>\u65e5\u672c\u8a9e \u8868</title></head>".encode("shift_jis")
    flow = make_flow(gzip.compress(page), content_type="text/html; charset=Shift_JIS", response_headers=[("content-encoding", "gzip")])
    run(addon, flow)
    assert flow.response.raw_content == page.replace(b"<head>", b"<head>" + TAG)


def test_without_server_and_site_everything_passes(caplog):
    injector = ClicktoInjector()
    with taddons.context(injector) as tctx:
        tctx.configure(injector, clickto_server="http://127.0.0.1:8000")
        flow = make_flow(PAGE)
        run(injector, flow)
        assert flow.response.raw_content == PAGE
    assert "clickto_site" in caplog.text


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(clickto_server="ftp://x", clickto_site="demo"), "http:// or https://"),
        (dict(clickto_server="http://x", clickto_site="demo", clickto_max_bytes=0), "positive"),
        (dict(clickto_server="http://*.x", clickto_site="demo"), "not a host name"),
        (dict(clickto_server="http://x", clickto_site="demo", clickto_only=["http://shop/"]), "not a host pattern"),
        (dict(clickto_server="http://x", clickto_site="demo", clickto_only=["shop:"]), "not a host pattern"),
        (dict(clickto_server="http://x", clickto_site="demo", clickto_only=["[::1]x"]), "not a host pattern"),
    ],
)
def test_bad_options_are_rejected(options, message):
    injector = ClicktoInjector()
    with taddons.context(injector) as tctx:
        with pytest.raises(exceptions.OptionsError, match=message):
            tctx.configure(injector, **options)


def test_invalid_server_option_is_one_readable_line():
    injector = ClicktoInjector()
    with taddons.context(injector) as tctx:
        with pytest.raises(exceptions.OptionsError) as raised:
            tctx.configure(injector, clickto_server="http://*.x", clickto_site="demo")
    assert raised.value.__cause__ is None and (raised.value.__context__ is None or raised.value.__suppress_context__)
    assert "\n" not in str(raised.value) and str(raised.value).startswith("clickto: ")


def test_script_loads_with_mitmproxy_script_loader():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "proxy" / "addon.py"
    with taddons.context() as tctx:
        module = tctx.script(str(path))
        assert [type(a).__name__ for a in module.addons] == ["ClicktoInjector"]


@pytest.mark.parametrize("reencode", [False, True])
def test_large_documents_are_rewritten_off_the_event_loop(addon, reencode):
    from proxy.addon import OFFLOAD_BYTES, OFFLOAD_BYTES_DECODED

    addon.tctx.configure(addon, clickto_reencode=reencode)
    threshold = OFFLOAD_BYTES if reencode else OFFLOAD_BYTES_DECODED
    page = PAGE.replace(b"</body>", b"<p>more</p>" * (threshold // 5) + b"</body>")
    small = PAGE.replace(b"</body>", b"<p>more</p>" * (threshold // 40) + b"</body>")
    small_flow = make_flow(gzip.compress(small), response_headers=[("content-encoding", "gzip")])
    assert len(small) < threshold
    run(addon, small_flow)
    assert addon._pool is None  # tagged on the event loop
    raw = small_flow.response.raw_content
    assert TAG in (gzip.decompress(raw) if reencode else raw)
    big_raw = zlib.compress(page, 0)  # stored deflate: encoded size above the threshold
    flow = make_flow(big_raw, response_headers=[("content-encoding", "deflate")])
    run(addon, flow)
    tagged = page.replace(b"<head>", b"<head>" + TAG)
    assert (zlib.decompress(flow.response.raw_content) if reencode else flow.response.raw_content) == tagged
    assert addon._pool is not None  # the worker thread did the work
    addon.done()
    assert addon._pool is None


@pytest.mark.parametrize("reencode", [False, True])
def test_a_small_compressed_body_that_decodes_large_is_tagged_off_the_event_loop(addon, reencode):
    """7 KB of gzip can hold megabytes of page: the decoded size decides too."""
    from proxy.addon import OFFLOAD_BYTES, OFFLOAD_BYTES_DECODED

    addon.tctx.configure(addon, clickto_reencode=reencode)
    threshold = OFFLOAD_BYTES if reencode else OFFLOAD_BYTES_DECODED
    page = PAGE.replace(b"</body>", b"<p>more</p>" * (threshold // 5) + b"</body>")
    flow = make_flow(gzip.compress(page), response_headers=[("content-encoding", "gzip")])
    assert len(flow.response.raw_content) < threshold <= len(page)
    run(addon, flow)
    assert addon._pool is not None  # a worker thread did the work
    tagged = page.replace(b"<head>", b"<head>" + TAG)
    assert (gzip.decompress(flow.response.raw_content) if reencode else flow.response.raw_content) == tagged
    addon.done()


TT_POLICY = "script-src 'self' 'unsafe-inline'; require-trusted-types-for 'script'"


def test_trusted_types_documents_get_a_warning_once_per_host(addon, caplog):
    for host in ["shop.example", "shop.example", "other.example"]:
        flow = make_flow(PAGE, host=host, response_headers=[("content-security-policy", TT_POLICY)])
        run(addon, flow)
        assert TAG in flow.response.raw_content  # still tagged: the tag reports, only its button fails
    meta = PAGE.replace(b"<head>", b"<head><meta http-equiv=Content-Security-Policy content=\"" + TT_POLICY.encode() + b"\">")
    run(addon, make_flow(meta, host="third.example"))
    warnings = [r.getMessage() for r in caplog.records if "requires Trusted Types" in r.getMessage()]
    assert [w.split()[1] for w in warnings] == [
        "http://shop.example/path", "http://other.example/path", "http://third.example/path"
    ]
    assert all(r.levelname == "WARNING" for r in caplog.records if "Trusted Types" in r.getMessage())


def test_no_trusted_types_warning_without_the_directive_or_for_report_only(addon, caplog):
    run(addon, make_flow(PAGE, response_headers=[("content-security-policy-report-only", TT_POLICY)]))
    run(addon, make_flow(PAGE, response_headers=[("content-security-policy", "script-src 'self'")]))
    assert "Trusted Types" not in caplog.text


def test_sandboxed_documents_get_a_warning_once_per_host(addon, caplog):
    """CSP ``sandbox`` gives the page an opaque origin ("null"): the tag runs, the service refuses its requests.
    The proxy does not weaken the sandbox; it says why no button will show."""
    for host in ["shop.example", "shop.example", "other.example"]:
        flow = make_flow(PAGE, host=host, response_headers=[("content-security-policy", "sandbox allow-scripts")])
        run(addon, flow)
        assert TAG in flow.response.raw_content
        assert flow.response.headers["content-security-policy"] == "sandbox allow-scripts"
    warnings = [r.getMessage() for r in caplog.records if "sandboxed" in r.getMessage()]
    assert [w.split()[1] for w in warnings] == ["http://shop.example/path", "http://other.example/path"]
    # browsers ignore sandbox in a <meta> policy, and Report-Only enforces nothing
    meta = PAGE.replace(b"<head>", b'<head><meta http-equiv="Content-Security-Policy" content="sandbox">')
    run(addon, make_flow(meta, host="third.example"))
    run(addon, make_flow(PAGE, host="fourth.example",
                         response_headers=[("content-security-policy-report-only", "sandbox")]))
    # with both tokens the page keeps its origin: the tag works there, nothing to warn about
    run(addon, make_flow(PAGE, host="fifth.example", response_headers=[
        ("content-security-policy", "sandbox allow-scripts allow-same-origin")]))
    assert len([r for r in caplog.records if "sandboxed" in r.getMessage()]) == 2


def test_every_content_encoding_line_counts(addon):
    """Two ``Content-Encoding: gzip`` lines are a stack of two codings (browsers join repeated lines): left
    alone, not decoded once and spliced into what is still gzip. An empty line adds nothing."""
    twice = gzip.compress(gzip.compress(PAGE))
    flow = make_flow(twice, response_headers=[("content-encoding", "gzip"), ("content-encoding", "gzip")])
    run(addon, flow)
    assert flow.response.raw_content == twice
    assert flow.response.headers.get_all("content-encoding") == ["gzip", "gzip"]
    once = gzip.compress(PAGE)
    flow = make_flow(once, response_headers=[("content-encoding", ""), ("content-encoding", "gzip")])
    run(addon, flow)
    assert flow.response.raw_content == PAGE.replace(b"<head>", b"<head>" + TAG)
    assert "content-encoding" not in flow.response.headers


REVALIDATION = {"if-none-match": '"v1"', "if-modified-since": "Mon, 23 Nov 2026 10:00:00 GMT"}


def request_flow(headers: dict[str, str], host: str = "shop.example", method: str = "GET"):
    flow = make_flow(PAGE, request_headers={**headers, **REVALIDATION}, host=host, method=method)
    flow.response = None
    return flow


@pytest.mark.parametrize(
    "headers",
    [
        BROWSER_NAVIGATION,
        {"accept": "text/html,*/*;q=0.8"},  # a client without fetch metadata
        {},  # nor Accept: its 200 pages are tagged (request_wants_document), so its 304s must not hide them
        {**BROWSER_NAVIGATION, "accept": "image/png"},  # a navigation is one whatever comes back
    ],
)
def test_document_requests_lose_their_validators_so_cached_pages_get_tagged(addon, headers):
    flow = request_flow(headers)
    addon.request(flow)
    assert not any(name in flow.request.headers for name in REVALIDATION)
    assert flow.request.headers.get("accept") == headers.get("accept")


@pytest.mark.parametrize(
    "headers, method, host",
    [
        ({**BROWSER_NAVIGATION, "sec-fetch-dest": "image", "accept": "image/avif,*/*"}, "GET", "shop.example"),
        ({**BROWSER_NAVIGATION, "sec-fetch-dest": "empty"}, "GET", "shop.example"),  # fetch()
        ({**BROWSER_NAVIGATION, "sec-fetch-dest": "iframe"}, "GET", "shop.example"),  # frames are not tagged
        ({"accept": "text/html", "x-requested-with": "XMLHttpRequest"}, "GET", "shop.example"),
        ({"accept": "*/*"}, "GET", "shop.example"),  # curl: not tagged either (request_wants_document)
        ({"accept": "text/html", "sec-fetch-dest": "empty"}, "GET", "shop.example"),
        ({}, "POST", "shop.example"),
        (BROWSER_NAVIGATION, "HEAD", "shop.example"),
        (BROWSER_NAVIGATION, "GET", "elsewhere.example"),  # not in --only
    ],
)
def test_other_requests_keep_their_validators(addon, headers, method, host):
    addon.tctx.configure(addon, clickto_only=["shop.example"])
    flow = request_flow(headers, host=host, method=method)
    addon.request(flow)
    assert all(flow.request.headers.get(name) == value for name, value in REVALIDATION.items())


def test_validators_are_kept_while_the_addon_is_not_configured():
    injector = ClicktoInjector()
    with taddons.context(injector):
        flow = request_flow(BROWSER_NAVIGATION)
        injector.request(flow)
    assert flow.request.headers["if-none-match"] == '"v1"'


@pytest.mark.parametrize("host, port, scheme, origin", [
    ("shop.example", 80, "http", "http://shop.example"),
    ("shop.example", 8080, "http", "http://shop.example:8080"),
    ("shop.example", 443, "https", "https://shop.example"),
    ("::1", 8001, "http", "http://[::1]:8001"),
])
def test_page_origin_is_what_the_browser_sends(host, port, scheme, origin):
    from proxy.addon import page_origin

    flow = make_flow(PAGE, host=host, port=port)
    flow.request.scheme = scheme
    assert page_origin(flow.request) == origin
