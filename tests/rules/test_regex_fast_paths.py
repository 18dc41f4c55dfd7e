"""The compiler's shortcuts for plain-word regexes must find exactly what ``re.search`` finds."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import compile_condition

WORDS = ["sale", "outlet", "SALE", "k", "s", "Ab_9"]
# text mixing ASCII with characters whose Unicode case folding differs from str.lower (Kelvin sign, long s, ...)
TEXT = st.text(alphabet=st.sampled_from(list("saleOUTLEtkKbA_9 -") + ["\u212a", "\u017f", "\u0130", "\u0131", "é"]),
               max_size=12)


@pytest.mark.parametrize("operator, flags", [("$regex", 0), ("$regexi", re.IGNORECASE)])
@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3), text=TEXT)
def test_word_alternations_agree_with_re_search(operator, flags, words, text):
    pattern = "|".join(words)
    test = compile_condition({"page.title": {operator: pattern}})
    assert test({"page": {"title": text}}) == (re.search(pattern, text, flags) is not None)


@pytest.mark.parametrize("pattern, text, expected", [
    ("sale|outlet", "Trail shoes - SALE", True),
    ("sale|outlet", "Outlet corner", True),
    ("sale|outlet", "Payment", False),
    ("k", "\u212a", True),          # the Kelvin sign folds to k under re.IGNORECASE; str.lower would say no
    ("s", "\u017f", True),          # so does the long s
])
def test_regexi_word_alternation_examples(pattern, text, expected):
    assert compile_condition({"t": {"$regexi": pattern}})({"t": text}) is expected


def test_regexi_on_non_strings_never_holds():
    test = compile_condition({"t": {"$regexi": "sale|outlet"}})
    assert [test({"t": value}) for value in (None, 5, ["sale"], {"a": "sale"})] == [False] * 4
    assert test({}) is False
