"""Identifiers every part agrees on: a site key the proxy writes into the tag is one the service accepts."""

from __future__ import annotations

import re

ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
"""Site keys, session and visitor ids: what the tag generates, with room for a site's own ids; never markup."""

ID_RULE = "1-128 characters of ASCII letters, digits, '_', '.', ':' or '-'"
"""``ID`` in words, for error messages."""
