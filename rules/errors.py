"""Errors a merchant can act on: what was wrong, where (file:line:col), and what was expected."""

from __future__ import annotations

from collections.abc import Sequence


class RuleError(ValueError):
    """One problem in a rule file or condition.

    ``path`` is where the problem sits inside the parsed document (keys and list indices), which the loader
    turns into ``line``/``col`` (1-based) using the YAML node marks.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        col: int | None = None,
        path: Sequence[str | int] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.col = col
        self.path = tuple(path)

    def located(self, file: str | None, line: int | None, col: int | None) -> "RuleError":
        """A copy of this error placed at ``file:line:col``."""
        return RuleError(self.message, file=file, line=line, col=col, path=self.path)

    def __str__(self) -> str:
        where = self.file or "<rules>"
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        return f"{where}: {self.message}"

    def __repr__(self) -> str:
        return f"RuleError({str(self)!r})"


class RuleErrors(RuleError):
    """Every problem found in one rule file, raised at once so a merchant can fix them all in one pass."""

    def __init__(self, errors: Sequence[RuleError]) -> None:
        self.errors = list(errors)
        first = self.errors[0] if self.errors else RuleError("invalid rule file")
        super().__init__(first.message, file=first.file, line=first.line, col=first.col, path=first.path)

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


class EventError(ValueError):
    """A session event that cannot be folded: ``field`` names the offending field (e.g. ``value``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
