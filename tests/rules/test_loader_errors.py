"""Every error a merchant can get from a rule file, with its exact FILE:LINE:COL and wording."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.loader import check

HEAD = """\
version: 1
channels:
  community: {label: "Ask the community", needs: experts}
  chat: {label: "Chat with us", needs: advisors}
"""
"""Lines 1-4 of most documents below; ``rules:`` is line 5 and the first rule starts on line 6."""


def problems(text: str) -> list[str]:
    return [str(error) for error in check(text)]


def rule(*lines: str) -> str:
    """HEAD plus one rule; ``lines`` are the rule's lines after ``- id: a`` (line 6), indented by four spaces."""
    return HEAD + "rules:\n  - id: a\n" + "".join(f"    {line}\n" for line in lines)


def one(text: str) -> str:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


# -- the file as a whole ------------------------------------------------------------------------------------

def test_a_valid_file_has_no_problems() -> None:
    assert problems(rule("when: {page.type: product}", "show: community")) == []


def test_file_name_leads_every_message(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(rule("when: {page.type: product}", "show: phone"))
    assert [str(error) for error in check(path)] == [
        f"{path}:8:11: unknown channel 'phone' in show (declared channels: community, chat, none)"]
    assert [str(error) for error in check(str(path))] == [str(error) for error in check(path)]


def test_empty_file() -> None:
    assert one("") == "<rules>:1:1: the rule file is empty (start with 'version: 1', then channels and rules)"


def test_file_that_is_not_a_mapping() -> None:
    assert one("- a\n- b\n") == (
        "<rules>:1:1: a rule file must be a mapping of version, channels, scores and rules, got a list")


def test_bad_yaml_is_located() -> None:
    assert one(HEAD + "rules:\n  - id: a\n    when: {page.type: product\n    show: chat\n").startswith(
        "<rules>:8:9: invalid YAML: ")


def test_missing_file_is_one_problem(tmp_path: Path) -> None:
    assert [str(error) for error in check(tmp_path / "nope.yaml")] == [f"{tmp_path / 'nope.yaml'}: no such rule file"]


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"version: 1\n# caf\xe9\n")
    assert [str(error) for error in check(path)] == [f"{path}:2:6: the file is not UTF-8 text (byte 0xe9)"]


def test_unknown_top_level_key_with_did_you_mean_and_the_missing_key() -> None:
    assert problems("version: 1\nchanels:\n  chat: {label: Chat}\nrules: []\n") == [
        "<rules>:1:1: missing 'channels' (the buttons rules can show, e.g. community and chat)",
        "<rules>:2:1: unknown key 'chanels' at the top of the file (did you mean 'channels'?)",
    ]


def test_unknown_top_level_key_without_a_close_match_lists_the_keys() -> None:
    assert one(HEAD + "rules: []\nwhatever: 1\n") == (
        "<rules>:6:1: unknown key 'whatever' at the top of the file "
        "(expected one of: version, channels, segments, scores, rules, or x-* for your own notes)")


def test_x_keys_hold_anchors_and_are_ignored() -> None:
    text = HEAD.replace("version: 1\n", "version: 1\nx-product: &product {page.type: product}\n") + (
        "rules:\n  - id: a\n    when: *product\n    show: chat\n")
    assert problems(text) == []


@pytest.mark.parametrize(("version", "message"), [
    ("2", "version must be 1, got 2"), ("'1'", "version must be 1, got '1' (write 1 without quotes)"),
    ("true", "version must be 1, got true"),
])
def test_version_must_be_1(version: str, message: str) -> None:
    assert one(HEAD.replace("version: 1", f"version: {version}") + "rules: []\n") == f"<rules>:1:10: {message}"


def test_missing_version_and_rules() -> None:
    assert problems(HEAD.replace("version: 1\n", "")) == [
        "<rules>:1:1: missing 'version: 1' (the rule-file format version)",
        "<rules>:1:1: missing 'rules' (the list of rules that decide which button to show)",
    ]


def test_rules_must_be_a_list() -> None:
    assert one(HEAD + "rules: {id: a}\n") == (
        "<rules>:5:8: rules must be a list of rules (each starting with '- id: ...'), got a mapping")


def test_a_rule_must_be_a_mapping() -> None:
    assert one(HEAD + "rules:\n  - advice\n") == "<rules>:6:5: each rule must be a mapping, got 'advice'"


# -- channels ---------------------------------------------------------------------------------------------

def test_channels_must_be_a_mapping() -> None:
    assert one("version: 1\nchannels: [chat]\nrules: []\n") == "<rules>:2:11: channels must be a mapping, got a list"


def test_channels_must_not_be_empty() -> None:
    assert one("version: 1\nchannels: {}\nrules: []\n") == (
        "<rules>:2:11: channels is empty: declare at least one channel, e.g. chat: {label: \"Chat with us\"}")


def test_none_is_a_reserved_channel_name() -> None:
    assert one(HEAD + "  none: {label: Nobody}\nrules: []\n") == (
        "<rules>:5:3: 'none' is reserved (rules use 'show: none' to suppress buttons); pick another channel name")


def test_channel_name_must_be_a_name() -> None:
    assert one(HEAD + "  call me: {label: Call}\nrules: []\n") == (
        "<rules>:5:3: channel name 'call me' must start with a letter and use letters, digits, - or _")


def test_channel_needs_a_label_and_known_keys() -> None:
    assert problems(HEAD.replace('{label: "Chat with us", needs: advisors}', "{needs: advisors, lable: Chat}")
                    + "rules: []\n") == [
        "<rules>:4:3: channel 'chat' is missing 'label'",
        "<rules>:4:27: unknown key 'lable' in channel 'chat' (did you mean 'label'?)",
    ]


def test_channel_label_must_be_text() -> None:
    assert one(HEAD.replace('"Chat with us"', "[Chat]") + "rules: []\n") == (
        "<rules>:4:17: label must be a non-empty text, got a list")


def test_channel_needs_must_be_a_pool_name() -> None:
    assert one(HEAD.replace("needs: advisors", "needs: [advisors]") + "rules: []\n") == (
        "<rules>:4:40: needs must be the name of an availability pool, e.g. experts, got a list")


def test_channel_must_be_a_mapping() -> None:
    assert one(HEAD + "  phone: Call us\nrules: []\n") == "<rules>:5:10: channel 'phone' must be a mapping, got 'Call us'"


# -- rules: keys, types, ids ------------------------------------------------------------------------------

def test_unknown_rule_key_with_did_you_mean() -> None:
    assert one(rule("when: {page.type: product}", "show: chat", "priorty: 5")) == (
        "<rules>:9:5: unknown key 'priorty' in rule 'a' (did you mean 'priority'?)")


def test_unknown_rule_key_without_match_lists_the_keys() -> None:
    assert one(rule("when: {page.type: product}", "show: chat", "colour: red")) == (
        "<rules>:9:5: unknown key 'colour' in rule 'a' (expected one of: id, description, when, show, priority, "
        "cooldown, schedule, holdout)")


def test_missing_when_and_show() -> None:
    assert problems(rule("priority: 1")) == [
        "<rules>:6:5: rule 'a' is missing 'when'",
        "<rules>:6:5: rule 'a' is missing 'show'",
    ]


def test_missing_id_names_the_rule_by_position() -> None:
    assert one(HEAD + "rules:\n  - when: {page.type: product}\n    show: chat\n") == "<rules>:6:5: rule #1 is missing 'id'"


def test_priority_must_be_an_integer() -> None:
    assert one(rule("when: {page.type: product}", "show: chat", "priority: high")) == (
        "<rules>:9:15: priority must be an integer, got 'high'")
    assert one(rule("when: {page.type: product}", "show: chat", "priority: 1.5")) == (
        "<rules>:9:15: priority must be an integer, got 1.5")
    assert one(rule("when: {page.type: product}", "show: chat", 'priority: "5"')) == (
        "<rules>:9:15: priority must be an integer, got '5' (write 5 without quotes)")
    assert one(rule("when: {page.type: product}", "show: chat", "priority: '5.5'")) == (
        "<rules>:9:15: priority must be an integer, got '5.5'")             # without quotes it is no integer either
    assert one(rule("when: {page.type: product}", "show: chat", "priority: 1e3")) == (
        "<rules>:9:15: priority must be an integer, got '1e3' (YAML reads 1e3 as text; write it as 1000)")
    assert one(rule("when: {page.type: product}", "show: chat", "priority: 1e15")) == (
        "<rules>:9:15: priority must be an integer, got '1e15' (YAML reads 1e15 as text; write it as 1000000000000000)")
    assert one(rule("when: {page.type: product}", "show: chat", "priority: nan")) == (
        "<rules>:9:15: priority must be an integer, got 'nan'")


def test_logic_without_dollar_says_what_to_write() -> None:
    assert one(rule("when: {or: [{page.type: cart}]}", "show: chat")) == (
        "<rules>:7:12: unknown fact 'or' (did you mean '$or'?)")


def test_yaml_booleans_get_a_quote_it_hint() -> None:
    assert one(rule("when: {page.type: product}", "show: chat", "priority: yes")) == (
        "<rules>:9:15: priority must be an integer, got true (YAML reads yes as true; quote it: \"yes\")")
    assert one(rule("when: {page.type: product}", "show: no")) == (
        "<rules>:8:11: show must be a channel name or 'none', got false (YAML reads no as false; quote it: \"no\")")


def test_duplicate_rule_ids() -> None:
    text = HEAD + "rules:\n" + "".join(
        f"  - id: {rule_id}\n    when: {{page.type: {page}}}\n    show: chat\n"
        for rule_id, page in (("a", "product"), ("b", "cart"), ("a", "checkout")))
    assert one(text) == "<rules>:12:9: duplicate rule id 'a' (first used at line 6)"


def test_rule_id_must_be_text_without_spaces() -> None:
    assert one(HEAD + "rules:\n  - id: 42\n    when: {}\n    show: chat\n") == (
        "<rules>:6:9: id must be a non-empty text, got 42")
    assert one(HEAD + "rules:\n  - id: my rule\n    when: {}\n    show: chat\n") == (
        "<rules>:6:9: rule id 'my rule' must not contain spaces (e.g. 'my-rule')")


def test_description_must_be_text() -> None:
    assert one(rule("when: {}", "show: chat", "description: [a]")) == "<rules>:9:18: description must be a text, got a list"


def test_unknown_channel_in_show() -> None:
    assert one(rule("when: {page.type: product}", "show: caht")) == (
        "<rules>:8:11: unknown channel 'caht' in show (did you mean 'chat'?)")
    assert one(rule("when: {page.type: product}", "show: phone")) == (
        "<rules>:8:11: unknown channel 'phone' in show (declared channels: community, chat, none)")


def test_when_must_be_a_condition() -> None:
    assert one(rule("when: product", "show: chat")) == (
        "<rules>:7:11: when must be a condition (a mapping of facts to values or operators), got 'product'")


# -- conditions: operators, operands, facts, scores, segments -----------------------------------------------

def test_unknown_operator_points_at_the_operator() -> None:
    assert one(rule("when: {cart.value: {$gtee: 5}}", "show: chat")) == (
        "<rules>:7:25: unknown operator '$gtee' (did you mean '$gte'?)")


def test_invalid_regex_points_at_the_pattern() -> None:
    assert one(rule('when: {page.path: {$regex: "([a-z"}}', "show: chat")) == (
        "<rules>:7:32: invalid regex '([a-z': unterminated character set at position 1")


def test_bad_operand_points_at_the_operand() -> None:
    assert one(rule("when: {cart.value: {$in: 5}}", "show: chat")) == (
        "<rules>:7:30: $in needs a list of values, got a number (5)")


def test_problems_inside_and_or_lists_are_located() -> None:
    text = rule("when:", "  $or:", "    - cart.value: {$gte: 10}", "    - cart.items: {$bigger: 2}", "show: chat")
    assert one(text) == "<rules>:10:24: unknown operator '$bigger'"


def test_unknown_fact_with_did_you_mean() -> None:
    assert one(rule("when: {page.dwel_seconds: {$gte: 15}}", "show: chat")) == (
        "<rules>:7:12: unknown fact 'page.dwel_seconds' (did you mean 'page.dwell_seconds'?)")


def test_unknown_fact_without_a_close_match() -> None:
    assert one(rule("when: {basket: 1}", "show: chat")) == (
        "<rules>:7:12: unknown fact 'basket' (see docs/facts.md; data your site sends goes under custom.*)")


def test_unknown_fact_inside_logical_operators() -> None:
    assert one(rule("when: {$and: [{page.type: product}, {cart.valeu: {$gt: 1}}]}", "show: chat")) == (
        "<rules>:7:42: unknown fact 'cart.valeu' (did you mean 'cart.value'?)")


def test_custom_facts_and_parents_of_facts_are_known() -> None:
    assert problems(rule("when: {custom.customer.tier: gold, session.by_type.product.seconds: {$gte: 20}}",
                         "show: chat")) == []


def test_custom_needs_a_name() -> None:
    assert one(rule("when: {custom: {a: 1}}", "show: chat")) == (
        "<rules>:7:12: name the custom fact after 'custom.', e.g. custom.segment")


def test_unknown_score_with_did_you_mean() -> None:
    text = HEAD + "scores:\n  hesitation:\n    - {when: {cart.items: {$gte: 1}}, add: 10}\n" + (
        "rules:\n  - id: a\n    when: {score.hesitaton: {$gte: 5}}\n    show: chat\n")
    assert one(text) == "<rules>:10:12: unknown score 'score.hesitaton' (did you mean 'score.hesitation'?)"


def test_unknown_score_when_none_are_declared() -> None:
    assert one(rule("when: {score.intent: {$gte: 5}}", "show: chat")) == (
        "<rules>:7:12: unknown score 'score.intent' (no scores are declared)")


def test_segment_not_declared() -> None:
    assert one(rule("when: {custom.customer_id: {$inGroup: vip}}", "show: chat")) == (
        "<rules>:7:43: unknown segment 'vip' (no segments are declared)")


def test_segment_declared_with_a_typo() -> None:
    text = HEAD + "segments:\n  vip: [c1, c2]\n" + (
        "rules:\n  - id: a\n    when: {custom.customer_id: {$inGroup: vpi}}\n    show: chat\n")
    assert one(text) == "<rules>:9:43: unknown segment 'vpi' (did you mean 'vip'?)"


def test_segments_must_be_lists_of_ids() -> None:
    assert problems(HEAD + "segments:\n  vip: c1\n  staff: [a, [b]]\nrules: []\n") == [
        "<rules>:6:8: segment 'vip' must be a list of ids, got 'c1'",
        "<rules>:7:14: members of segment 'staff' must be texts or numbers, got a list",
    ]


# -- cooldown, schedule, holdout ----------------------------------------------------------------------------

def test_cooldown_format() -> None:
    assert one(rule("when: {}", "show: chat", "cooldown: 10 minutes")) == (
        "<rules>:9:15: cooldown must be a duration like 30s, 10m, 2h or 1d, a number of seconds, or 'session' "
        "(once per session), got '10 minutes'")


def test_holdout_range() -> None:
    assert one(rule("when: {}", "show: chat", "holdout: 150")) == (
        "<rules>:9:14: holdout must be between 0 and 100 (a percentage), got 150")


def test_schedule_timezone_days_and_hours() -> None:
    text = rule("when: {}", "show: chat", "schedule:", "  timezone: Europe/Pari", "  days: mon-fry",
                "  hours: 9am-5pm")
    assert problems(text) == [
        "<rules>:10:17: unknown timezone 'Europe/Pari' (did you mean 'Europe/Paris'?)",
        "<rules>:11:13: unknown day 'fry' (use mon, tue, wed, thu, fri, sat, sun or a range like mon-fri)",
        "<rules>:12:14: hours '9am-5pm' must look like 09:00-18:00",
    ]
    text = rule("when: {}", "show: chat", "schedule:", "  timezone: Europe/Paris", "  days: mon-fry")
    assert one(text) == (
        "<rules>:11:13: unknown day 'fry' (use mon, tue, wed, thu, fri, sat, sun or a range like mon-fri)")
    text = rule("when: {}", "show: chat", "schedule:", "  timezone: Europe/Paris", "  hours: [09:00-12:00, 9am-5pm]")
    assert one(text) == "<rules>:11:28: hours '9am-5pm' must look like 09:00-18:00"


def test_schedule_needs_a_timezone_and_known_keys() -> None:
    text = rule("when: {}", "show: chat", "schedule:", "  hours: 09:00-18:00", "  day: mon-fri")
    assert problems(text) == [
        "<rules>:9:5: schedule is missing 'timezone'",
        "<rules>:11:7: unknown key 'day' in schedule (did you mean 'days'?)",
    ]


def test_schedule_must_be_a_mapping() -> None:
    assert one(rule("when: {}", "show: chat", "schedule: business hours")) == (
        "<rules>:9:15: schedule must be a mapping, got 'business hours'")


# -- scores ---------------------------------------------------------------------------------------------------

def scores(*lines: str) -> str:
    return HEAD + "scores:\n" + "".join(f"  {line}\n" for line in lines) + "rules: []\n"


def test_score_terms_need_when_and_a_number() -> None:
    assert problems(scores("hesitation:", "  - when: {cart.items: {$gte: 1}}", "    add: lots",
                           "  - add: 5", "  - {when: {cart.items: 1}, add: 1, points: 2}")) == [
        "<rules>:8:12: add must be a number of points, got 'lots'",
        "<rules>:9:7: a term of score 'hesitation' is missing 'when'",
        "<rules>:10:39: unknown key 'points' in a term of score 'hesitation' (expected one of: when, add, description)",
    ]


def test_score_conditions_are_validated_like_rules() -> None:
    assert one(scores("hesitation:", "  - {when: {page.idle_secs: {$gte: 20}}, add: 50}")) == (
        "<rules>:7:15: unknown fact 'page.idle_secs' (did you mean 'page.idle_seconds'?)")


def test_score_shapes() -> None:
    assert problems(scores("a: 5", "b: []", "c d: [{when: {}, add: 1}]")) == [
        "<rules>:6:6: score 'a' must be a list of {when, add} terms or {model: PATH}, got 5",
        "<rules>:7:6: score 'b' has no terms: add at least one {when: ..., add: POINTS}",
        "<rules>:8:3: score name 'c d' must use letters, digits and _ only (it is used as score.c d)",
    ]


def test_scores_may_read_scores_but_not_in_a_cycle() -> None:
    assert problems(scores("a: [{when: {cart.items: 1}, add: 1}]", "b: [{when: {score.a: 1}, add: 1}]")) == []
    assert problems(scores("a: [{when: {score.c: 1}, add: 1}]", "b: [{when: {score.a: 1}, add: 1}]",
                           "c: [{when: {score.b: {$gt: 0}}, add: 1}]", "d: [{when: {score.d: 1}, add: 1}]")) == [
        "<rules>:6:3: score 'a' depends on itself (a → c → b → a)",
        "<rules>:9:3: score 'd' depends on itself (d → d)",
    ]


def test_model_score_keys() -> None:
    assert problems(scores("intent: {model: models/intent.skops, modle: x}", "other: {file: x}")) == [
        "<rules>:6:40: unknown key 'modle' in score 'intent' (did you mean 'model'?)",
        "<rules>:7:3: score 'other' is missing 'model'",
        "<rules>:7:11: unknown key 'file' in score 'other' (expected one of: model, description)",
    ]


# -- several problems at once --------------------------------------------------------------------------------

def test_every_problem_is_reported_at_once_in_file_order() -> None:
    text = """\
version: 1
channels:
  chat: {label: "Chat with us", needs: advisors}
rules:
  - id: one
    when: {cart.vaule: {$gt: 80}}
    show: caht
    priorty: 10
  - id: two
    when: {page.path: {$regex: "(unclosed"}}
    show: chat
    cooldown: often
  - id: one
    when: {page.type: product}
    show: chat
    holdout: 200
"""
    assert problems(text) == [
        "<rules>:6:12: unknown fact 'cart.vaule' (did you mean 'cart.value'?)",
        "<rules>:7:11: unknown channel 'caht' in show (did you mean 'chat'?)",
        "<rules>:8:5: unknown key 'priorty' in rule 'one' (did you mean 'priority'?)",
        "<rules>:10:32: invalid regex '(unclosed': missing ), unterminated subpattern at position 0",
        "<rules>:12:15: cooldown must be a duration like 30s, 10m, 2h or 1d, a number of seconds, or 'session' "
        "(once per session), got 'often'",
        "<rules>:13:9: duplicate rule id 'one' (first used at line 5)",
        "<rules>:16:14: holdout must be between 0 and 100 (a percentage), got 200",
    ]


def test_descriptions_must_be_text_everywhere() -> None:
    assert problems(scores("a: [{when: {}, add: 1, description: [x]}]", "b: {model: m, description: 5}")) == [
        "<rules>:6:39: description must be a text, got a list",
        "<rules>:7:30: description must be a text, got 5",
    ]


def test_empty_sections_are_allowed() -> None:
    assert problems(HEAD + "segments:\nscores:\nrules:\n") == []


def test_unreadable_paths_are_problems_not_crashes(tmp_path: Path) -> None:
    assert [str(error) for error in check("bad\x00name.yaml")] == [
        "'bad\\x00name.yaml': cannot read rule file: embedded null byte"]
    assert [str(error) for error in check(tmp_path)] == [f"{tmp_path}: is a folder, not a rule file"]


def test_bom_and_windows_line_endings_keep_positions(tmp_path: Path) -> None:
    path = tmp_path / "windows.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + rule("when: {cart.valu: 1}", "show: chat").replace("\n", "\r\n").encode())
    assert [str(error) for error in check(path)] == [
        f"{path}:7:12: unknown fact 'cart.valu' (did you mean 'cart.value'?)"]


def test_a_broken_declaration_is_reported_once_not_again_where_it_is_used() -> None:
    text = HEAD.replace('{label: "Chat with us", needs: advisors}', "{needs: advisors}") + (
        "segments:\n  vip: c1\nrules:\n"
        "  - id: a\n    when: {custom.id: {$inGroup: vip}}\n    show: chat\n"
        "  - id: b\n    when: {custom.id: {$inGroup: vip}, cart.items: 1}\n    show: chat\n")
    assert problems(text) == [
        "<rules>:4:3: channel 'chat' is missing 'label'",
        "<rules>:6:8: segment 'vip' must be a list of ids, got 'c1'",
    ]


def test_base_60_numbers_are_explained() -> None:
    assert one(rule("when: {}", "show: chat", "cooldown: 1:30")) == (
        "<rules>:9:15: cooldown 1:30 is ambiguous: write it as a duration like 90s or 1m30s")
    assert one(rule("when: {}", "show: chat", "schedule: {timezone: UTC, hours: [9:00]}")) == (
        "<rules>:9:39: hours must be a range like \"09:00-18:00\" or a list of such, got 540 "
        "(YAML reads 9:00 as the number 540; quote it: \"9:00\")")
