"""The ``clickto`` entry point: usage, version, and the command names it dispatches to."""

from __future__ import annotations

import pytest

from clickto.cli import COMMANDS, main, resolve


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2
    assert "a command is required" in capsys.readouterr().err


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in COMMANDS)


def test_unknown_command_suggests_the_closest(capsys):
    assert main(["chek"]) == 2
    assert "did you mean 'check'" in capsys.readouterr().err


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("clickto ")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_resolves_to_a_callable_with_help(name, capsys):
    handler = resolve(COMMANDS[name][0])
    assert callable(handler)
    try:
        code = handler(["--help"])
    except SystemExit as exit_info:  # argparse's own --help exits; some entry points return the code instead
        code = exit_info.code
    assert code in (0, None)
    assert "usage:" in capsys.readouterr().out
