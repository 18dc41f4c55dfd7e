"""``clickto serve``: check the rules, print the tag to embed, run the service under uvicorn."""

from __future__ import annotations

import argparse
import logging
import math
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

from clickto.ports import display_host, port_problem, port_range_problem
from sdk.config import check_site_key, normalize_origin

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def parse_site(text: str) -> tuple[str, list[str]]:
    """``KEY`` or ``KEY=ORIGIN,ORIGIN``."""
    key, _, origins = text.partition("=")
    if not key.strip():
        raise argparse.ArgumentTypeError(f"--site needs KEY[=ORIGIN,...], got '{text}'")
    try:   # checked here too, so a bad --site is a usage error before anything else is looked at
        check_site_key(key.strip())
        listed = [normalize_origin(origin) for origin in origins.split(",") if origin.strip()]
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return key.strip(), listed


def positive(kind: type) -> Callable[[str], float]:
    """An argparse type: a finite number above zero (``nan`` and ``inf`` are floats too)."""
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"'{text}' is not {what}") from None
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"must be a finite number above 0, got '{text}'")
        return value
    return parse


def parse_online(text: str) -> list[tuple[str, str]]:
    """``experts=ana,advisors=ben`` (repeat a pool for several people: ``experts=ana,experts=carl``)."""
    pairs = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        pool, sep, person = item.partition("=")
        if not sep or not pool or not person:
            raise argparse.ArgumentTypeError(f"--online needs POOL=PERSON[,POOL=PERSON...], got '{item}'")
        pairs.append((pool, person))
    return pairs


def parse_person_token(text: str) -> tuple[str, str, str]:
    """``POOL:PERSON=TOKEN``."""
    who, sep, token = text.partition("=")
    pool, colon, person = who.partition(":")
    if not sep or not colon or not pool or not person or not token:
        raise argparse.ArgumentTypeError(f"--person-token needs POOL:PERSON=TOKEN, got '{text}'")
    return pool, person, token


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clickto serve",
        description="Run the SDK service: the tag at /clickto.js, events in, decisions out (response and SSE), "
                    "presence, conversations. See docs/service.md.")
    parser.add_argument("--rules", required=True, type=Path, metavar="FILE", help="rule file (hot-reloaded)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8001, help="port (default 8001)")
    parser.add_argument("--site", action="append", type=parse_site, metavar="KEY[=ORIGIN,...]",
                        help="a site key and the page origins allowed to call the service (repeatable; "
                             "default: 'demo', same origin only)")
    parser.add_argument("--admin-token", default=os.environ.get("CLICKTO_ADMIN_TOKEN"),
                        help="admin token of every site (default: $CLICKTO_ADMIN_TOKEN, else a random one)")
    parser.add_argument("--online", action="append", type=parse_online, default=[], metavar="POOL=PERSON,...",
                        help="people online at start, on every site (e.g. experts=ana,advisors=ben)")
    parser.add_argument("--person-token", action="append", type=parse_person_token, default=[],
                        metavar="POOL:PERSON=TOKEN", help="a token that may only switch that person (repeatable)")
    parser.add_argument("--session-ttl", type=positive(float), default=1800.0, metavar="SECONDS",
                        help="seconds before an idle session is dropped (default 1800)")
    parser.add_argument("--max-sessions", type=positive(int), default=100_000, metavar="N",
                        help="live sessions kept in memory (LRU, default 100000)")
    parser.add_argument("--export-dir", type=Path, metavar="DIR",
                        help="append every finished session to DIR/SITE.csv as a training row for "
                             "`clickto train --data` (see docs/intent.md)")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    return parser


def serve_main(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        problem = port_range_problem(args.port)
        if problem:
            parser.error(problem)
    except SystemExit as exit_:
        return int(exit_.code or 0)

    import rules

    if not args.rules.is_file():
        print(f"clickto serve: {args.rules}: no such rule file", file=sys.stderr)
        return EXIT_USAGE
    problems = rules.check(args.rules)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"clickto serve: {args.rules}: {len(problems)} problem(s); not starting", file=sys.stderr)
        return EXIT_PROBLEMS

    import uvicorn

    from sdk import create_app
    from sdk.config import PersonToken, ServiceConfig, SiteConfig

    generated = not args.admin_token
    token = args.admin_token or secrets.token_urlsafe(24)
    people = {person_token: PersonToken(pool, person) for pool, person, person_token in args.person_token}
    online: dict[str, list[str]] = {}
    for pairs in args.online:
        for pool, person in pairs:
            online.setdefault(pool, []).append(person)
    try:
        sites = [SiteConfig(key, origins, token, dict(people)) for key, origins in (args.site or [("demo", [])])]
        config = ServiceConfig(rules_path=args.rules, sites=sites, presence={site.key: online for site in sites},
                               session_ttl=args.session_ttl, max_sessions=args.max_sessions,
                               export_dir=args.export_dir)
        app = create_app(config)
    except (ValueError, FileNotFoundError) as error:
        print(f"clickto serve: {error}", file=sys.stderr)
        return EXIT_USAGE
    known = app.state.presence.pools(sites[0].key)   # the same pools on every site (rules and --online)
    needed = app.state.rules.ruleset.pools
    for pool, person in (pair for pairs in args.online for pair in pairs):   # kept: a reload may name the pool
        if pool not in needed:
            from rules.loader import did_you_mean

            close = did_you_mean(pool, needed)
            print(f"clickto serve: warning: --online {pool}={person}: no channel of the rules needs pool '{pool}'"
                  + (f" (did you mean '{close}'?)" if close else f" (they need: {', '.join(needed) or 'none'})")
                  + "; nobody there answers a button until the rules name it", file=sys.stderr)
    for pool, person, _ in args.person_token:   # a pool nobody can switch makes a token that always fails
        if pool not in known:
            print(f"clickto serve: --person-token {pool}:{person}: no pool '{pool}' (the rules' channels need: "
                  f"{', '.join(known) or 'none'}; --online adds more)", file=sys.stderr)
            return EXIT_USAGE

    problem = port_problem(args.host, args.port)
    if problem:
        print(f"clickto serve: {problem}", file=sys.stderr)
        return EXIT_PROBLEMS

    base = f"http://{display_host(args.host)}:{args.port}"
    print("clickto service ready. Embed on every page:")
    for site in sites:
        print(f'  <script src="{base}/clickto.js" data-site="{site.key}" async></script>')
        print(f"  site '{site.key}' accepts pages from: {', '.join(site.origins) or 'the same origin only'}")
    print(f"admin token{' (generated)' if generated else ''}: {token}")
    if args.export_dir:
        print(f"finished sessions are appended to {args.export_dir}/SITE.csv "
              f"(also: curl -H 'Authorization: Bearer {token}' {base}/v1/sites/SITE/training-rows)")
    pool = (known or ["experts"])[0]
    query = f"?site={sites[0].key}" if len(sites) > 1 else ""   # the admin token serves every site: name one
    print(f"  curl -X PUT '{base}/v1/presence{query}' -H 'Authorization: Bearer {token}' "
          f"-H 'Content-Type: application/json' -d '{{\"pool\": \"{pool}\", \"person\": \"ana\", \"online\": true}}'")
    sys.stdout.flush()
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, timeout_graceful_shutdown=3)
    except SystemExit as exit_:   # uvicorn exits when it cannot start (it has logged why)
        if exit_.code:
            print(f"clickto serve: the service could not start on {args.host}:{args.port} (see above)",
                  file=sys.stderr)
            return EXIT_PROBLEMS
    return EXIT_OK
