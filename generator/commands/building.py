"""`cxg-gen build` and what `check` shares with it: generate in memory or exit 2 on bad
specs and hand-owned modules, take the short way when the manifest says nothing changed, write,
make the OpenAPI document (putting generated/ back when the app does not start), and report
what was written and removed and which tables need a migration."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from generator import model
from generator.commands import report, table_changes
from generator.load import handowned
from generator.load.diagnostics import Diagnostic, SpecError
from generator.render import manifest, openapi, writer

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

Generated = tuple[model.Project, dict[str, str]]  # the model and every generated file's text


def project_root(root: Path | None) -> Path:
    """``--root``, else the nearest directory at or above the working one that has specs/."""
    from generator.render.pipeline import find_root

    return (root or find_root(Path.cwd())).resolve()


def generate_or_exit(root: Path, *, remember: bool = True, fmt: str = "text") -> Generated:
    from generator.render.pipeline import generate

    if fmt not in report.FORMATS:
        err.print(f"unknown format '{fmt}' ({', '.join(report.FORMATS)})")
        raise typer.Exit(2)
    try:
        project, files = generate(root, remember=remember)
    except SpecError as exc:
        report.problems(exc.diagnostics, fmt)
        if fmt == "text":
            err.print(f"[red]{len(exc.diagnostics)} problem(s) in specs; nothing written.[/red]")
        raise typer.Exit(2) from None
    report.warnings(project.warnings, fmt)
    return project, files


def unchanged(root: Path) -> tuple[str, dict[str, Any] | None]:
    """The inputs' digest, and the manifest when generated/ and its document are what a
    build would write now (see generator/render/manifest.py)."""
    from generator.render.pipeline import templates_dir

    inputs = manifest.inputs_digest(root, templates_dir(root))
    found = manifest.current(root, inputs)
    if found is None:
        return inputs, None
    recorded, on_disk = found
    if openapi.applies(root):  # the generated code as just read, and the runtime's
        code = [(p, c) for p, c in on_disk.items() if p.startswith("generated/")]
        if not openapi.current(root, openapi.inputs_digest(code, root)):
            return inputs, None
    return inputs, recorded


def report_build(
    fmt: str,
    entities: int,
    files: int,
    written: int,
    removed: int,
    started: float,
    changes: table_changes.TableChanges | None = None,
    warnings: list[dict[str, Any]] | None = None,
) -> None:
    elapsed = time.perf_counter() - started
    changes = changes or table_changes.TableChanges()
    counts = {"entities": entities, "files": files, "written": written, "removed": removed}
    report.outcome(fmt, {"ok": True, **counts, **changes.as_data(), "warnings": warnings or []})
    if fmt != "json":
        for line in table_changes.lines(changes):
            out.print(line, soft_wrap=True)
        out.print(
            f"{entities} entities, {files} files: {written} written, "
            f"{removed} removed, {files - written} unchanged ({elapsed:.2f}s)"
        )


def build_once(root: Path, fmt: str) -> None:
    started = time.perf_counter()
    inputs, recorded = unchanged(root)
    if recorded is not None:  # nothing to do; what the build that did it warned still holds
        said = recorded.get("warnings", [])
        report.warnings((report.from_data(w) for w in said), fmt)
        report_build(fmt, recorded["entities"], recorded["files"], 0, 0, started, warnings=said)
        return
    project, files = generate_or_exit(root, fmt=fmt)
    refuse_hand_owned(root, project, fmt)  # the app would not start: found before writing
    document = keep_document(root, files)
    keep(root, files, manifest.MANIFEST)
    plan = writer.plan(root, files)
    undo = writer.apply(root, files, plan)
    if document is not None:  # the code changed: the runtime makes the document anew
        try:
            made = openapi.produce(root, project)
        except openapi.DocumentError as exc:  # put generated/ back: nothing written
            undo.restore()
            found, more = handowned.startup_failure(root, exc.output)
            refuse(found, fmt, "", exc.output if more else "")
        made_files = {openapi.DOCUMENT: made.decode(), openapi.STAMP: openapi.stamp(document, made)}
        writer.apply(root, made_files, writer.plan(root, made_files, managed_dirs=()))
        files.update(made_files)
    said = [report.as_data(w) for w in project.warnings]
    files[manifest.MANIFEST] = manifest.text(len(project.entities), inputs, files, said)
    record = {manifest.MANIFEST: files[manifest.MANIFEST]}
    writer.apply(root, record, writer.plan(root, record, managed_dirs=()))
    written = len(plan.missing) + len(plan.changed) + (2 if document is not None else 0)
    report_build(
        fmt,
        len(project.entities),
        len(files),
        written,
        len(plan.extra),
        started,
        table_changes.of(plan),
        said,
    )


def refuse_hand_owned(root: Path, project: model.Project, fmt: str) -> None:
    """Exit 2, as for a bad spec, when the hand-owned modules and the specs disagree."""
    found = handowned.problems(root, project)
    if found:
        refuse(found, fmt, " in hand-owned modules")


def refuse(found: list[Diagnostic], fmt: str, where: str, said: str = "") -> NoReturn:
    report.problems(found, fmt)
    if fmt == "text":
        if said:  # what the app said when it stopped, for a failure deep in a library
            sys.stderr.write("".join(f"    {line}\n" for line in said.rstrip().splitlines()))
        err.print(f"[red]{len(found)} problem(s){where}; nothing written.[/red]")
    raise typer.Exit(2)


def keep(root: Path, files: dict[str, str], path: str) -> None:
    """A file build writes last, as it is on disk, so that planning keeps it."""
    if (root / path).is_file():
        files[path] = (root / path).read_text()


def keep_document(root: Path, files: dict[str, str]) -> str | None:
    """Adds the OpenAPI document and its stamp to ``files`` as they are on disk; returns the
    digest of the inputs when the document must be made anew (None when it is current or the
    project has no runtime)."""
    if not openapi.applies(root):
        return None
    inputs = openapi.inputs_digest(((path, text.encode()) for path, text in files.items()), root)
    for path in (openapi.DOCUMENT, openapi.STAMP):
        keep(root, files, path)
    return None if openapi.current(root, inputs) else inputs
