"""CSP hashes of the inline ``<style>`` blocks the clickto tag and its panel create.

Why: under a policy whose style directive lacks ``'unsafe-inline'`` (``default-src 'self'`` alone is
enough) the browser refuses those blocks and the button and panel render unstyled. The blocks are fixed
strings, so their ``'sha256-...'`` hashes admit exactly them and nothing else. The hashes are computed
from the shipped sources (``sdk/js``) when first needed, never written down, so a CSS change in the
tag cannot silently break them; a block the sources build dynamically cannot be hashed and is an error.
"""

from __future__ import annotations

import ast
import base64
import functools
import hashlib
import importlib.util
import re
from pathlib import Path

TAG_FILE = "clickto.js"
PANEL_FILE = "clickto-panel.js"

_LITERAL = r"'(?:[^'\\\n]|\\.)*'"
# clickto.js: ``....innerHTML = '<style>...' + '...' + '...</style><button ...>';``
_INNER_HTML = re.compile(r"\.innerHTML\s*=\s*(" + _LITERAL + r"(?:\s*\+\s*" + _LITERAL + r")*)\s*;")
_STYLE_ELEMENT = re.compile(r"<style>(.*?)</style>", re.S)
# clickto-panel.js: ``var CSS = ['...', '...'].join('');`` and ``style.textContent = CSS;``
_TEXT_CONTENT = re.compile(r"\b(\w+)\.textContent\s*=\s*(\w+)\s*;")
_JOINED_ARRAY = r"\b(?:var|let|const)\s+{name}\s*=\s*\[((?:\s*" + _LITERAL + r"\s*,?)*)\s*\]\s*\.join\(\s*''\s*\)"


class TagStyleError(RuntimeError):
    """The tag's style blocks could not be found in the shipped sources (moved, or built dynamically)."""


def sdk_js_dir() -> Path:
    """``sdk/js`` of the installed clickto (found without importing the service)."""
    spec = importlib.util.find_spec("sdk")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            if (Path(location) / "js" / TAG_FILE).is_file():
                return Path(location) / "js"
    return Path(__file__).resolve().parents[1] / "sdk" / "js"


def _literals(text: str) -> str:
    """The value of adjacent JS single-quoted string literals (``'a' + 'b'`` or ``'a', 'b'``)."""
    return "".join(ast.literal_eval(m) for m in re.findall(_LITERAL, text))


def tag_style_blocks(source: str) -> list[str]:
    """The contents of the ``<style>`` elements clickto.js writes with ``innerHTML``."""
    blocks = [b for m in _INNER_HTML.finditer(source) for b in _STYLE_ELEMENT.findall(_literals(m.group(1)))]
    if len(blocks) != source.count("<style"):
        raise TagStyleError(f"{TAG_FILE}: a <style> block is not one constant innerHTML string")
    return blocks


def panel_style_blocks(source: str) -> list[str]:
    """The contents of the ``<style>`` elements clickto-panel.js fills with ``textContent``."""
    styles = set(re.findall(r"\b(\w+)\s*=\s*el\(\s*'style'\s*\)", source))
    styles |= set(re.findall(r"\b(\w+)\s*=\s*\w+\.createElement\(\s*'style'\s*\)", source))
    blocks = []
    for element, variable in _TEXT_CONTENT.findall(source):
        if element in styles:
            m = re.search(_JOINED_ARRAY.format(name=re.escape(variable)), source)
            if m is None:
                raise TagStyleError(f"{PANEL_FILE}: {variable} is not a constant array of strings joined with ''")
            blocks.append(_literals(m.group(1)))
    if not styles or len(blocks) != len(styles):
        raise TagStyleError(f"{PANEL_FILE}: every <style> element must get one constant text")
    return blocks


def csp_hash(text: str) -> str:
    """The CSP hash source of an inline block (its text as UTF-8)."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@functools.cache
def style_hashes(folder: Path | None = None) -> tuple[str, ...]:
    """Hash sources of every style block of the tag and the panel; ``TagStyleError`` when one
    cannot be hashed, ``OSError`` when the sources are missing."""
    folder = folder or sdk_js_dir()
    blocks = tag_style_blocks((folder / TAG_FILE).read_text(encoding="utf-8"))
    blocks += panel_style_blocks((folder / PANEL_FILE).read_text(encoding="utf-8"))
    return tuple(dict.fromkeys(csp_hash(block) for block in blocks))
