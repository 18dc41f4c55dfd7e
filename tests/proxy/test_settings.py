"""Bad ``clickto_*`` values pending in mitmproxy's options (config.yaml, ``--set``): one clear line each."""

from __future__ import annotations

import logging

import pytest
from mitmproxy.test import taddons

from proxy.addon import ClicktoInjector
from proxy.settings import deferred_option_errors, type_error, unknown_option_warnings


def load_with_pending(caplog, **pending) -> list[logging.LogRecord]:
    """Declare the addon's options while ``pending`` values wait in ``options.deferred``, as values
    from config.yaml do; return what the addon logged."""
    with taddons.context() as tctx:
        tctx.options.update_defer(**pending)
        with caplog.at_level(logging.INFO, logger="proxy"):
            try:
                tctx.master.addons.add(ClicktoInjector())
            except TypeError:  # mitmproxy's own (later, lost in mitmdump) complaint about the value
                pass
    return [r for r in caplog.records if r.name.startswith("proxy")]


@pytest.mark.parametrize(
    "pending, line",
    [
        ({"clickto_max_bytes": "abc"}, "clickto: clickto_max_bytes: expected a whole number, got the string 'abc'"),
        ({"clickto_max_bytes": True}, "clickto: clickto_max_bytes: expected a whole number, got True (bool)"),
        ({"clickto_server": 5}, "clickto: clickto_server: expected a string, got 5 (int)"),
        ({"clickto_reencode": "yes"}, "clickto: clickto_reencode: expected true or false, got the string 'yes'"),
        (
            {"clickto_only": "shop.example.com"},
            (
                "clickto: clickto_only: expected a list of host patterns, e.g. [shop.example.com, "
                "'*.shop.example.com'], got the string 'shop.example.com'"
            ),
        ),
        ({"clickto_only": ["ok.example", 5]}, "clickto: clickto_only: expected a list of host patterns"),
        ({"clickto_max_bytes": -1}, "clickto: clickto_max_bytes: -1 must be a positive number of bytes"),
    ],
)
def test_config_yaml_values_of_the_wrong_type_get_one_clear_line(caplog, pending, line):
    records = load_with_pending(caplog, **pending)
    errors = [r.getMessage() for r in records if r.levelname == "ERROR"]
    assert len(errors) == 1 and errors[0].startswith(line) and "\n" not in errors[0]
    assert not any(r.exc_info for r in records)


def test_correct_config_yaml_values_pass():
    with taddons.context() as tctx:
        tctx.options.update_defer(clickto_only=["shop.example"], clickto_max_bytes=1000, clickto_reencode=True)
        assert deferred_option_errors(tctx.options) == []  # before the options exist: nothing to check
        tctx.master.addons.add(ClicktoInjector())
        assert tctx.options.deferred == {}
        assert (tctx.options.clickto_only, tctx.options.clickto_max_bytes) == (["shop.example"], 1000)


def test_type_error_accepts_the_declared_types():
    assert type_error("clickto_only", ("a", "b")) is None
    assert type_error("clickto_max_bytes", 10) is None
    assert type_error("clickto_unknown", object()) is None


def test_misspelt_clickto_options_are_warned_about(caplog):
    records = load_with_pending(caplog, clickto_onlyy=["shop.example"], other_option=1)
    warnings = [r.getMessage() for r in records if r.levelname == "WARNING" and "unknown option" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].startswith("clickto: unknown option clickto_onlyy ignored (did you mean clickto_only?")


def test_no_warning_without_misspelt_options():
    with taddons.context() as tctx:
        tctx.options.update_defer(clickto_site="demo", something_else=1)
        assert unknown_option_warnings(tctx.options) == []
