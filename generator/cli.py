"""The cxg-gen command line.

Generator commands (build, check, schema, graph) need no database and import nothing from
FastAPI or SQLAlchemy. Runtime commands (serve, db, create-admin) import the runtime lazily.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from generator import extensions, openapi, writer
from generator.diagnostics import SpecError

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


def _root(root: Path | None) -> Path:
    from generator.pipeline import find_root  # here: `serve` need not load the generator

    return (root or find_root(Path.cwd())).resolve()


def _generate_or_exit(root: Path, *, remember: bool = True):
    from generator.pipeline import generate

    try:
        return generate(root, remember=remember)
    except SpecError as exc:
        # plain lines, never wrapped: editors and CI parse file:line:col
        sys.stderr.write("".join(f"{diag}\n" for diag in exc.diagnostics))
        err.print(f"[red]{len(exc.diagnostics)} problem(s) in specs; nothing written.[/red]")
        raise typer.Exit(2) from None


@app.command()
def build(root: RootOption = None) -> None:
    """Render generated/ from specs/ and templates/, writing only files that changed."""
    root = _root(root)
    started = time.perf_counter()
    project, files = _generate_or_exit(root)
    if absent := extensions.missing(root, project):  # the app could not mount them
        for line in absent:
            sys.stderr.write(f"{line}\n")
        err.print("[red]hand-owned modules missing; nothing written[/red]")
        raise typer.Exit(1)
    document = _keep_document(root, files)
    plan = writer.plan(root, files)
    writer.apply(root, files, plan)
    if document is not None:  # the code changed: the runtime makes the document anew
        try:
            made = openapi.produce(root)
        except RuntimeError as exc:
            err.print(str(exc))
            raise typer.Exit(1) from None
        made_files = {openapi.DOCUMENT: made.decode(), openapi.STAMP: openapi.stamp(document, made)}
        writer.apply(root, made_files, writer.plan(root, made_files, managed_dirs=()))
        files.update(made_files)
    elapsed = time.perf_counter() - started
    written = len(plan.missing) + len(plan.changed) + (2 if document is not None else 0)
    out.print(
        f"{len(project.entities)} entities, {len(files)} files: {written} written, "
        f"{len(plan.extra)} removed, {len(files) - written} unchanged ({elapsed:.2f}s)"
    )


def _keep_document(root: Path, files: dict[str, str]) -> str | None:
    """Adds the OpenAPI document and its stamp to ``files`` as they are on disk; returns the
    digest of the inputs when the document must be made anew (None when it is current or the
    project has no runtime)."""
    if not openapi.applies(root):
        return None
    inputs = openapi.inputs_digest(((path, text.encode()) for path, text in files.items()), root)
    for path in (openapi.DOCUMENT, openapi.STAMP):
        if (root / path).is_file():
            files[path] = (root / path).read_text()
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
) -> None:
    """Exit 1 when generated/ is not what the specs say (no database needed)."""
    root = _root(root)
    project, files = _generate_or_exit(root, remember=False)
    stale = _keep_document(root, files) is not None  # made from other code, or edited since
    plan = writer.plan(root, files)
    if stale and openapi.DOCUMENT not in plan.missing:
        plan.changed.append(openapi.DOCUMENT)
    orphans = extensions.missing(root, project) + extensions.orphans(root, project)
    for orphan in orphans:  # hand-owned code the specs no longer back: the app would refuse it
        sys.stderr.write(f"{orphan}\n")
    if plan.clean and not orphans:
        out.print(f"generated/ is up to date ({len(files)} files)")
        return
    if orphans and plan.clean:
        err.print("[red]hand-owned modules and specs disagree: see above[/red]")
        raise typer.Exit(1)
    if not quiet:
        sys.stdout.write(writer.diff(root, files, plan))
    for label, paths in (
        ("changed", plan.changed),
        ("missing", plan.missing),
        ("extra", plan.extra),
    ):
        for path in paths:
            sys.stderr.write(f"{label}: {path}\n")
    err.print("[red]generated code is out of date: run `cxg-gen build`[/red]")
    raise typer.Exit(1)


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
    guide = "runtime/extend.py" if "." in entity else "runtime/actions.py"
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


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8100).")] = None,
    migrate: Annotated[bool, typer.Option(help="Apply migrations first.")] = True,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes (default: one per core in production, else one)."),
    ] = None,
) -> None:
    """Apply migrations and serve the API (embedded PostgreSQL when no URL is configured)."""
    from runtime.cli import serve as run

    run(host=host, port=port, migrate=migrate, workers=workers)


@app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option(help="Login name.")],
    email: Annotated[str, typer.Option(help="E-mail address.")],
    full_name: Annotated[str, typer.Option("--full-name", help="Display name.")] = "Administrator",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a MASTER administrator (password from stdin or CXG_ADMIN_PASSWORD)."""
    from runtime.cli import create_admin as run

    raise typer.Exit(
        run(username=username, email=email, full_name=full_name, password_stdin=password_stdin)
    )


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations to both databases."""
    from runtime.cli import db_upgrade as run

    run(revision)


@db_app.command("check")
def db_check() -> None:
    """Fail when models and migrations disagree (uses a scratch database)."""
    from runtime.cli import db_check as run

    raise typer.Exit(run())


@db_app.command("revision")
def db_revision(
    message: Annotated[str, typer.Option("-m", "--message", help="What the revision does.")],
    database: Annotated[str, typer.Option(help="manager, tenant or both.")] = "both",
) -> None:
    """Autogenerate a migration from the difference between models and migrations."""
    from runtime.cli import db_revision as run

    raise typer.Exit(run(message, database))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
