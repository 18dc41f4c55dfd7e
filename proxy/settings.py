"""Checks of the addon's ``clickto_*`` option values, shared by ``configure`` and by ``load``.

Why ``load`` checks too: ``mitmdump -s proxy/addon.py --set clickto_max_bytes=abc`` defers the value
until the script declares its options, and mitmproxy then loses the error raised while applying it
(the script is silently not registered: no error, no tag). So ``load`` checks deferred values itself
and logs one clear line per bad value, which also makes mitmdump exit at start-up. The same holds for
values from mitmproxy's ``config.yaml`` (already YAML-typed: ``clickto_max_bytes: abc`` is a string),
and for misspelt ``clickto_*`` names, which mitmproxy would otherwise keep pending silently.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import Any

from mitmproxy import exceptions
from mitmproxy.utils import typecheck

from proxy.hosts import HostPatternError, parse_host_patterns
from proxy.injection import ConfigError, normalize_server, validate_site

# The options' types, as ``load`` declares them and as a config.yaml value must have them.
OPTION_TYPES: dict[str, Any] = {
    "clickto_server": str,
    "clickto_site": str,
    "clickto_only": Sequence[str],
    "clickto_max_bytes": int,
    "clickto_reencode": bool,
}
OPTION_NAMES = tuple(OPTION_TYPES)
_TYPE_WORDS = {
    str: "a string",
    int: "a whole number",
    bool: "true or false",
    Sequence[str]: "a list of host patterns, e.g. [shop.example.com, '*.shop.example.com']",
}


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
    except (TypeError, AttributeError):  # a value of the wrong type that slipped past ``type_error``
        return f"clickto: {name}: {value!r} is not valid here"
    return None


def type_error(name: str, value: Any) -> str | None:
    """One line when ``value`` (e.g. from config.yaml) does not have option ``name``'s type."""
    typespec = OPTION_TYPES.get(name)
    if typespec is None:
        return None
    try:
        typecheck.check_option_type(name, value, typespec)
        if typespec is int and isinstance(value, bool):  # YAML true is no byte count
            raise TypeError(name)
    except TypeError:
        got = f"the string {value!r}" if isinstance(value, str) else f"{value!r} ({type(value).__name__})"
        return f"clickto: {name}: expected {_TYPE_WORDS[typespec]}, got {got}"
    return None


def unknown_option_warnings(options: Any) -> list[str]:
    """Pending ``clickto_*`` values no option of ours takes (``--set clickto_onlyy=...``): mitmproxy
    keeps them silently, and a misspelt ``clickto_only`` would tag every host."""
    warnings = []
    for name in sorted(getattr(options, "deferred", {})):
        if name.startswith("clickto_") and name not in OPTION_TYPES:
            close = difflib.get_close_matches(name, OPTION_NAMES, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            warnings.append(f"clickto: unknown option {name} ignored ({hint}options: {', '.join(OPTION_NAMES)})")
    return warnings


def deferred_option_errors(options: Any) -> list[str]:
    """Errors in the ``clickto_*`` values mitmproxy holds back until our options exist
    (``options.deferred``): ``--set`` strings are converted to the option's type, config.yaml values
    type-checked, then ``option_error``."""
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
        else:
            message = type_error(name, value)
            if message:
                errors.append(message)
                continue
        message = option_error(name, value)
        if message:
            errors.append(message)
    return errors
