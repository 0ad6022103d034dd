"""How problems leave the CLI: compiler-style lines for people and editors, JSON for tools, and
workflow commands that GitHub Actions turns into annotations on the spec's line.

Under GitHub Actions (``GITHUB_ACTIONS=true``) the text format adds the annotations by itself,
so a plain ``cxg-gen check`` in a workflow marks the offending lines of the pull request.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from typing import Any

from generator.load.diagnostics import Diagnostic

FORMATS = ("text", "json", "github")


def _escape(value: str, *, prop: bool = False) -> str:
    """GitHub's workflow-command escaping (properties also escape ':' and ',')."""
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def annotation(d: Diagnostic, level: str = "error") -> str:
    return (
        f"::{level} file={_escape(d.path, prop=True)},line={d.line},col={d.col}"
        f"::{_escape(d.message)}"
    )


def as_data(d: Diagnostic) -> dict[str, Any]:
    return {"file": d.path, "line": d.line, "column": d.col, "message": d.message}


def problems(diagnostics: Iterable[Diagnostic], fmt: str) -> None:
    """Write spec problems in ``fmt``: text to stderr, json and github to stdout."""
    diagnostics = list(diagnostics)
    if fmt == "json":
        print(json.dumps({"ok": False, "problems": [as_data(d) for d in diagnostics]}, indent=2))
        return
    if fmt == "text":
        # plain lines, never wrapped: editors and CI parse file:line:col
        sys.stderr.write("".join(f"{d}\n" for d in diagnostics))
    if fmt == "github" or os.environ.get("GITHUB_ACTIONS") == "true":
        sys.stdout.write("".join(f"{annotation(d)}\n" for d in diagnostics))


def warnings(diagnostics: Iterable[Diagnostic], fmt: str) -> None:
    """Write what builds but deserves a look: ``path:line:col: warning: ...`` to stderr, or
    GitHub warning annotations (json carries them in the command's outcome)."""
    diagnostics = list(diagnostics)
    if fmt == "text":
        sys.stderr.write("".join(f"{d.path}:{d.line}:{d.col}: warning: {d.message}\n"
                                 for d in diagnostics))  # fmt: skip
    if fmt == "github" or (fmt == "text" and os.environ.get("GITHUB_ACTIONS") == "true"):
        sys.stdout.write("".join(f"{annotation(d, 'warning')}\n" for d in diagnostics))


def from_data(data: dict[str, Any]) -> Diagnostic:
    return Diagnostic(data["file"], data["line"], data["column"], data["message"])


def outcome(fmt: str, data: dict[str, Any]) -> None:
    """The result of a command that succeeded or found drift, for the json format."""
    if fmt == "json":
        print(json.dumps(data, indent=2, ensure_ascii=False))
