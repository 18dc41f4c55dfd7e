"""``clickto check`` (validate rule files, every problem as FILE:LINE:COL) and ``clickto schema`` (for editors).

Exit codes of ``check``: 0 every file is valid, 1 a file has problems, 2 a file is missing or unreadable
(or the command line is wrong), so CI can tell "fix your rules" from "wrong path".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def check_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="clickto check",
        description="Validate rule files; print every problem as FILE:LINE:COL: message.",
        epilog="Exit status: 0 valid, 1 problems found, 2 missing or unreadable file.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="rule file(s) to check (YAML)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print problems only, not the 'ok' lines")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)

    from rules.loader import analyse

    status = EXIT_OK
    for name in args.files:
        path = Path(name)
        if not path.exists():
            print(f"clickto check: {name}: no such file", file=sys.stderr)
            status = EXIT_USAGE
            continue
        if path.is_dir():
            print(f"clickto check: {name}: is a folder, not a rule file", file=sys.stderr)
            status = EXIT_USAGE
            continue
        analysis = analyse(path)
        problems = analysis.errors
        if len(problems) == 1 and problems[0].line is None:     # the file could not be read at all
            print(f"clickto check: {problems[0]}", file=sys.stderr)
            status = EXIT_USAGE
            continue
        if problems:
            for problem in problems:
                print(problem, file=sys.stderr)
            count = len(problems)
            print(f"{name}: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
            status = max(status, EXIT_PROBLEMS)
            continue
        if not args.quiet:
            assert analysis.rule_file is not None
            rules, scores = len(analysis.rule_file.rules), len(analysis.rule_file.scores)
            print(f"{name}: ok ({rules} rule{'s' if rules != 1 else ''}, {scores} score{'s' if scores != 1 else ''})")
    return status


def schema_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="clickto schema",
        description="Print the JSON Schema of rule files (draft 2020-12), for editors' autocompletion. "
                    "In a rule file: '# yaml-language-server: $schema=PATH' on the first line.",
    )
    parser.add_argument("--out", metavar="FILE", help="write the schema to FILE instead of standard output")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)

    from rules.schema import schema_json

    text = schema_json()
    if args.out is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        Path(args.out).write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"clickto schema: cannot write {args.out}: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {args.out}", file=sys.stderr)
    return EXIT_OK
