"""The tag's style hashes come from the shipped sources, and a change there cannot go unnoticed."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from proxy import tagstyles
from proxy.tagstyles import TagStyleError, csp_hash, panel_style_blocks, sdk_js_dir, style_hashes, tag_style_blocks


def test_shipped_sources_yield_one_block_each_with_their_hashes():
    folder = sdk_js_dir()
    tag = (folder / "clickto.js").read_text()
    panel = (folder / "clickto-panel.js").read_text()
    (button_css,) = tag_style_blocks(tag)
    (panel_css,) = panel_style_blocks(panel)
    assert button_css.startswith("button{") and "[data-clickto-button=chat]" in button_css
    assert panel_css.startswith(":host{") and ".dialog{" in panel_css
    assert style_hashes() == (csp_hash(button_css), csp_hash(panel_css))


def test_hash_is_the_csp_sha256_of_the_utf8_text():
    digest = base64.b64encode(hashlib.sha256("a{}é".encode()).digest()).decode()
    assert csp_hash("a{}é") == f"'sha256-{digest}'"


def test_concatenated_and_escaped_literals_are_joined():
    source = r"""x.innerHTML = '<style>a{content:\'x\'}' +
      'b{}</style><button>';"""
    assert tag_style_blocks(source) == ["a{content:'x'}b{}"]


@pytest.mark.parametrize(
    "source",
    [
        "x.innerHTML = '<style>a{color:' + colour + '}</style>';",  # built from a variable
        "x.innerHTML = `<style>a{}</style>`;",
    ],
)
def test_dynamic_tag_styles_are_an_error(source):
    with pytest.raises(TagStyleError):
        tag_style_blocks(source)


@pytest.mark.parametrize(
    "source",
    [
        "var CSS = 'a{}' + x; var s = el('style'); s.textContent = CSS;",
        "var s = d.createElement('style'); s.textContent = make();",
        "var CSS = ['a{}'].join(''); var s = el('div'); s.textContent = CSS;",  # no style element at all
    ],
)
def test_dynamic_panel_styles_are_an_error(source):
    with pytest.raises(TagStyleError):
        panel_style_blocks(source)


def test_missing_sources_are_reported_and_the_addon_goes_on_without_hashes(tmp_path, monkeypatch, caplog):
    from proxy.addon import tag_style_hashes

    monkeypatch.setattr("proxy.addon.style_hashes", lambda: tagstyles.style_hashes.__wrapped__(tmp_path))
    assert tag_style_hashes() == ()
    assert "cannot be admitted by CSP hashes" in caplog.text


def test_the_hashes_printed_in_the_sdk_docs_are_the_current_ones():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "sdk.md").read_text()
    for source_hash in style_hashes():
        assert source_hash in docs, f"docs/sdk.md lists stale style hashes; put {source_hash} there"
