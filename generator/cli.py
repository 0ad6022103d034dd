"""The cxg-gen command line.

Generator commands (build, check, schema, graph) need no database and import nothing from
FastAPI or SQLAlchemy. Runtime commands (serve, db, create-admin) import the runtime lazily.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from generator.commands import extensions, report, runtime_commands
from generator.commands.building import (
    build_once,
    err,
    generate_or_exit,
    keep,
    keep_document,
    out,
    project_root,
    refuse_hand_owned,
    unchanged,
)
from generator.render import manifest, openapi, writer

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


RootOption = Annotated[
    Path | None, typer.Option("--root", help="Project root (default: nearest with specs/).")
]


FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        help="text (file:line:col lines), json, or github (annotations; automatic under Actions).",
    ),
]


@app.command()
def build(
    root: RootOption = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Build again whenever specs or templates change.")
    ] = False,
    fmt: FormatOption = "text",
) -> None:
    """Render generated/ from specs/ and templates/, writing only files that changed."""
    root = project_root(root)
    if not watch:
        build_once(root, fmt)
        return
    from generator.commands.watch import watch as watching

    watching(root, lambda: build_once(root, fmt), out)


@app.command()
def graph(root: RootOption = None) -> None:
    """Write only the ER diagrams (Mermaid, one per domain) into docs/er/."""
    root = project_root(root)
    _, files = generate_or_exit(root)
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
    root = project_root(root)
    recorded = None if full else unchanged(root)[1]
    if recorded is not None:  # inputs and outputs are those of the last build
        said = recorded.get("warnings", [])
        report.warnings((report.from_data(w) for w in said), fmt)
        report.outcome(fmt, {"ok": True, "files": recorded["files"], "changed": [],
                             "missing": [], "extra": [], "warnings": said})  # fmt: skip
        if fmt != "json":
            out.print(f"generated/ is up to date ({recorded['files']} files)")
        return
    project, files = generate_or_exit(root, remember=False, fmt=fmt)
    refuse_hand_owned(root, project, fmt)
    keep(root, files, manifest.MANIFEST)  # a cache, never compared
    stale = keep_document(root, files) is not None  # made from other code, or edited since
    plan = writer.plan(root, files)
    if stale and openapi.DOCUMENT not in plan.missing:
        plan.changed.append(openapi.DOCUMENT)
    drift = {"changed": plan.changed, "missing": plan.missing, "extra": plan.extra}
    said = [report.as_data(w) for w in project.warnings]
    report.outcome(fmt, {"ok": plan.clean, "files": len(files), **drift, "warnings": said})
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
    from generator.commands import scaffold

    root = project_root(root)
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
    from generator.commands import inspect

    root = project_root(root)
    project, _ = generate_or_exit(root, remember=False, fmt=fmt)
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
    root = project_root(root)
    project, _ = generate_or_exit(root)
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
    from generator.render.templates import spec_schemas

    schemas = spec_schemas()
    key = f"specs/{kind}.schema.json"
    if key not in schemas:
        err.print(f"unknown schema '{kind}' (entity or domain)")
        raise typer.Exit(2)
    sys.stdout.write(schemas[key])


# the commands that hand over to the runtime (generator/commands/runtime_commands.py)
app.command()(runtime_commands.serve)
app.command("create-admin")(runtime_commands.create_admin)
db_app.command("upgrade")(runtime_commands.db_upgrade)
db_app.command("check")(runtime_commands.db_check)
db_app.command("revision")(runtime_commands.db_revision)
db_app.command("citus")(runtime_commands.db_citus)

main = app  # the console script (pyproject.toml: cxg-gen = "generator.cli:main")

if __name__ == "__main__":
    main()
