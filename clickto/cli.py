"""The ``clickto`` console script: it only dispatches to each package's own entry point.

Each entry point is ``main(argv: list[str]) -> int`` with its own argparse, imported lazily so
that ``clickto check`` does not pay for importing mitmproxy or scikit-learn.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("rules.cli:check_main", "validate a rule file; FILE:LINE:COL: message for every problem"),
    "schema": ("rules.cli:schema_main", "print the JSON Schema of rule files (for editors)"),
    "explain": ("rules.cli_explain:explain_main", "print the decision and its reasons for a recorded session"),
    "serve": ("sdk.cli:serve_main", "run the SDK service: tag, events, decisions, presence"),
    "demo": ("demo_shop.cli:main", "run the demo shop with the SDK service and example rules"),
    "proxy": ("proxy.cli:main", "run mitmproxy with the tag-injecting addon"),
    "train": ("rules.intent.cli:train_main", "train the purchase-intent model"),
    "evaluate": ("rules.intent.cli:evaluate_main", "evaluate a trained purchase-intent model"),
}


def usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: clickto COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_text}" for name, (_, help_text) in COMMANDS.items()]
    lines += ["", "Run 'clickto COMMAND --help' for a command's options."]
    return "\n".join(lines)


def resolve(target: str):
    """Import ``module:function`` lazily."""
    module_name, _, func_name = target.partition(":")
    return getattr(importlib.import_module(module_name), func_name)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print(f"clickto: a command is required\n\n{usage()}", file=sys.stderr)
        return 2
    if args[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0
    if args[0] in {"--version", "version"}:
        from clickto import __version__

        print(f"clickto {__version__}")
        return 0
    name = args[0]
    if name not in COMMANDS:
        import difflib

        close = difflib.get_close_matches(name, COMMANDS, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        print(f"clickto: unknown command '{name}'{hint}\n\n{usage()}", file=sys.stderr)
        return 2
    return int(resolve(COMMANDS[name][0])(args[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
