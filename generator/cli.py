"""The cxg-gen command line.

Generator commands (build, check, schema, graph) need no database and import nothing from
FastAPI or SQLAlchemy. Runtime commands (serve, db, create-admin) import the runtime lazily.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from generator import (
    extensions,
    handowned,
    manifest,
    model,
    openapi,
    report,
    runtime_commands,
    writer,
)
from generator.diagnostics import Diagnostic, SpecError

app = typer.Typer(
    name="cxg-gen",
    help="Spec-driven FastAPI CRUD backend generator for the CXG platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(
    help="Database migrations (Alembic, one environment per database).", no_args_is_help=True
)
app.add_typer(db_app, name="db")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

RootOption = Annotated[
    Path | None, typer.Option("--root", help="Project root (default: nearest with specs/).")
]
Generated = tuple[model.Project, dict[str, str]]  # the model and every generated file's text


def _root(root: Path | None) -> Path:
    from generator.pipeline import find_root  # here: `serve` need not load the generator

    return (root or find_root(Path.cwd())).resolve()


FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        help="text (file:line:col lines), json, or github (annotations; automatic under Actions).",
    ),
]


def _generate_or_exit(root: Path, *, remember: bool = True, fmt: str = "text") -> Generated:
    from generator.pipeline import generate

    if fmt not in report.FORMATS:
        err.print(f"unknown format '{fmt}' ({', '.join(report.FORMATS)})")
        raise typer.Exit(2)
    try:
        return generate(root, remember=remember)
    except SpecError as exc:
        report.problems(exc.diagnostics, fmt)
        if fmt == "text":
            err.print(f"[red]{len(exc.diagnostics)} problem(s) in specs; nothing written.[/red]")
        raise typer.Exit(2) from None


@app.command()
def build(
    root: RootOption = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Build again whenever specs or templates change.")
    ] = False,
    fmt: FormatOption = "text",
) -> None:
    """Render generated/ from specs/ and templates/, writing only files that changed."""
    root = _root(root)
    if not watch:
        _build_once(root, fmt)
        return
    from generator.watch import watch as watching

    watching(root, lambda: _build_once(root, fmt), out)


def _unchanged(root: Path) -> tuple[str, dict[str, Any] | None]:
    """The inputs' digest, and the manifest when generated/ and its document are what a
    build would write now (see generator/manifest.py)."""
    from generator.pipeline import templates_dir

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


def _report_build(fmt: str, entities: int, files: int, written: int, removed: int,
                  started: float) -> None:  # fmt: skip
    elapsed = time.perf_counter() - started
    report.outcome(
        fmt,
        {"ok": True, "entities": entities, "files": files, "written": written, "removed": removed},
    )
    if fmt != "json":
        out.print(
            f"{entities} entities, {files} files: {written} written, "
            f"{removed} removed, {files - written} unchanged ({elapsed:.2f}s)"
        )


def _build_once(root: Path, fmt: str) -> None:
    started = time.perf_counter()
    inputs, recorded = _unchanged(root)
    if recorded is not None:
        _report_build(fmt, recorded["entities"], recorded["files"], 0, 0, started)
        return
    project, files = _generate_or_exit(root, fmt=fmt)
    _refuse_hand_owned(root, project, fmt)  # the app would not start: found before writing
    document = _keep_document(root, files)
    _keep(root, files, manifest.MANIFEST)
    plan = writer.plan(root, files)
    undo = writer.apply(root, files, plan)
    if document is not None:  # the code changed: the runtime makes the document anew
        try:
            made = openapi.produce(root, project)
        except openapi.DocumentError as exc:  # put generated/ back: nothing written
            undo.restore()
            found, more = handowned.startup_failure(root, exc.output)
            _refuse(found, fmt, "", exc.output if more else "")
        made_files = {openapi.DOCUMENT: made.decode(), openapi.STAMP: openapi.stamp(document, made)}
        writer.apply(root, made_files, writer.plan(root, made_files, managed_dirs=()))
        files.update(made_files)
    files[manifest.MANIFEST] = manifest.text(len(project.entities), inputs, files)
    record = {manifest.MANIFEST: files[manifest.MANIFEST]}
    writer.apply(root, record, writer.plan(root, record, managed_dirs=()))
    written = len(plan.missing) + len(plan.changed) + (2 if document is not None else 0)
    _report_build(fmt, len(project.entities), len(files), written, len(plan.extra), started)


def _refuse_hand_owned(root: Path, project: model.Project, fmt: str) -> None:
    """Exit 2, as for a bad spec, when the hand-owned modules and the specs disagree."""
    found = handowned.problems(root, project)
    if found:
        _refuse(found, fmt, " in hand-owned modules")


def _refuse(found: list[Diagnostic], fmt: str, where: str, said: str = "") -> NoReturn:
    report.problems(found, fmt)
    if fmt == "text":
        if said:  # what the app said when it stopped, for a failure deep in a library
            sys.stderr.write("".join(f"    {line}\n" for line in said.rstrip().splitlines()))
        err.print(f"[red]{len(found)} problem(s){where}; nothing written.[/red]")
    raise typer.Exit(2)


def _keep(root: Path, files: dict[str, str], path: str) -> None:
    """A file build writes last, as it is on disk, so that planning keeps it."""
    if (root / path).is_file():
        files[path] = (root / path).read_text()


def _keep_document(root: Path, files: dict[str, str]) -> str | None:
    """Adds the OpenAPI document and its stamp to ``files`` as they are on disk; returns the
    digest of the inputs when the document must be made anew (None when it is current or the
    project has no runtime)."""
    if not openapi.applies(root):
        return None
    inputs = openapi.inputs_digest(((path, text.encode()) for path, text in files.items()), root)
    for path in (openapi.DOCUMENT, openapi.STAMP):
        _keep(root, files, path)
    return None if openapi.current(root, inputs) else inputs


@app.command()
def graph(root: RootOption = None) -> None:
    """Write only the ER diagrams (Mermaid, one per domain) into docs/er/."""
    root = _root(root)
    _, files = _generate_or_exit(root)
    diagrams = {p: t for p, t in files.items() if p.startswith("docs/er/")}
    plan = writer.plan(root, diagrams, managed_dirs=("docs/er",))
    writer.apply(root, diagrams, plan)
    out.print(
        f"{len(diagrams)} diagram files in docs/er "
        f"({len(plan.missing) + len(plan.changed)} written, {len(plan.extra)} removed)"
    )


@app.command()
def check(
    root: RootOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="List files only, no diff.")] = False,
    fmt: FormatOption = "text",
    full: Annotated[
        bool, typer.Option("--full", help="Render everything, even when the manifest matches.")
    ] = False,
) -> None:
    """Exit 1 when generated/ is not what the specs say (no database needed)."""
    root = _root(root)
    recorded = None if full else _unchanged(root)[1]
    if recorded is not None:  # inputs and outputs are those of the last build
        report.outcome(fmt, {"ok": True, "files": recorded["files"], "changed": [],
                             "missing": [], "extra": []})  # fmt: skip
        if fmt != "json":
            out.print(f"generated/ is up to date ({recorded['files']} files)")
        return
    project, files = _generate_or_exit(root, remember=False, fmt=fmt)
    _refuse_hand_owned(root, project, fmt)
    _keep(root, files, manifest.MANIFEST)  # a cache, never compared
    stale = _keep_document(root, files) is not None  # made from other code, or edited since
    plan = writer.plan(root, files)
    if stale and openapi.DOCUMENT not in plan.missing:
        plan.changed.append(openapi.DOCUMENT)
    drift = {"changed": plan.changed, "missing": plan.missing, "extra": plan.extra}
    report.outcome(fmt, {"ok": plan.clean, "files": len(files), **drift})
    if fmt == "json":
        if not plan.clean:
            raise typer.Exit(1)
        return
    if plan.clean:
        out.print(f"generated/ is up to date ({len(files)} files)")
        return
    if not quiet:
        sys.stdout.write(writer.diff(root, files, plan))
    for label, paths in drift.items():
        for path in paths:
            sys.stderr.write(f"{label}: {path}\n")
    err.print("[red]generated code is out of date: run `cxg-gen build`[/red]")
    raise typer.Exit(1)


@app.command()
def new(
    target: Annotated[
        str, typer.Argument(help="<scope>.<domain>.<table>, e.g. tenants.crm.visits")
    ],
    root: RootOption = None,
) -> None:
    """Write a spec skeleton (and the domain's _domain.yaml when it is new), never overwriting."""
    from generator import scaffold

    root = _root(root)
    try:
        written = scaffold.write(root, target)
    except ValueError as exc:
        err.print(str(exc))
        raise typer.Exit(2) from None
    except FileExistsError as exc:
        err.print(f"{Path(str(exc)).relative_to(root)} exists already")
        raise typer.Exit(1) from None
    for path in written:
        out.print(f"wrote {path.relative_to(root)}")
    out.print("edit it, then `cxg-gen build` (and `cxg-gen db revision` for its table)")


@app.command()
def show(
    entity: Annotated[str, typer.Argument(help="[<scope>.]<domain>.<table>, e.g. crm.customers")],
    root: RootOption = None,
    fmt: FormatOption = "text",
) -> None:
    """Print an entity as resolved: table, columns, indexes, endpoints, permission codes,
    references in and out."""
    from generator import inspect

    root = _root(root)
    project, _ = _generate_or_exit(root, remember=False, fmt=fmt)
    try:
        found = inspect.find(project, entity)
    except inspect.NotFound as exc:
        err.print(str(exc))
        raise typer.Exit(2) from None
    described = inspect.describe(project, found)
    if fmt == "json":
        report.outcome(fmt, described)
    else:
        sys.stdout.write(inspect.text(described))


@app.command()
def extend(
    scope: Annotated[str, typer.Argument(help="manager or tenants")],
    entity: Annotated[
        str,
        typer.Argument(
            help="<domain>.<table> (srm.sales_orders) for an entity's hooks, or <domain> (apm)"
            " for the router of the domain's declared actions"
        ),
    ],
    root: RootOption = None,
) -> None:
    """Write a hand-owned module, once (runtime/extensions/...): an entity's hooks, or a
    domain's custom endpoints."""
    root = _root(root)
    project, _ = _generate_or_exit(root)
    try:
        if "." in entity:
            path = extensions.write_skeleton(root, project, scope, entity)
        else:
            path = extensions.write_actions_skeleton(root, project, scope, entity)
    except StopIteration:
        err.print(f"no {'entity' if '.' in entity else 'domain'} {entity} in specs/{scope}")
        raise typer.Exit(2) from None
    except FileExistsError as exc:
        err.print(f"{Path(str(exc)).relative_to(root)} exists already; it is yours to edit")
        raise typer.Exit(1) from None
    guide = "runtime/logic/extend.py" if "." in entity else "runtime/logic/actions.py"
    out.print(f"wrote {path.relative_to(root)}: fill it in (see {guide})")


@app.command()
def schema(
    kind: Annotated[str, typer.Argument(help="entity or domain")] = "entity",
    root: RootOption = None,  # accepted for symmetry; the schema does not depend on it
) -> None:
    """Print the JSON Schema of the spec format (also written to specs/*.schema.json)."""
    from generator.render import spec_schemas

    schemas = spec_schemas()
    key = f"specs/{kind}.schema.json"
    if key not in schemas:
        err.print(f"unknown schema '{kind}' (entity or domain)")
        raise typer.Exit(2)
    sys.stdout.write(schemas[key])


# the commands that hand over to the runtime (generator/runtime_commands.py)
app.command()(runtime_commands.serve)
app.command("create-admin")(runtime_commands.create_admin)
db_app.command("upgrade")(runtime_commands.db_upgrade)
db_app.command("check")(runtime_commands.db_check)
db_app.command("revision")(runtime_commands.db_revision)
db_app.command("citus")(runtime_commands.db_citus)

main = app  # the console script (pyproject.toml: cxg-gen = "generator.cli:main")

if __name__ == "__main__":
    main()
