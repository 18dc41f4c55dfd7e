"""CSP rewriting: the tag must run and reach the service under every enforced policy, and nothing
else a policy protects may be widened."""

from __future__ import annotations

import re

import pytest

from proxy import csp

SVC = "https://svc.example/clickto/"


def directives(policy: str) -> dict[str, list[str]]:
    """name -> sources, first occurrence wins (as browsers do)."""
    out: dict[str, list[str]] = {}
    for chunk in policy.split(";"):
        tokens = chunk.split()
        if tokens and tokens[0].lower() not in out:
            out[tokens[0].lower()] = tokens[1:]
    return out


def one(header: str, nonce: str = "FRESH") -> tuple[str | None, dict[str, list[str]]]:
    plan = csp.plan([header], [], SVC, nonce)
    return plan.nonce, directives(plan.headers[0])


def test_parse_keeps_first_duplicate_and_original_text():
    policy = csp.parse_policy("Script-Src 'self' ; script-src *;  img-src data:")
    assert [d.name for d in policy.directives] == ["script-src", "script-src", "img-src"]
    assert policy.get("script-src").sources == ["'self'"]
    assert policy.serialize() == "Script-Src 'self' ; script-src *;  img-src data:"


def test_nonce_is_reused_with_strict_dynamic_and_script_src_untouched():
    header = "script-src 'nonce-r4nd0m' 'strict-dynamic' https:; object-src 'none'; base-uri 'none'"
    plan = csp.plan([header], [], SVC, "FRESH")
    assert plan.nonce == "r4nd0m"
    assert plan.headers == [header]  # nothing to change: no connect-src / default-src restricts us


def test_strict_dynamic_without_nonce_gets_a_fresh_nonce_not_a_host():
    nonce, d = one("script-src 'sha256-abc=' 'strict-dynamic'")
    assert nonce == "FRESH"
    assert d["script-src"] == ["'sha256-abc='", "'strict-dynamic'", "'nonce-FRESH'"]


def test_without_strict_dynamic_the_service_becomes_a_host_source_and_no_nonce_is_added():
    nonce, d = one("script-src 'self' 'unsafe-inline'")
    assert nonce is None  # a nonce would silently disable the site's 'unsafe-inline'
    assert d["script-src"] == ["'self'", "'unsafe-inline'", SVC]


def test_existing_nonce_without_strict_dynamic_is_reused_and_host_added():
    nonce, d = one("script-src 'self' 'nonce-xyz'")
    assert nonce == "xyz"
    assert d["script-src"] == ["'self'", "'nonce-xyz'", SVC]


def test_script_src_elem_takes_precedence():
    nonce, d = one("default-src 'self'; script-src 'self'; script-src-elem 'nonce-e1' 'strict-dynamic'")
    assert nonce == "e1"
    assert d["script-src"] == ["'self'"]  # not the directive for elements: untouched
    assert d["default-src"] == ["'self'"]
    assert d["connect-src"] == ["'self'", SVC]


def test_script_src_elem_without_nonce_gets_the_host():
    _, d = one("script-src 'none'; script-src-elem 'self'")
    assert d["script-src-elem"] == ["'self'", SVC]
    assert d["script-src"] == ["'none'"]


def test_default_src_fallback_creates_script_and_connect_src_copies():
    nonce, d = one("default-src 'self' https://cdn.example")
    assert nonce is None
    assert d["default-src"] == ["'self'", "https://cdn.example"]  # images, frames ... not widened
    assert d["script-src"] == ["'self'", "https://cdn.example", SVC]
    assert d["connect-src"] == ["'self'", "https://cdn.example", SVC]


def test_default_src_strict_dynamic_fallback():
    nonce, d = one("default-src 'strict-dynamic' 'nonce-q'")
    assert nonce == "q"
    assert "script-src" not in d  # the reused nonce already admits the tag
    assert d["connect-src"] == ["'strict-dynamic'", "'nonce-q'", SVC]


def test_none_is_replaced_not_appended_to():
    _, d = one("default-src 'none'; script-src 'none'; connect-src 'NONE'")
    assert d["script-src"] == [SVC]
    assert d["connect-src"] == [SVC]
    assert d["default-src"] == ["'none'"]


def test_connect_src_gets_the_service_once():
    _, d = one(f"connect-src 'self' {SVC}")
    assert d["connect-src"] == ["'self'", SVC]


def test_policy_without_script_or_connect_restrictions_is_unchanged():
    header = "frame-ancestors 'none'; upgrade-insecure-requests"
    assert csp.plan([header], [], SVC, "FRESH").headers == [header]


def test_several_headers_and_comma_separated_policies_each_allow_us():
    first = "script-src 'nonce-a' 'strict-dynamic'"
    second = "default-src 'self', script-src 'strict-dynamic' 'nonce-b'"
    plan = csp.plan([first, second], [], SVC, "FRESH")
    assert plan.nonce == "FRESH"  # the strict policies disagree: one fresh nonce added to both
    policies = [plan.headers[0], *plan.headers[1].split(",")]
    assert len(policies) == 3
    for policy in policies:
        d = directives(policy)
        script = d.get("script-src-elem") or d.get("script-src") or d.get("default-src")
        assert "'nonce-FRESH'" in script or SVC in script
        assert SVC in d.get("connect-src", d.get("default-src", [SVC]))


def test_common_nonce_across_strict_policies_is_reused():
    plan = csp.plan(["script-src 'nonce-a' 'strict-dynamic'", "script-src 'nonce-b' 'nonce-a' 'strict-dynamic'"], [], SVC, "F")
    assert plan.nonce == "a"
    assert plan.headers == ["script-src 'nonce-a' 'strict-dynamic'", "script-src 'nonce-b' 'nonce-a' 'strict-dynamic'"]


def test_meta_policies_are_rewritten_together_with_headers():
    plan = csp.plan(["script-src 'nonce-h' 'strict-dynamic'"], ["script-src 'strict-dynamic' 'nonce-m'; connect-src 'self'"], SVC, "F")
    assert plan.nonce == "F"
    assert directives(plan.metas[0])["script-src"] == ["'strict-dynamic'", "'nonce-m'", "'nonce-F'"]
    assert directives(plan.metas[0])["connect-src"] == ["'self'", SVC]


@pytest.mark.parametrize(
    "header",
    [
        "default-src 'none'",
        "script-src 'strict-dynamic'; default-src 'self'",
        "script-src 'self' 'unsafe-eval'; connect-src 'none'; img-src *",
        "script-src-elem 'none'; script-src 'strict-dynamic'",
    ],
)
def test_never_adds_unsafe_inline_or_wildcard(header):
    plan = csp.plan([header], [], SVC, "F")
    before = header.lower()
    after = plan.headers[0].lower()
    for dangerous in ("'unsafe-inline'", "'unsafe-eval'"):
        assert after.count(dangerous) == before.count(dangerous)
    assert re.findall(r"(?<![\w:/.-])\*(?![\w.])", after) == re.findall(r"(?<![\w:/.-])\*(?![\w.])", before)


def test_malformed_nonce_is_not_reused():
    nonce, _ = one("script-src 'nonce-a\"b' 'strict-dynamic'")
    assert nonce == "FRESH"


def test_fresh_nonces_are_unique_and_valid():
    values = {csp.fresh_nonce() for _ in range(50)}
    assert len(values) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", v) for v in values)


HASHES = ["'sha256-AAA='", "'sha256-BBB='"]


def styles(header: str) -> dict[str, list[str]]:
    return directives(csp.plan([header], [], SVC, "FRESH", HASHES).headers[0])


def test_style_hashes_copy_default_src_into_a_new_style_src():
    d = styles("default-src 'self'; script-src 'self'")
    assert d["style-src"] == ["'self'", *HASHES]
    assert d["default-src"] == ["'self'"]  # default-src itself is never widened


@pytest.mark.parametrize(
    "header, directive",
    [
        ("style-src 'self'", "style-src"),
        ("style-src-elem 'self'; style-src 'unsafe-inline'", "style-src-elem"),
        ("default-src 'none'; style-src https://cdn.example", "style-src"),
        ("style-src 'nonce-abc' 'unsafe-inline'", "style-src"),  # the nonce already cancels 'unsafe-inline'
    ],
)
def test_style_hashes_go_to_the_directive_governing_style_elements(header, directive):
    d = styles(header)
    assert d[directive][-2:] == HASHES
    assert sum(s in HASHES for sources in d.values() for s in sources) == 2  # in that directive only


def test_style_none_is_replaced_by_the_hashes():
    assert styles("style-src 'none'")["style-src"] == HASHES
    assert styles("default-src 'none'")["style-src"] == HASHES


@pytest.mark.parametrize(
    "header",
    [
        "style-src 'self' 'unsafe-inline'",  # a hash would switch the site's 'unsafe-inline' off
        "default-src 'self' 'unsafe-inline'",
        "script-src 'self'",  # nothing governs styles
        "style-src-elem 'unsafe-inline'; style-src 'none'",
    ],
)
def test_style_policies_that_already_allow_inline_styles_are_left_alone(header):
    d = styles(header)
    assert not any(s in HASHES for sources in d.values() for s in sources)


def test_style_hashes_never_add_unsafe_inline():
    for header in ["default-src 'self'", "style-src 'none'", "style-src-elem 'self'"]:
        assert "'unsafe-inline'" not in csp.plan([header], [], SVC, "F", HASHES).headers[0]


def test_trusted_types_requirement_is_reported():
    assert csp.plan(["script-src 'self'; require-trusted-types-for 'script'"], [], SVC).trusted_types
    assert csp.plan([], ["require-trusted-types-for 'script'"], SVC).trusted_types
    assert not csp.plan(["script-src 'self'; trusted-types a"], [], SVC).trusted_types
