"""Compiler-style diagnostics: every problem found, each with file:line:col."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


@dataclass
class Diagnostics:
    """Collects problems instead of stopping at the first one."""

    items: list[Diagnostic] = field(default_factory=list)
    # what builds all the same but deserves a look (a status any move may change): said by
    # build and check with exit 0
    warnings: list[Diagnostic] = field(default_factory=list)
    # (scope, "domain.table") of spec files that could not be read at all: a reference to
    # one of them is not reported again as "unknown entity" (one root cause, one report)
    unreadable: set[tuple[str, str]] = field(default_factory=set)

    def add(self, path: str, line: int, col: int, message: str) -> None:
        self.items.append(Diagnostic(path, line, col, message))

    def warn(self, path: str, line: int, col: int, message: str) -> None:
        self.warnings.append(Diagnostic(path, line, col, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(set(self.items))


class SpecError(Exception):
    """Raised when specs are invalid; carries every diagnostic."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))
