"""``--only``/``clickto_only`` patterns: what could never match a host is refused, with the reason."""

from __future__ import annotations

import pytest
from mitmproxy import exceptions

from proxy.hosts import HostPatternError, parse_host_pattern


@pytest.mark.parametrize(
    "pattern, reason",
    [
        ("a.com,b.com", "',' cannot be part of a host; give one pattern per --only"),
        (";", "';' cannot be part of a host"),
        ("shop example", "' ' cannot be part of a host"),
        ("127.0.0.1:80:81", "'127.0.0.1:80:81' is no IPv6 address (write [address]:port"),
        ("[::1", "unbalanced '[' ']'"),
        ("[*]:80", "'[*]' is no host name, IPv4 address or pattern"),
        ("host:65536", "port 65536 is outside 1-65535"),
        ("host:0", "port 0 is outside 1-65535"),
        ("a:-", "port '-' is no port number or pattern"),
        ("a:080", "port '080' starts with 0"),
        ("a:8o", "port '8o' is no port number or pattern"),
        ("[::1]x", "'x' after the IPv6 address"),
        ("[fe80::zz]:80", "'fe80::zz' is no IPv6 address or pattern"),
        ("shop:", "the port is empty"),
        (":80", "the host is empty"),
        ("", "it is empty"),
        ("http://shop/", "a URL or path"),
        ("shop$.example", "'shop$.example' is no host name"),
    ],
)
def test_patterns_that_can_never_match_are_refused_with_the_reason(pattern, reason):
    with pytest.raises(HostPatternError) as raised:
        parse_host_pattern(pattern)
    message = str(raised.value)
    assert message.startswith(f"{pattern!r} is not a host pattern: {reason}"), message
    assert "e.g. shop.example.com" in message and "\n" not in message


@pytest.mark.parametrize(
    "pattern, host, port",
    [
        ("*.example.com", "*.example.com", None),
        ("Shop.Example.com.", "shop.example.com", None),
        ("bücher.example", "bücher.example", None),
        ("h[a-c]st:80[0-9]", "h[a-c]st", "80[0-9]"),
        ("localhost:80*", "localhost", "80*"),
        ("127.0.0.1:65535", "127.0.0.1", "65535"),
        ("[::1]:8001", "::1", "8001"),
        ("::1", "::1", None),
        ("2001:db8::*", "2001:db8::*", None),
        ("[::?]", "::?", None),
        ("*", "*", None),
    ],
)
def test_valid_patterns(pattern, host, port):
    parsed = parse_host_pattern(pattern)
    assert (parsed.host, parsed.port) == (host, port)


def test_the_addon_refuses_the_same_patterns(addon):
    with pytest.raises(exceptions.OptionsError, match=r"clickto: clickto_only: 'a.com,b.com' is not a host pattern: ','"):
        addon.tctx.configure(addon, clickto_only=["a.com,b.com"])
