"""Content-Security-Policy rewriting: let the injected clickto tag run and reach its service.

Pure functions on policy strings, no mitmproxy. The rules (why: the policy a site ships must keep
protecting it, so each change is the smallest one that lets our one tag and its requests through):

* The directive that governs ``<script>`` elements is ``script-src-elem``, else ``script-src``, else
  ``default-src``. We never edit ``default-src`` (it also governs images, frames, fonts ...): when it is
  the fallback we add an explicit ``script-src`` that copies it plus our additions.
* ``'strict-dynamic'`` makes browsers ignore host sources, so the tag needs a nonce: the policy's own
  nonce when it has one (the tag carries it), else a fresh one added to the directive.
* Without ``'strict-dynamic'`` we add the service base URL as a host source (``https://svc/prefix/``,
  path-scoped): it admits the tag and the panel script the tag loads later. We do not add a fresh nonce
  there, because a nonce would switch off an ``'unsafe-inline'`` the site relies on.
* ``connect-src`` (events, Server-Sent Events) gets the service base URL; when only ``default-src``
  exists we add ``connect-src`` = default-src sources + ours.
* ``'none'`` is replaced, never appended to. ``'unsafe-inline'`` and ``*`` are never added.
* The tag's own ``<style>`` blocks are admitted by their hashes in the directive that governs style
  elements (``style-src-elem`` > ``style-src`` > ``default-src``, the latter copied into a new
  ``style-src``), unless that directive already allows inline styles: a hash would switch off its
  ``'unsafe-inline'``.
* Every enforced policy must allow us (a response can carry several); Report-Only is never touched.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

SCRIPT_DIRECTIVES = ("script-src-elem", "script-src", "default-src")
CONNECT_DIRECTIVES = ("connect-src", "default-src")
STYLE_DIRECTIVES = ("style-src-elem", "style-src", "default-src")
ASCII_WHITESPACE = "\t\n\f\r "
_NONCE_SOURCE = re.compile(r"'nonce-([A-Za-z0-9+/_-]+=*)'", re.I)


@dataclass
class Directive:
    name: str  # lower-cased
    sources: list[str]
    text: str  # the original text, kept verbatim while unchanged
    changed: bool = False

    def serialize(self) -> str:
        if not self.changed:
            return self.text
        return " ".join([self.name, *self.sources])


@dataclass
class Policy:
    """One parsed policy; directives keep their order and original spelling."""

    directives: list[Directive] = field(default_factory=list)
    original: str = ""

    def get(self, name: str) -> Directive | None:
        """The first directive with this name (browsers ignore later duplicates)."""
        for directive in self.directives:
            if directive.name == name:
                return directive
        return None

    @property
    def changed(self) -> bool:
        return any(d.changed for d in self.directives)

    def serialize(self) -> str:
        if not self.changed:
            return self.original
        return "; ".join(d.serialize() for d in self.directives)


def parse_policy(text: str) -> Policy:
    """Parse one serialized policy (CSP3 §2.2.1): ``;``-separated directives, first name wins."""
    policy = Policy(original=text)
    for chunk in text.split(";"):
        tokens = chunk.strip(ASCII_WHITESPACE).split()
        if not tokens:
            continue
        policy.directives.append(Directive(tokens[0].lower(), tokens[1:], chunk.strip(ASCII_WHITESPACE)))
    return policy


def split_header(value: str) -> list[str]:
    """A CSP header value is a comma-separated list of policies, each enforced on its own."""
    return [part for part in (p.strip(ASCII_WHITESPACE) for p in value.split(",")) if part]


def effective(policy: Policy, names: Sequence[str]) -> Directive | None:
    for name in names:
        directive = policy.get(name)
        if directive is not None:
            return directive
    return None


def _lower(sources: Sequence[str]) -> list[str]:
    return [s.lower() for s in sources]


def nonces(directive: Directive | None) -> list[str]:
    """The nonce values listed in a directive (``'nonce-abc'`` -> ``abc``)."""
    if directive is None:
        return []
    return [m.group(1) for m in map(_NONCE_SOURCE.fullmatch, directive.sources) if m]


def is_strict_dynamic(directive: Directive | None) -> bool:
    return directive is not None and "'strict-dynamic'" in _lower(directive.sources)


def script_directive(policy: Policy) -> Directive | None:
    return effective(policy, SCRIPT_DIRECTIVES)


def _add_sources(policy: Policy, names: Sequence[str], own_name: str, additions: Sequence[str]) -> None:
    """Add sources to the directive that governs ``own_name``; when that is ``default-src``, create
    ``own_name`` as a copy of it instead, so nothing else default-src governs is widened."""
    governing = effective(policy, names)
    if governing is None or not additions:
        return
    if governing.name == "default-src" and own_name != "default-src":
        target = Directive(own_name, list(governing.sources), "", changed=True)
        policy.directives.append(target)
    else:
        target = governing
    lowered = _lower(target.sources)
    if "'none'" in lowered:
        target.sources = [s for s in target.sources if s.lower() != "'none'"]
        target.changed = True
        lowered = _lower(target.sources)
    for source in additions:
        if source.lower() not in lowered:
            target.sources.append(source)
            lowered.append(source.lower())
            target.changed = True


@dataclass
class CspPlan:
    """What to do to a response: the nonce our tag carries (or None) and the rewritten policies."""

    nonce: str | None
    headers: list[str]  # enforced CSP header values, in order, rewritten
    metas: list[str]  # meta CSP contents, in order, rewritten
    trusted_types: bool = False  # an enforced policy requires Trusted Types, which the tag cannot use
    sandboxed: bool = False  # an enforced header ``sandbox`` without scripts, or with an opaque origin


def plan(
    header_values: Sequence[str],
    meta_values: Sequence[str],
    service_source: str,
    new_nonce: str | None = None,
    style_hashes: Sequence[str] = (),
) -> CspPlan:
    """Rewrite every enforced policy (headers and ``<meta>``) so that a ``<script src=service_source...>``
    carrying the returned nonce runs and can connect to ``service_source``.

    ``service_source`` is a CSP host source such as ``https://svc.example/clickto/``.
    ``new_nonce`` is used when a fresh nonce is needed (tests pass one for determinism).
    ``style_hashes`` are the hash sources of the tag's inline ``<style>`` blocks (``proxy/tagstyles.py``).
    """
    header_policies = [[parse_policy(p) for p in split_header(v)] for v in header_values]
    meta_policies = [parse_policy(v) for v in meta_values]
    every = [p for group in header_policies for p in group] + meta_policies

    nonce = choose_nonce(every, new_nonce)
    for policy in every:
        allow_service(policy, service_source, nonce)
        allow_styles(policy, style_hashes)

    headers = [
        header_values[i] if not any(p.changed for p in group) else ", ".join(p.serialize() for p in group)
        for i, group in enumerate(header_policies)
    ]
    metas = [p.serialize() for p in meta_policies]
    trusted_types = any(p.get("require-trusted-types-for") is not None for p in every)
    # browsers ignore ``sandbox`` in a <meta> policy
    sandboxed = any(blocks_the_tag(p.get("sandbox")) for group in header_policies for p in group)
    return CspPlan(nonce=nonce, headers=headers, metas=metas, trusted_types=trusted_types, sandboxed=sandboxed)


def blocks_the_tag(sandbox: Directive | None) -> bool:
    """A ``sandbox`` directive under which the tag cannot work: without ``allow-scripts`` it does not run, and
    without ``allow-same-origin`` the page's origin is opaque ("null"), which no site lists."""
    if sandbox is None:
        return False
    tokens = set(_lower(sandbox.sources))
    return not {"allow-scripts", "allow-same-origin"} <= tokens


def choose_nonce(policies: Sequence[Policy], new_nonce: str | None = None) -> str | None:
    """The nonce for our tag: a nonce every 'strict-dynamic' policy already lists is reused; when the
    strict policies disagree (or list none) a fresh one is used and added to them. Without any
    'strict-dynamic' policy the page's own nonce, if any, is reused (harmless, and it keeps working
    should the site drop the host-source route), else no nonce at all."""
    strict = [script_directive(p) for p in policies if is_strict_dynamic(script_directive(p))]
    if strict:
        common = set(nonces(strict[0]))
        for directive in strict[1:]:
            common &= set(nonces(directive))
        if common:
            return next(n for n in nonces(strict[0]) if n in common)
        return new_nonce or fresh_nonce()
    for policy in policies:
        existing = nonces(script_directive(policy))
        if existing:
            return existing[0]
    return None


def allow_service(policy: Policy, service_source: str, nonce: str | None) -> None:
    """Change ``policy`` in place so that the tag (with ``nonce``) runs and can reach the service."""
    directive = script_directive(policy)
    if directive is not None:
        if is_strict_dynamic(directive):
            if nonce is not None and nonce not in nonces(directive):
                _add_sources(policy, SCRIPT_DIRECTIVES, "script-src", [f"'nonce-{nonce}'"])
        else:
            _add_sources(policy, SCRIPT_DIRECTIVES, "script-src", [service_source])
    _add_sources(policy, CONNECT_DIRECTIVES, "connect-src", [service_source])


def allows_inline(directive: Directive) -> bool:
    """``'unsafe-inline'`` in effect: listed, and not cancelled by a nonce or hash in the same list."""
    lowered = _lower(directive.sources)
    return "'unsafe-inline'" in lowered and not any(s.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-")) for s in lowered)


def allow_styles(policy: Policy, hashes: Sequence[str]) -> None:
    """Admit the tag's inline ``<style>`` blocks by their hashes (in place)."""
    directive = effective(policy, STYLE_DIRECTIVES)
    if directive is not None and hashes and not allows_inline(directive):
        _add_sources(policy, STYLE_DIRECTIVES, "style-src", hashes)


def fresh_nonce() -> str:
    """128 bits from the OS CSPRNG, base64url (valid in the CSP nonce grammar and in attributes)."""
    return secrets.token_urlsafe(16)
