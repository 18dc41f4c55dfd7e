"""Version strings made comparable as plain strings, exactly as GrowthBook's ``paddedVersionString`` does.

Why: ``$vgt: "1.10.0"`` must mean the same here as in a GrowthBook audience, so the padding rules are
copied, not improved: strip a leading ``v`` and ``+build`` metadata, split on ``.`` and ``-``, add ``~``
to a plain three-part version (so ``1.0.0`` sorts after ``1.0.0-beta``), and right-align numeric parts
in five columns (so ``" 9" < "10"``). Numbers are first written the way JavaScript's ``String(n)`` does.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

_STRIP = re.compile(r"(^v|\+.*$)")
_SPLIT = re.compile(r"[-.]")


def js_number_to_string(value: int | float) -> str:
    """``String(value)`` in JavaScript: shortest round-trip digits, fixed notation for exponents -6..21."""
    try:
        x = float(value)
    except OverflowError:
        x = math.inf if value > 0 else -math.inf
    if math.isnan(x):
        return "NaN"
    if x == 0:
        return "0"
    if x < 0:
        return "-" + js_number_to_string(-x)
    if math.isinf(x):
        return "Infinity"
    mantissa, _, exponent = repr(x).partition("e")
    whole, _, fraction = mantissa.partition(".")
    padded = (whole + fraction).lstrip("0")
    digits = padded.rstrip("0")
    k = len(digits)
    n = int(exponent or "0") - len(fraction) + len(padded)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return head + "e" + ("+" if n > 0 else "-") + str(abs(n - 1))


def padded_version(value: Any) -> str:
    """The comparable form of a version given as a string or a number (anything else counts as ``"0"``)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = js_number_to_string(value)
    if not value or not isinstance(value, str):
        value = "0"
    return padded_string(value)


@lru_cache(maxsize=4096)
def padded_string(text: str) -> str:
    """``padded_version`` of a non-empty string (cached: facts repeat the same few versions)."""
    parts = _SPLIT.split(_STRIP.sub("", text))
    if len(parts) == 3:
        parts.append("~")
    return "-".join(part.rjust(5, " ") if part.isdigit() else part for part in parts)
