"""YAML → plain values plus the line/column of every key and value, so errors can say ``FILE:LINE:COL``.

PyYAML's ``compose`` keeps a mark on every node; this module walks the node tree with safe scalar
resolution only (no Python tags), records where each path starts, and refuses unknown tags and recursive
aliases with a located ``RuleError`` instead of silently losing data. A duplicate key is recorded as a
located problem (the first value is kept) rather than raised, so the loader can go on and report every
other problem of the file too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from rules.errors import RuleError

Path = tuple[str | int, ...]

_FAST_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml: ~10x faster, same marks
_CLEAR_LOADER: type = yaml.SafeLoader   # pure Python: its error messages name the offending character

_SCALAR_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:str",
}
_KEEP_AS_TEXT = {"tag:yaml.org,2002:timestamp"}   # a date stays the text the merchant wrote, as in JSON
_MAP_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:set"}
_SEQ_TAGS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap", "tag:yaml.org,2002:pairs"}
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAX_DEPTH = 200
_BRACKETS = re.compile(r"[\[\]{}]")
_MAX_NODES = 50_000
"""Values built per document, aliases expanded: stops "billion laughs" alias bombs long before memory runs out."""


@dataclass(frozen=True)
class Spot:
    """Where one path of the document sits: its key (for mapping entries) and its value, 1-based."""

    line: int
    col: int
    key_line: int | None = None
    key_col: int | None = None
    raw: str | None = None      # the scalar's source text, for hints such as "quote it"


@dataclass
class Document:
    """A parsed YAML document: plain values and the spot of every path in it."""

    value: Any
    spots: dict[Path, Spot] = field(default_factory=dict)
    problems: list[tuple[int, int, str]] = field(default_factory=list)
    """(line, col, message) of what the document itself gets wrong but can still be read past (duplicate keys)."""

    def spot(self, path: Path) -> Spot:
        """The spot of ``path`` or of its nearest existing ancestor (the document start at worst)."""
        path = tuple(path)
        while path and path not in self.spots:
            path = path[:-1]
        return self.spots.get(path, Spot(1, 1))

    def at_value(self, path: Path) -> tuple[int, int]:
        spot = self.spot(path)
        return spot.line, spot.col

    def at_key(self, path: Path) -> tuple[int, int]:
        """The key of a mapping entry (falls back to the value for list items and the document)."""
        spot = self.spot(path)
        if spot.key_line is not None and spot.key_col is not None:
            return spot.key_line, spot.key_col
        return spot.line, spot.col

    def raw(self, path: Path) -> str | None:
        spot = self.spots.get(tuple(path))
        return spot.raw if spot else None


def parse_yaml(text: str) -> Document:
    """Parse one YAML document; raise ``RuleError`` (without file) at the first syntax problem."""
    _refuse_deep_brackets(text)
    try:
        _refuse_deep_nesting(text)
        node = _compose(text)
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error, text) from None
    except yaml.reader.ReaderError as error:
        line, col = _line_col(text, error.position)
        raise RuleError(f"invalid YAML: {error.reason} (found {_char_name(error.character)})", line=line, col=col) from None
    except yaml.YAMLError as error:  # pragma: no cover - every PyYAML error above carries a mark
        raise RuleError(f"invalid YAML: {error}", line=1, col=1) from None
    except RecursionError:
        raise RuleError("invalid YAML: the document is nested too deeply", line=1, col=1) from None
    if node is None:
        return Document(None, {(): Spot(1, 1)})
    builder = _Builder()
    value = builder.build(node, (), None, 0)
    return Document(value, builder.spots, builder.problems)


def _compose(text: str) -> yaml.Node | None:
    """Compose with libyaml; on a syntax error parse again in pure Python for its clearer message."""
    try:
        return yaml.compose(text, Loader=_FAST_LOADER)
    except (yaml.YAMLError, UnicodeError):   # libyaml cannot even encode lone surrogates
        if _FAST_LOADER is _CLEAR_LOADER:
            raise
    return yaml.compose(text, Loader=_CLEAR_LOADER)


def _refuse_deep_nesting(text: str) -> None:
    """libyaml's composer recurses in C and crashes the process on absurd nesting (``- - - ...``): walk the
    event stream first (flat, no recursion) and refuse documents deeper than any rule file could be."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_FAST_LOADER):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > _MAX_DEPTH:
                    raise _at(event, "the document is nested too deeply")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except (yaml.YAMLError, UnicodeError):
        return      # a syntax problem: composing reports it with the clearer message


def _refuse_deep_brackets(text: str) -> None:
    """PyYAML's scanner slows down quadratically with ``[``/``{`` nesting: refuse absurd depths before parsing."""
    depth = 0
    for match in _BRACKETS.finditer(text):
        if match.group() in "[{":
            depth += 1
            if depth > _MAX_DEPTH:
                line, col = _line_col(text, match.start())
                raise RuleError("invalid YAML: the document is nested too deeply", line=line, col=col)
        elif depth:
            depth -= 1


class _Builder:
    def __init__(self) -> None:
        self.spots: dict[Path, Spot] = {}
        self.problems: list[tuple[int, int, str]] = []
        self.active: set[int] = set()
        self.built = 0
        self.scalars = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, path: Path, key_node: yaml.Node | None, depth: int) -> Any:
        raw = node.value if isinstance(node, yaml.ScalarNode) else None
        self.spots[path] = Spot(
            node.start_mark.line + 1,
            node.start_mark.column + 1,
            key_node.start_mark.line + 1 if key_node is not None else None,
            key_node.start_mark.column + 1 if key_node is not None else None,
            raw,
        )
        if depth > _MAX_DEPTH:
            raise _at(node, "the document is nested too deeply")
        self.built += 1
        if self.built > _MAX_NODES:
            raise _at(node, f"the document is too large (more than {_MAX_NODES} values once aliases are expanded): "
                            "a rule file holds a few thousand rules at most; merge rules that differ only in a value "
                            "with $in, or put long lists of ids under segments")
        if id(node) in self.active:
            raise _at(node, "an alias refers to itself (recursive anchors are not supported)")
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.ScalarNode):
                return self.scalar(node)
            if isinstance(node, yaml.SequenceNode):
                return self.sequence(node, path, depth)
            return self.mapping(node, path, depth)
        finally:
            self.active.discard(id(node))

    def scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag in _KEEP_AS_TEXT:
            return node.value
        if node.tag not in _SCALAR_TAGS:
            raise _unsupported(node)
        try:
            return self.scalars.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as error:
            raise _at(node, f"invalid value {node.value!r}: {error}") from None

    def sequence(self, node: yaml.SequenceNode, path: Path, depth: int) -> list[Any]:
        if node.tag not in _SEQ_TAGS:
            raise _unsupported(node)
        return [self.build(item, path + (index,), None, depth + 1) for index, item in enumerate(node.value)]

    def mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        if node.tag not in _MAP_TAGS:
            raise _unsupported(node)
        result: dict[str, Any] = {}
        explicit: set[str] = set()
        for key_node, value_node in self.entries(node, depth):
            key = self.key(key_node)
            if key_node.tag == _MERGE_TAG:
                continue
            if key in explicit:     # keep the first value (the message points back at it); report, read on
                first = self.spots[path + (key,)]
                self.problems.append((key_node.start_mark.line + 1, key_node.start_mark.column + 1,
                                      f"duplicate key '{key}' (first defined at line {first.key_line})"))
                continue
            explicit.add(key)
            result[key] = self.build(value_node, path + (key,), key_node, depth + 1)
        return result

    def entries(self, node: yaml.MappingNode, depth: int) -> Iterator[tuple[yaml.Node, yaml.Node]]:
        """The mapping's pairs; ``<<: *anchor`` merges come first so explicit keys override them."""
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                continue
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    raise _at(source, "'<<' merges only mappings")
                if id(source) in self.active or depth > _MAX_DEPTH:
                    raise _at(source, "an alias refers to itself (recursive anchors are not supported)")
                self.active.add(id(source))
                try:
                    pairs = list(self.entries(source, depth + 1))
                finally:
                    self.active.discard(id(source))
                own = {self.key(k) for k, _ in node.value if k.tag != _MERGE_TAG}
                seen = {self.key(k) for k, _ in merged}
                merged += [(k, v) for k, v in pairs if self.key(k) not in own | seen]
        yield from merged
        yield from ((k, v) for k, v in node.value if k.tag != _MERGE_TAG)

    @staticmethod
    def key(node: yaml.Node) -> str:
        """Keys are the text written (``on:`` stays "on", ``1:`` stays "1"), as in JSON."""
        if not isinstance(node, yaml.ScalarNode):
            raise _at(node, "a key must be plain text, not a list or mapping")
        return node.value


def _at(node: yaml.Node | yaml.Event, message: str) -> RuleError:
    return RuleError(message, line=node.start_mark.line + 1, col=node.start_mark.column + 1)


def _unsupported(node: yaml.Node) -> RuleError:
    return _at(node, f"unsupported YAML tag '{node.tag}' (use plain values: text, numbers, true/false, lists, mappings)")


def _syntax_error(error: yaml.MarkedYAMLError, text: str = "") -> RuleError:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "invalid YAML"
    message = f"invalid YAML: {problem}"
    if error.context and error.problem and problem.startswith("but "):
        message = f"invalid YAML: {error.context}, {problem}"
    elif error.context and error.problem:
        message += f" ({error.context}"
        if error.context_mark is not None and mark is not None and error.context_mark.line != mark.line:
            message += f" at line {error.context_mark.line + 1}"
        message += ")"
    if "'\\t'" in problem:
        message += "; indent with spaces, not tabs"
    else:
        opened = error.context_mark.line if error.context_mark is not None else None
        at_a_key = (opened is not None and mark is not None and mark.line != opened
                    and _starts_a_key(text, mark.line, mark.column))
        message += _syntax_hint(problem, error.context or "", None if opened is None else opened + 1, at_a_key)
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return RuleError(message, line=line, col=col)


def _syntax_hint(problem: str, context: str, opened_line: int | None = None, at_a_key: bool = False) -> str:
    """What to do about the YAML mistakes merchants make most (PyYAML's words describe its parser, not the file).
    ``opened_line``: where the context (a {...} or [...]) began; ``at_a_key``: the parser stopped at the first key
    of a later line."""
    if "mapping values are not allowed" in problem:
        return "; a value containing ': ' must be quoted, e.g. description: \"Note: VIPs only\""
    if "<block end>" in problem or ("block mapping" in context and "expected <block end>" in context + problem):
        return ("; check the indentation of this line against the lines above: keys of one mapping, and the "
                "'- ' of one list, start in the same column")
    if "flow mapping" in context or "flow sequence" in context:
        opener = "{" if "flow mapping" in context else "["
        if "but got '}'" in problem or "but got ']'" in problem:
            return f"; a {opener} is closed with {'}' if opener == '[' else ']'}: close each bracket with its own kind"
        if "<stream end>" in problem:
            return f"; the {opener} opened on line {opened_line} is never closed"
        if at_a_key:
            return f"; a ',' is missing before this key, or the {opener} opened on line {opened_line} is never closed"
        return ("; inside {...} or [...], quote values containing : , [ ] { } or # (e.g. a regex: "
                "{$regex: \"^/p/[0-9]+\"})")
    return ""


_KEY_AT_LINE_START = re.compile(r"[ \t]*(?:-[ \t]+)*(?:[^\s:#,\[\]{}]+[ \t]*)?")


def _starts_a_key(text: str, line: int, column: int) -> bool:
    """Whether the parser stopped at the start of a line's first key (``show: chat`` after a ``{`` left open
    above: at ``show``, or at the ``:`` after it); a ``:`` later in a line (``title: Sale: now``) is a value
    needing quotes."""
    lines = text.splitlines()
    return 0 <= line < len(lines) and bool(_KEY_AT_LINE_START.fullmatch(lines[line][:column]))


def _line_col(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def _char_name(character: Any) -> str:
    if isinstance(character, str) and len(character) == 1:
        character = ord(character)
    if isinstance(character, int):
        return f"character #x{character:04x}"
    return f"byte {character!r}"
