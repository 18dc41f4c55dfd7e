"""YAML parsing with positions: every node's line/column, and located errors for what YAML alone gets wrong."""

from __future__ import annotations

import pytest

from rules.errors import RuleError
from rules.loader import check
from rules.yaml_marks import Spot, parse_yaml


def error_of(text: str) -> str:
    with pytest.raises(RuleError) as caught:
        parse_yaml(text)
    return str(caught.value)


def test_values_are_plain_and_every_path_has_its_spot() -> None:
    document = parse_yaml("version: 1\nrules:\n  - id: a\n    when: {page.type: product}\n")
    assert document.value == {"version": 1, "rules": [{"id": "a", "when": {"page.type": "product"}}]}
    assert document.spots[("version",)] == Spot(1, 10, 1, 1, "1")
    assert document.at_key(("rules", 0, "when", "page.type")) == (4, 12)
    assert document.at_value(("rules", 0, "when", "page.type")) == (4, 23)
    assert document.at_value(("rules", 0)) == (3, 5)
    assert document.at_key(("rules", 0)) == (3, 5)      # a list item has no key: its value


def test_spot_of_a_missing_path_is_its_nearest_ancestor() -> None:
    document = parse_yaml("a:\n  b: 1\n")
    assert document.at_value(("a", "missing", 3)) == (2, 3)
    assert document.at_value(("nothing",)) == (1, 1)


def test_keys_stay_the_text_written_and_dates_stay_text() -> None:
    document = parse_yaml("on: 2024-01-01\n1: yes\nnull: ~\n")
    assert document.value == {"on": "2024-01-01", "1": True, "null": None}
    assert document.raw(("1",)) == "yes"


def test_empty_document_is_none() -> None:
    assert parse_yaml("").value is None
    assert parse_yaml("# only a comment\n").value is None


def test_syntax_error_points_at_the_problem_and_says_what_to_do() -> None:
    assert error_of("a: 1\nb: c: d\n") == ("<rules>:2:5: invalid YAML: mapping values are not allowed here; a value "
                                         "containing ': ' must be quoted, e.g. description: \"Note: VIPs only\"")


QUOTE_VALUES = "; inside {...} or [...], quote values containing : , [ ] { } or # (e.g. a regex: {$regex: \"^/p/[0-9]+\"})"
MISMATCHED = "; a [ is closed with }: close each bracket with its own kind"


def missing_comma(line: int) -> str:
    return f"; a ',' is missing before this key, or the {{ opened on line {line} is never closed"


def test_unclosed_flow_sequence_names_where_it_started() -> None:
    assert error_of("a: 1\nb: [1, 2\n") == (
        "<rules>:3:1: invalid YAML: expected ',' or ']', but got '<stream end>' "
        "(while parsing a flow sequence at line 2); the [ opened on line 2 is never closed")


@pytest.mark.parametrize(("text", "ending"), [
    ("rules:\n  - when: {page.type: product\n    show: chat\n",
     "(while parsing a flow mapping at line 2)" + missing_comma(2)),
    # a valid multi-line {...} with an unquoted ': ' inside is no unclosed bracket, nor a [ closed later with }
    ("when: {\n  page.type: product,\n  page.title: Sale: now\n}\n", QUOTE_VALUES),
    ("rules:\n  - id: a\n    when: {page.type: product,\n    page.title: Sale: now}\n", QUOTE_VALUES),
    ("rules:\n  - when: {page.type: product\n        show: chat\n", missing_comma(2)),
    ("rules:\n  - when: {page.type: {$in: [product, cart]}\n    show: chat\n", missing_comma(2)),   # stopped at 'show'
    ("when: {\n  page.type: product\n  cart.value: {$gt: 100}\n}\n", missing_comma(1)),
    ("when:\n  page.type: {$in: [\n    product,\n    cart}}\n", MISMATCHED),
    ("when: {page.type: {$in: [cameras, fishing}}\n", MISMATCHED),
    ("when: {page.path: {$regex: ^/p/[0-9]+}}\n", QUOTE_VALUES),
])
def test_bracket_mistakes_say_what_to_do(text: str, ending: str) -> None:
    assert error_of(text).endswith(ending)


def test_indentation_mistakes_say_what_to_do() -> None:
    assert error_of("rules:\n  - id: a\n    when: {}\n     show: chat\n").endswith(
        "; check the indentation of this line against the lines above: keys of one mapping, and the '- ' of one "
        "list, start in the same column")


def test_tab_indentation_says_to_use_spaces() -> None:
    message = error_of("a:\n  b: 1\n\tc: 2\n")
    assert message.startswith("<rules>:3:1: invalid YAML: found character '\\t' that cannot start any token")
    assert message.endswith("; indent with spaces, not tabs")


def test_control_character_is_located() -> None:
    assert error_of("a: 1\nb: x\x00y\n") == (
        "<rules>:2:5: invalid YAML: special characters are not allowed (found character #x0000)")


def test_duplicate_key_is_recorded_at_the_second_and_the_first_value_kept() -> None:
    document = parse_yaml("a: 1\nb:\n  c: 1\n  c: [2, {d: 3}]\n  e: 4\n")
    assert document.problems == [(4, 3, "duplicate key 'c' (first defined at line 3)")]
    assert document.value == {"a": 1, "b": {"c": 1, "e": 4}}
    assert document.at_value(("b", "c")) == (3, 6)


def test_a_duplicate_key_does_not_hide_the_other_problems_of_the_file() -> None:
    text = ("version: 1\n"
            "channels:\n"
            "  chat: {label: \"Chat\"}\n"
            "rules:\n"
            "  - id: a\n"
            "    when: {page.type: product}\n"
            "    show: chat\n"
            "    priority: 1\n"
            "    priority: 2\n"
            "  - id: b\n"
            "    when: {cart.vaule: 3}\n"
            "    show: caht\n")
    assert [str(error) for error in check(text)] == [
        "<rules>:9:5: duplicate key 'priority' (first defined at line 8)",
        "<rules>:11:12: unknown fact 'cart.vaule' (did you mean 'cart.value'?)",
        "<rules>:12:11: unknown channel 'caht' in show (did you mean 'chat'?)",
    ]


def test_a_duplicate_key_alone_still_fails_the_file() -> None:
    text = "version: 1\nchannels: {chat: {label: Chat}}\nrules: []\nrules: [{id: a, when: {}, show: chat}]\n"
    assert [str(error) for error in check(text)] == ["<rules>:4:1: duplicate key 'rules' (first defined at line 3)"]


def test_python_tags_are_refused_without_running_anything() -> None:
    assert error_of("a: !!python/object/apply:os.system [echo hi]\n") == (
        "<rules>:1:4: unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' "
        "(use plain values: text, numbers, true/false, lists, mappings)")


def test_custom_tag_on_a_mapping_is_refused() -> None:
    assert error_of("a: !thing {b: 1}\n") == (
        "<rules>:1:4: unsupported YAML tag '!thing' (use plain values: text, numbers, true/false, lists, mappings)")


def test_binary_scalars_are_refused() -> None:
    assert error_of("a: !!binary aGVsbG8=\n").startswith("<rules>:1:4: unsupported YAML tag 'tag:yaml.org,2002:binary'")


def test_anchors_and_merge_keys_work_and_explicit_keys_win() -> None:
    document = parse_yaml("base: &base {label: A, needs: experts}\nchat:\n  <<: *base\n  label: B\n")
    assert document.value["chat"] == {"needs": "experts", "label": "B"}


def test_merge_of_a_list_of_mappings() -> None:
    document = parse_yaml("x: &x {a: 1}\ny: &y {a: 2, b: 2}\nz:\n  <<: [*x, *y]\n")
    assert document.value["z"] == {"a": 1, "b": 2}


def test_merge_of_a_scalar_is_refused() -> None:
    assert error_of("x: &x 1\nz:\n  <<: *x\n") == "<rules>:1:4: '<<' merges only mappings"


def test_recursive_alias_is_refused() -> None:
    assert error_of("a: &x [1, *x]\n") == "<rules>:1:4: an alias refers to itself (recursive anchors are not supported)"


def test_complex_keys_are_refused() -> None:
    assert error_of("? [a, b]\n: 1\n") == "<rules>:1:3: a key must be plain text, not a list or mapping"


def test_several_documents_are_refused() -> None:
    assert error_of("a: 1\n---\nb: 2\n") == (
        "<rules>:2:1: invalid YAML: expected a single document in the stream, but found another document")


def test_very_deep_nesting_is_an_error_not_a_crash() -> None:
    assert "nested too deeply" in error_of("[" * 3000 + "]" * 3000)
    assert "nested too deeply" in error_of("a: " + "[" * 300 + "]" * 300)


def test_alias_bombs_are_refused_quickly() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        previous = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    message = error_of("\n".join(lines) + "\n")
    assert "the document is too large (more than 50000 values once aliases are expanded): a rule file holds" in message


def test_lone_surrogates_are_an_error_not_a_crash() -> None:
    assert error_of("a: \ud800\n") == "<rules>:1:4: invalid YAML: special characters are not allowed (found character #xd800)"


def test_deep_block_nesting_is_refused_without_crashing_the_process() -> None:
    """libyaml's composer recurses in C: 50 000 nested '- ' used to kill Python with a segmentation fault."""
    import subprocess
    import sys

    code = ("from rules.loader import check\n"
            "print(check('- ' * 50000 + 'x\\n')[0])\n"
            "print(check('a:\\n' + ''.join(' ' * i + 'a:\\n' for i in range(1, 400)))[0])\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["<rules>:1:401: the document is nested too deeply",
                                          "<rules>:201:201: the document is nested too deeply"]
