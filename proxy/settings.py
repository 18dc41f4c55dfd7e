"""Checks of the addon's ``clickto_*`` option values, shared by ``configure`` and by ``load``.

Why ``load`` checks too: ``mitmdump -s proxy/addon.py --set clickto_max_bytes=abc`` defers the value
until the script declares its options, and mitmproxy then loses the error raised while applying it
(the script is silently not registered: no error, no tag). So ``load`` checks deferred values itself
and logs one clear line per bad value, which also makes mitmdump exit at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mitmproxy import exceptions

from proxy.hosts import HostPatternError, parse_host_patterns
from proxy.injection import ConfigError, normalize_server, validate_site

OPTION_NAMES = ("clickto_server", "clickto_site", "clickto_only", "clickto_max_bytes", "clickto_reencode")


def _positive(value: int) -> None:
    if value <= 0:
        raise ValueError(f"{value} must be a positive number of bytes")


_CHECKS: dict[str, Callable[[Any], object]] = {
    "clickto_server": lambda v: v and normalize_server(v),
    "clickto_site": lambda v: v and validate_site(v),
    "clickto_only": parse_host_patterns,
    "clickto_max_bytes": _positive,
}


def option_error(name: str, value: Any) -> str | None:
    """One line saying what is wrong with ``value`` for option ``name``, or None."""
    check = _CHECKS.get(name)
    if check is None:
        return None
    try:
        check(value)
    except (ConfigError, HostPatternError, ValueError) as exc:
        return f"clickto: {name}: {exc}"
    return None


def deferred_option_errors(options: Any) -> list[str]:
    """Errors in the ``--set clickto_*=...`` values mitmproxy holds back until our options exist
    (``options.deferred``): conversion to the option's type, then ``option_error``."""
    errors = []
    for name in OPTION_NAMES:
        value = options.deferred.get(name)
        if value is None or name not in options:
            continue
        parse = getattr(options, "_parse_setval", None)  # private in mitmproxy 11: used only if present
        if hasattr(value, "val") and parse is not None:  # _UnconvertedStrings: the raw --set text
            try:
                value = parse(options._options[name], value.val)
            except exceptions.OptionsError as exc:
                errors.append(f"clickto: --set {name}={' '.join(value.val)}: {exc}")
                continue
        elif hasattr(value, "val"):
            continue
        message = option_error(name, value)
        if message:
            errors.append(message)
    return errors
