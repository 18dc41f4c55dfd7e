"""Rule file → validated ``RuleFile`` → ``RuleSet``, reporting every problem at once as ``FILE:LINE:COL``.

The only I/O in the engine: reading the file named in ``load``/``check``/``parse`` (and, through the
model loader, a learned score's model file). Everything else is validation against the shape in
``rules.model`` with messages a merchant can act on: what is wrong, where, and what would be right.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rules import loader_formats as formats
from rules.errors import RuleError, RuleErrors
from rules.condition_facts import fact_operand_problems, hour_hint, number_text_hint
from rules.facts import FACTS, Fact, catalogued, is_known_fact
from rules.model import Channel, Rule, RuleFile, Schedule, ScoreDef, ScoreTerm
from rules.yaml_marks import Document, parse_yaml

if TYPE_CHECKING:
    from rules.ruleset import RuleSet

ModelLoader = Callable[[Path], object]
DocPath = tuple[str | int, ...]

TOP_KEYS = ("version", "channels", "segments", "scores", "rules")
CHANNEL_KEYS = ("label", "needs")
TERM_KEYS = ("when", "add", "description")
MODEL_KEYS = ("model", "description")
RULE_KEYS = ("id", "description", "when", "show", "priority", "cooldown", "schedule", "holdout")
SCHEDULE_KEYS = ("timezone", "days", "hours")
NONE = "none"
EXTENSION_PREFIX = "x-"   # top-level keys for the merchant's own use (YAML anchors, notes); ignored

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_SCORE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_YAML_SURPRISING_NUMBER = re.compile(r"[-+]?(?:0[0-7]+|0x[0-9a-fA-F_]+|0b[01_]+|[0-9][0-9_]*_[0-9_.]*)")
"""Numbers YAML 1.1 reads differently from how they look: octal 0123 (83), hex, binary, digits with underscores."""
_LOGICAL = ("$and", "$or", "$nor")
_KEY_PROBLEMS = ("unknown operator", "'", "GrowthBook's", "empty fact name", "fact name ", "$elemMatch mixes",
                 "condition keys")
"""Beginnings of ``condition_problems`` messages about a key (not its value): they point at the key."""


# ---------------------------------------------------------------------------------------------- public API


def load(path_or_text: str | os.PathLike[str], *, model_loader: ModelLoader | None = None) -> "RuleSet":
    """Load a rule file (a path, or YAML text) into a working ``RuleSet``; raise ``RuleErrors`` with every problem."""
    result = analyse(path_or_text, model_loader, build=True)
    if result.errors:
        raise RuleErrors(result.errors)
    assert result.ruleset is not None
    return result.ruleset


def check(path_or_text: str | os.PathLike[str], *, model_loader: ModelLoader | None = None) -> list[RuleError]:
    """Every problem ``load`` would raise, as a list (empty when the file is valid)."""
    return analyse(path_or_text, model_loader, build=True).errors


def parse(path_or_text: str | os.PathLike[str]) -> RuleFile:
    """The validated ``RuleFile`` (no models loaded, no rule set built); raise ``RuleErrors`` with every problem."""
    result = analyse(path_or_text, None, build=False)
    if result.errors:
        raise RuleErrors(result.errors)
    assert result.rule_file is not None
    return result.rule_file


def looks_like_text(value: str) -> bool:
    """A ``str`` is YAML text (not a path) when it has a newline or starts like YAML (``key:``, ``{``, ``#``)."""
    if "\n" in value or not value.strip():
        return True
    stripped = value.lstrip()
    return stripped.startswith(("{", "[", "#", "---", "%")) or re.match(r"[\w.$-]+\s*:(\s|$)", stripped) is not None


# ---------------------------------------------------------------------------------------------- orchestration


@dataclass
class Analysis:
    """What loading found: the problems (empty when valid), the validated file, the built rule set."""

    errors: list[RuleError] = field(default_factory=list)
    rule_file: RuleFile | None = None
    ruleset: "RuleSet | None" = None


def analyse(path_or_text: str | os.PathLike[str], model_loader: ModelLoader | None = None, *,
            build: bool = True) -> Analysis:
    """Read, validate and (with ``build``) load models and build the rule set, collecting every problem."""
    source = _read(path_or_text)
    if isinstance(source, RuleError):
        return Analysis([source])
    text, file, base_dir = source
    try:
        document = parse_yaml(text)
    except RuleError as error:
        return Analysis([error.located(file, error.line, error.col)])
    validator = _Validator(document, file, base_dir)
    rule_file = validator.validate()
    if not build:
        return Analysis(validator.errors(), rule_file)
    # models are loaded even when the file has other problems, so that all of them are reported in one run
    models = _load_models(validator, validator.score_defs, model_loader)
    if validator.problems or rule_file is None:
        return Analysis(validator.errors(), rule_file)
    from rules.ruleset import RuleSet

    try:
        ruleset = RuleSet(rule_file, score_models=models)
    except RuleErrors as errors:
        return Analysis([_place(error, file) for error in errors.errors], rule_file)
    except RuleError as error:
        return Analysis([_place(error, file)], rule_file)
    return Analysis([], rule_file, ruleset)


def _place(error: RuleError, file: str | None) -> RuleError:
    return error.located(file, error.line if error.line is not None else 1, error.col if error.col is not None else 1)


def _read(path_or_text: str | os.PathLike[str]) -> tuple[str, str | None, Path] | RuleError:
    """(text, file name for messages, folder that relative model paths start from), or the reading problem.

    Model paths in YAML text given directly (not a file) are relative to the current folder.
    """
    if isinstance(path_or_text, str) and looks_like_text(path_or_text):
        return path_or_text, None, Path.cwd()
    path = Path(path_or_text)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return RuleError("no such rule file", file=str(path))
    except IsADirectoryError:
        return RuleError("is a folder, not a rule file", file=str(path))
    except OSError as error:
        return RuleError(f"cannot read rule file: {error.strerror or error}", file=str(path))
    except ValueError as error:      # e.g. a NUL character in the path
        return RuleError(f"cannot read rule file: {error}", file=repr(str(path)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        return RuleError(f"the file is not UTF-8 text (byte 0x{data[error.start]:02x})", file=str(path), line=line, col=col)
    return text, str(path), path.resolve().parent


def _default_model_loader(path: Path) -> object:
    from rules.intent import load_score_model

    return load_score_model(path)


def _load_models(validator: "_Validator", scores: Mapping[str, ScoreDef],
                 model_loader: ModelLoader | None) -> dict[str, object]:
    loader = model_loader or _default_model_loader
    models: dict[str, object] = {}
    for name, score in scores.items():
        if score.model is None:
            continue
        written = validator.document.value["scores"][name]["model"]
        try:
            models[name] = loader(score.model)
        except Exception as error:  # any failure of a model file is the merchant's to fix: report, never crash
            reason = str(error) or type(error).__name__
            validator.problem(("scores", name, "model"), f"cannot load model {written!r}: {reason}")
    return models


# ---------------------------------------------------------------------------------------------- validation


def _unquote_hint(expected: str, value: Any) -> str:
    """``priority: "5"``: a number written in quotes (or ``1e3``, text to YAML 1.1) is text; say how to write it
    so that YAML reads what is expected (a whole number for an integer)."""
    if not isinstance(value, str) or not any(word in expected for word in ("number", "integer")):
        return ""
    return number_text_hint(value, whole="integer" in expected)


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float = 0.7) -> str | None:
    """The closest candidate, when close enough to be a typo of it."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=cutoff)
    return close[0] if close else None


def _listing(candidates: Iterable[str]) -> str:
    return ", ".join(candidates)


class _Validator:
    """Walks the document once, collecting every problem with its path; builds the ``RuleFile`` alongside."""

    def __init__(self, document: Document, file: str | None, base_dir: Path) -> None:
        self.document = document
        self.file = file
        self.base_dir = base_dir
        self.problems: list[tuple[int, int, str]] = list(document.problems)   # duplicate keys, found while parsing
        self.segments: dict[str, list[Any]] = {}
        self.score_names: set[str] = set()
        self.score_defs: dict[str, ScoreDef] = {}   # scores without a problem of their own
        self.channels: dict[str, Channel] = {}
        self.channel_names: list[str] = []     # declared, valid or not: a broken channel is not also "unknown"

    # -- reporting

    def problem(self, path: DocPath, message: str, *, at_key: bool = False) -> None:
        line, col = self.document.at_key(path) if at_key else self.document.at_value(path)
        self.problems.append((line, col, message))

    def errors(self) -> list[RuleError]:
        ordered = sorted(dict.fromkeys(self.problems), key=lambda item: (item[0], item[1]))
        return [RuleError(message, file=self.file, line=line, col=col) for line, col, message in ordered]

    def wrong_type(self, path: DocPath, what: str, expected: str, value: Any) -> None:
        self.problem(path, f"{what} must be {expected}, got {formats.describe(value)}"
                     + (self.yaml_hint(path, value) or _unquote_hint(expected, value)))

    def yaml_hint(self, path: DocPath, value: Any) -> str:
        """Explain YAML 1.1 surprises: ``no`` read as false, ``9:30`` read as the base-60 number 570."""
        raw = self.document.raw(path)
        if raw is None:
            return ""
        if isinstance(value, bool) and raw.lower() not in {"true", "false"}:
            return f" (YAML reads {raw} as {formats.describe(value)}; quote it: \"{raw}\")"
        if formats.is_number(value) and (":" in raw or _YAML_SURPRISING_NUMBER.fullmatch(raw)):
            return f" (YAML reads {raw} as the number {value}; quote it: \"{raw}\")"
        return ""

    def format_problem(self, path: DocPath, error: ValueError, value: Any) -> None:
        self.problem(path, str(error) + self.yaml_hint(path, value))

    def mapping(self, path: DocPath, value: Any, what: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.wrong_type(path, what, "a mapping", value)
        return None

    def keys(self, path: DocPath, value: dict[str, Any], allowed: tuple[str, ...], where: str,
             required: tuple[str, ...] = ()) -> None:
        for key in value:
            if key not in allowed:
                close = did_you_mean(key, allowed)
                hint = f"did you mean '{close}'?" if close else f"expected one of: {_listing(allowed)}"
                self.problem(path + (key,), f"unknown key '{key}' {where} ({hint})", at_key=True)
        for key in required:
            if key not in value:
                self.problem(path, f"{where.removeprefix('in ')} is missing '{key}'", at_key=True)

    def text(self, path: DocPath, value: Any, what: str) -> str | None:
        if isinstance(value, str) and value.strip():
            return value
        self.wrong_type(path, what, "a non-empty text", value)
        return None

    def description(self, path: DocPath, body: dict[str, Any]) -> str:
        """The optional ``description`` (free text for people; shown by ``clickto explain``)."""
        value = body.get("description")
        if value is None:
            return ""
        if not isinstance(value, str):
            self.wrong_type(path + ("description",), "description", "a text", value)
            return ""
        return value

    # -- the document

    def validate(self) -> RuleFile | None:
        root = self.document.value
        if root is None:
            self.problem((), "the rule file is empty (start with 'version: 1', then channels and rules)")
            return None
        if not isinstance(root, dict):
            self.problem((), f"a rule file must be a mapping of version, channels, scores and rules, got {formats.describe(root)}")
            return None
        for key in root:
            if key not in TOP_KEYS and not key.startswith(EXTENSION_PREFIX):
                close = did_you_mean(key, TOP_KEYS)
                hint = f"did you mean '{close}'?" if close else f"expected one of: {_listing(TOP_KEYS)}, or x-* for your own notes"
                self.problem((key,), f"unknown key '{key}' at the top of the file ({hint})", at_key=True)
        version = self.version(root)
        self.channels = self.channel_table(root)
        self.segments = self.segment_table(root)
        scores = self.score_table(root)
        rules = self.rule_list(root)
        if self.problems or version is None:
            return None
        return RuleFile(version=version, channels=self.channels, segments=self.segments, scores=scores,
                        rules=rules, source=self.file)

    def version(self, root: dict[str, Any]) -> int | None:
        if "version" not in root:
            self.problem((), "missing 'version: 1' (the rule-file format version)")
            return None
        value = root["version"]
        if formats.is_number(value) and value == 1:
            return 1
        self.problem(("version",), f"version must be 1, got {formats.describe(value)}"
                     + (" (write 1 without quotes)" if isinstance(value, str) and value.strip() == "1" else ""))
        return None

    # -- channels

    def channel_table(self, root: dict[str, Any]) -> dict[str, Channel]:
        if "channels" not in root:
            self.problem((), "missing 'channels' (the buttons rules can show, e.g. community and chat)")
            return {}
        table = self.mapping(("channels",), root["channels"], "channels")
        if table is None:
            return {}
        if not table:
            self.problem(("channels",), "channels is empty: declare at least one channel, e.g. chat: {label: \"Chat with us\"}")
        channels: dict[str, Channel] = {}
        self.channel_names = [name for name in table if name != NONE]
        for name, value in table.items():
            path: DocPath = ("channels", name)
            if name == NONE:
                self.problem(path, "'none' is reserved (rules use 'show: none' to suppress buttons); pick another channel name", at_key=True)
                continue
            if not _NAME.fullmatch(name):
                self.problem(path, f"channel name '{name}' must start with a letter and use letters, digits, - or _", at_key=True)
                continue
            channel = self.channel(path, name, value)
            if channel is not None:
                channels[name] = channel
        return channels

    def channel(self, path: DocPath, name: str, value: Any) -> Channel | None:
        body = self.mapping(path, value, f"channel '{name}'")
        if body is None:
            return None
        self.keys(path, body, CHANNEL_KEYS, f"in channel '{name}'", required=("label",))
        label = self.text(path + ("label",), body["label"], "label") if "label" in body else None
        needs = body.get("needs")
        if needs is not None and not (isinstance(needs, str) and _NAME.fullmatch(needs)):
            self.wrong_type(path + ("needs",), "needs", "the name of an availability pool, e.g. experts", needs)
            needs = None
        if label is None:
            return None
        return Channel(name=name, label=label, needs=needs, line=self.document.at_key(path)[0])

    # -- segments

    def segment_table(self, root: dict[str, Any]) -> dict[str, list[Any]]:
        if root.get("segments") is None:      # absent, or an empty section
            return {}
        table = self.mapping(("segments",), root["segments"], "segments")
        if table is None:
            return {}
        segments: dict[str, list[Any]] = {}
        for name, members in table.items():
            path: DocPath = ("segments", name)
            if not _NAME.fullmatch(name):
                self.problem(path, f"segment name '{name}' must start with a letter and use letters, digits, - or _", at_key=True)
            if not isinstance(members, list):
                self.wrong_type(path, f"segment '{name}'", "a list of ids", members)
                segments[name] = []        # declared: uses of it are not also "unknown segment"
                continue
            for index, member in enumerate(members):
                if not (isinstance(member, str) or formats.is_number(member)):
                    self.wrong_type(path + (index,), f"members of segment '{name}'", "texts or numbers", member)
            segments[name] = members
        return segments

    # -- scores

    def score_table(self, root: dict[str, Any]) -> dict[str, ScoreDef]:
        if root.get("scores") is None:        # absent, or an empty section
            return {}
        table = self.mapping(("scores",), root["scores"], "scores")
        if table is None:
            return {}
        valid_names = [name for name in table if _SCORE_NAME.fullmatch(name)]
        self.score_names = set(valid_names)
        scores: dict[str, ScoreDef] = {}
        for name, value in table.items():
            path: DocPath = ("scores", name)
            if name not in self.score_names:
                self.problem(path, f"score name '{name}' must use letters, digits and _ only (it is used as score.{name})", at_key=True)
                continue
            before = len(self.problems)
            score = self.score(path, name, value)
            if score is not None:
                scores[name] = score
                if len(self.problems) == before:   # a score written right: its model loads even if others fail
                    self.score_defs[name] = score
        self.score_cycles(scores)
        return scores

    def score_cycles(self, scores: dict[str, ScoreDef]) -> None:
        """Scores may read other scores, but never (through others) themselves."""
        reads = {name: [fact[len("score."):] for term in score.terms for _, fact, _ in fact_keys(term.when)
                        if fact.startswith("score.")] for name, score in scores.items()}
        reported: set[str] = set()

        def visit(name: str, trail: list[str], explored: set[str]) -> None:
            for ref in reads.get(name, []):
                if ref == trail[0]:
                    if not reported & set(trail):
                        reported.update(trail)
                        chain = " → ".join([*trail, ref])
                        self.problem(("scores", trail[0]), f"score '{trail[0]}' depends on itself ({chain})", at_key=True)
                elif ref not in explored:
                    explored.add(ref)
                    visit(ref, [*trail, ref], explored)

        for name in reads:
            visit(name, [name], {name})

    def score(self, path: DocPath, name: str, value: Any) -> ScoreDef | None:
        line = self.document.at_key(path)[0]
        if isinstance(value, dict):
            self.keys(path, value, MODEL_KEYS, f"in score '{name}'", required=("model",))
            self.description(path, value)
            if "model" not in value:
                return None
            written = self.text(path + ("model",), value["model"], "model")
            if written is None:
                return None
            return ScoreDef(name=name, model=(self.base_dir / written), line=line)
        if not isinstance(value, list):
            self.wrong_type(path, f"score '{name}'", "a list of {when, add} terms or {model: PATH}", value)
            return None
        if not value:
            self.problem(path, f"score '{name}' has no terms: add at least one {{when: ..., add: POINTS}}")
            return None
        terms = [self.term(path + (index,), name, item) for index, item in enumerate(value)]
        if any(term is None for term in terms):
            return None
        return ScoreDef(name=name, terms=tuple(term for term in terms if term is not None), line=line)

    def term(self, path: DocPath, name: str, value: Any) -> ScoreTerm | None:
        body = self.mapping(path, value, f"each term of score '{name}'")
        if body is None:
            return None
        self.keys(path, body, TERM_KEYS, f"in a term of score '{name}'", required=("when", "add"))
        self.description(path, body)
        condition = self.condition(path + ("when",), body["when"]) if "when" in body else None
        add = body.get("add")
        if "add" in body and not formats.is_number(add):
            self.wrong_type(path + ("add",), "add", "a number of points", add)
            return None
        if condition is None or add is None:
            return None
        return ScoreTerm(when=condition, add=float(add), line=self.document.at_value(path)[0])

    # -- conditions

    def condition(self, path: DocPath, value: Any) -> dict[str, Any] | None:
        """Validate one condition (operators via ``rules.conditions``, facts and scores here)."""
        from rules.conditions import condition_problems

        if not isinstance(value, dict):
            self.wrong_type(path, "when", "a condition (a mapping of facts to values or operators)", value)
            return None
        before = len(self.problems)
        broken: list[DocPath] = []
        for inner, message in condition_problems(value, self.segments):
            inner = tuple(inner)
            broken.append(inner)
            self.problem(path + inner, message, at_key=self.points_at_key(path + inner, message))
        for inner, fact, operand in fact_keys(value):
            known = self.fact(path + inner, fact)
            if known is not None and not any(problem[:len(inner)] == inner for problem in broken):
                self.fact_operands(path + inner, known, operand)
        if len(self.problems) == before:
            self.conflicting_values(path, value)
        return value if len(self.problems) == before else None

    def conflicting_values(self, path: DocPath, condition: dict[str, Any]) -> None:
        """A one-value fact required to equal two different values (``page.type: product`` with ``$and:
        [{page.type: cart}]``) never holds. Not list facts, nor custom.* (they may be lists): one element
        may match each."""
        from rules.condition_logic import equality_sets

        for fact, allowed in equality_sets(condition).items():
            known = catalogued(fact)
            if not allowed and known is not None and known.type in ("string", "number", "integer", "boolean"):
                self.problem(path, f"{fact} is required to be two different values at once: the condition never "
                                   "holds")

    def points_at_key(self, path: DocPath, message: str) -> bool:
        """Problems with a name (operator, fact) point at the key; bad operands point at the value."""
        return bool(path) and isinstance(path[-1], str) and message.startswith(_KEY_PROBLEMS)

    def fact(self, path: DocPath, fact: str) -> Fact | None:
        """Report an unknown fact or score; the catalogue entry of a known one (scores are numbers)."""
        if fact.startswith("score."):
            name = fact[len("score."):]
            if name not in self.score_names:
                close = did_you_mean(name, self.score_names)
                hint = (f"did you mean 'score.{close}'?" if close else
                        f"declared scores: {_listing(sorted(self.score_names))}" if self.score_names else "no scores are declared")
                self.problem(path, f"unknown score '{fact}' ({hint})", at_key=True)
                return None
            return Fact(fact, "number", f"score {name}")
        if is_known_fact(fact, self.score_names):
            return catalogued(fact)
        if fact == "custom" or fact == "custom.":
            self.problem(path, "name the custom fact after 'custom.', e.g. custom.segment", at_key=True)
            return None
        close = f"${fact}" if fact in ("and", "or", "nor", "not") else did_you_mean(fact, FACTS)
        hint = f"did you mean '{close}'?" if close else "see docs/facts.md; data your site sends goes under custom.*"
        self.problem(path, f"unknown fact '{fact}' ({hint})", at_key=True)
        return None

    def fact_operands(self, path: DocPath, fact: Fact, value: Any) -> None:
        """Operands the fact can never match (wrong JSON type, a value outside its list), at the operand."""
        for inner, message, operand, how in fact_operand_problems(fact, value):
            hint = self.yaml_hint(path + inner, operand)
            raw = self.document.raw(path + inner) or ""
            if hint and ":" in raw and fact.type in ("number", "integer"):
                # 9:30 read as 570: quoting it would only make it a string, which a number never is
                hint = (f" (YAML reads {raw} as the number {operand}; " + hour_hint(raw)[2:] if fact.path == "time.hour"
                        else f" (YAML reads {raw} as the number {operand}; write the plain number {fact.path} counts)")
            self.problem(path + inner, message + (hint or how))

    # -- rules

    def rule_list(self, root: dict[str, Any]) -> tuple[Rule, ...]:
        if "rules" not in root:
            self.problem((), "missing 'rules' (the list of rules that decide which button to show)")
            return ()
        items = root["rules"]
        if items is None:
            items = []
        if not isinstance(items, list):
            self.wrong_type(("rules",), "rules", "a list of rules (each starting with '- id: ...')", items)
            return ()
        rules: list[Rule] = []
        first_seen: dict[str, int] = {}
        for index, item in enumerate(items):
            rule = self.rule(("rules", index), index, item, first_seen)
            if rule is not None:
                rules.append(rule)
        self.unreachable(rules)
        return tuple(rules)

    def rule(self, path: DocPath, index: int, value: Any, first_seen: dict[str, int]) -> Rule | None:
        body = self.mapping(path, value, "each rule")
        if body is None:
            return None
        rule_id = self.rule_id(path, body, first_seen)
        where = f"in rule '{rule_id}'" if rule_id else f"in rule #{index + 1}"
        self.keys(path, body, RULE_KEYS, where, required=("id", "when", "show"))
        before = len(self.problems)
        when = self.condition(path + ("when",), body["when"]) if "when" in body else None
        show = self.show(path + ("show",), body["show"]) if "show" in body else None
        description = self.description(path, body)
        priority = body.get("priority", 0)
        if not (isinstance(priority, int) and not isinstance(priority, bool)):
            self.wrong_type(path + ("priority",), "priority", "an integer", priority)
        cooldown = self.formatted(path + ("cooldown",), body, "cooldown", formats.parse_cooldown)
        holdout = self.formatted(path + ("holdout",), body, "holdout", formats.parse_holdout)
        schedule = self.schedule(path + ("schedule",), body["schedule"]) if body.get("schedule") is not None else None
        if len(self.problems) != before or rule_id is None or when is None or show is None:
            return None
        return Rule(id=rule_id, when=when, show=show, priority=priority, order=index, description=description,
                    cooldown=cooldown, schedule=schedule, holdout=holdout or 0.0,
                    line=self.document.at_value(path)[0])

    def rule_id(self, path: DocPath, body: dict[str, Any], first_seen: dict[str, int]) -> str | None:
        if "id" not in body:
            return None
        value = body["id"]
        if not (isinstance(value, str) and value.strip()):
            self.wrong_type(path + ("id",), "id", "a non-empty text", value)
            return None
        if any(char.isspace() for char in value):
            self.problem(path + ("id",), f"rule id {value!r} must not contain spaces (e.g. {'-'.join(value.split())!r})")
            return None
        if value in first_seen:
            self.problem(path + ("id",), f"duplicate rule id '{value}' (first used at line {first_seen[value]})")
            return None
        first_seen[value] = self.document.at_value(path + ("id",))[0]
        return value

    def show(self, path: DocPath, value: Any) -> str | None:
        if not isinstance(value, str):
            self.wrong_type(path, "show", f"a channel name or '{NONE}'", value)
            return None
        if value == NONE or value in self.channel_names:
            return value
        choices = [*self.channel_names, NONE]
        close = did_you_mean(value, self.channel_names) or did_you_mean(value, [NONE], cutoff=0.75)
        hint = f"did you mean '{close}'?" if close else f"declared channels: {_listing(choices)}"
        self.problem(path, f"unknown channel '{value}' in show ({hint})")
        return None

    def formatted(self, path: DocPath, body: dict[str, Any], key: str, parser: Callable[[Any], float]) -> float | None:
        if body.get(key) is None:
            return None
        raw = self.document.raw(path)
        if formats.is_number(body[key]) and raw is not None and ":" in raw:     # 1:30 is the number 90 in YAML
            self.problem(path, f"{key} {raw} is ambiguous: write it as a duration like 90s or 1m30s")
            return None
        try:
            return parser(body[key])
        except ValueError as error:
            self.format_problem(path, error, body[key])
            return None

    def schedule(self, path: DocPath, value: Any) -> Schedule | None:
        body = self.mapping(path, value, "schedule")
        if body is None:
            return None
        self.keys(path, body, SCHEDULE_KEYS, "in schedule", required=("timezone",))
        parsed: dict[str, Any] = {}
        failed = False
        for key, parser in (("timezone", formats.parse_timezone), ("days", formats.parse_days),
                            ("hours", formats.parse_hours)):
            if key not in body:
                continue
            value = body[key]
            items = list(enumerate(value)) if isinstance(value, list) and value and key != "timezone" else [(None, value)]
            results = []
            for index, item in items:
                try:
                    results.append(parser([item] if index is not None else item))
                except ValueError as error:
                    self.format_problem(path + ((key,) if index is None else (key, index)), error, item)
                    failed = True
            if results and key != "timezone":
                parsed[key] = tuple(sorted(set().union(*results)))
            elif results:
                parsed[key] = results[0]
        if failed or "timezone" not in parsed:
            return None
        return Schedule(**parsed)

    # -- shadowed rules

    def unreachable(self, rules: list[Rule]) -> None:
        """Report rule B when a rule A that always shows when it holds comes first and B's condition implies A's.

        Only earlier rules that could be implied are proved: an earlier rule pinning a fact to listed values
        (``page.product: p1``) is a candidate only for rules pinning that fact to some of those values
        (``equality_sets``), so thousands of per-product rules are not compared pair by pair."""
        from rules.condition_logic import cannot_imply, equality_sets, has_top_level_or
        from rules.conditions import condition_fields, implies

        ranked = sorted(rules, key=lambda rule: (-rule.priority, rule.order))
        reads = {rule.id: condition_fields(rule.when) for rule in rules}
        needs = {rule.id: required_fields(rule.when) for rule in rules}
        pinned = [equality_sets(rule.when) for rule in ranked]
        # a top-level $or is proved branch by branch (each may pin more), and an empty set is a condition that
        # never holds: such a rule is compared with every earlier one
        whole = [has_top_level_or(rule.when) or not all(pinned[index].values()) for index, rule in enumerate(ranked)]
        unpinned: list[int] = []                               # earlier rules pinning nothing: always candidates
        by_value: dict[tuple[str, Any], list[int]] = {}        # (fact, value) -> earlier rules allowing it there
        for position, rule in enumerate(ranked):
            if whole[position]:
                candidates: Iterable[int] = range(position)
            else:
                found = set(unpinned)
                for fact, values in pinned[position].items():
                    # an earlier rule pinning this fact must allow every one of these values: look up one
                    found.update(by_value.get((fact, next(iter(values))), ()))
                candidates = sorted(found)
            for index in candidates:
                earlier = ranked[index]
                # a field the earlier rule requires but this one never reads cannot be implied: skip the proof
                if not needs[earlier.id] <= reads[rule.id] or not self.always_shows(earlier, rule) or (
                        not whole[position] and cannot_imply(pinned[position], pinned[index])):
                    continue
                if implies(rule.when, earlier.when):
                    self.problem(
                        ("rules", rule.order, "id"),
                        f"rule '{rule.id}' can never fire: rule '{earlier.id}' (line {earlier.line}) "
                        f"has priority >= and a weaker condition",
                    )
                    break
            if pinned[position]:
                fact, values = next(iter(pinned[position].items()))
                for value in values:
                    by_value.setdefault((fact, value), []).append(position)
            else:
                unpinned.append(position)

    def always_shows(self, earlier: Rule, later: Rule) -> bool:
        """Nothing can stop ``earlier`` when it holds, unless it would stop ``later`` too (same availability pool)."""
        if earlier.cooldown is not None or earlier.schedule is not None or earlier.holdout > 0:
            return False
        if earlier.show == NONE:
            return True
        channel, later_channel = self.channels.get(earlier.show), self.channels.get(later.show)
        if channel is None or (later_channel is None and later.show != NONE):   # a broken channel: reported already
            return False
        return channel.needs is None or channel.needs == (later_channel.needs if later_channel else None)


def required_fields(condition: Mapping[str, Any]) -> set[str]:
    """Facts that every match of ``condition`` constrains: its top-level keys (through ``$and``, not ``$or``)."""
    found: set[str] = set()
    for key, value in condition.items():
        if key == "$and" and isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    found |= required_fields(item)
        elif not key.startswith("$"):
            found.add(key)
    return found


def fact_keys(condition: Mapping[str, Any], path: DocPath = ()) -> list[tuple[DocPath, str, Any]]:
    """(where, fact path, its value condition) for every fact a condition names (``$and/$or/$nor/$not`` nest)."""
    found: list[tuple[DocPath, str, Any]] = []
    for key, value in condition.items():
        if key in _LOGICAL and isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    found += fact_keys(item, path + (key, index))
        elif key == "$not" and isinstance(value, dict):
            found += fact_keys(value, path + (key,))
        elif not key.startswith("$"):
            found.append((path + (key,), key, value))
    return found
