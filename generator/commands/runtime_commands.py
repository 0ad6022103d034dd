"""The commands that hand over to the runtime (serving, the databases, the first admin), and
``db citus``, which prints what build writes for a distributed tenant database.

They import runtime.cli only when run, so the generator's own commands (build, check, show...)
never load FastAPI, SQLAlchemy or a database driver. generator.cli registers them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


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


def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    allow_data_loss: Annotated[
        bool,
        typer.Option(
            "--allow-data-loss",
            help="Let a migration drop tables that still hold live rows (refused otherwise).",
        ),
    ] = False,
) -> None:
    """Apply migrations to both databases."""
    from runtime.cli import db_upgrade as run

    run(revision, allow_data_loss=allow_data_loss)


def db_check() -> None:
    """Fail when models and migrations disagree (uses a scratch database)."""
    from runtime.cli import db_check as run

    raise typer.Exit(run())


def db_revision(
    message: Annotated[str, typer.Option("-m", "--message", help="What the revision does.")],
    database: Annotated[str, typer.Option(help="manager, tenant or both.")] = "both",
) -> None:
    """Autogenerate a migration from the difference between models and migrations."""
    from runtime.cli import db_revision as run

    raise typer.Exit(run(message, database))


def db_citus(
    root: Annotated[
        Path | None, typer.Option("--root", help="Project root (default: nearest with specs/).")
    ] = None,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="Run it on the tenant database (CXG_TENANT_DATABASE_URL, the coordinator) in "
            "one transaction, then let the application role log in on the workers.",
        ),
    ] = False,
) -> None:
    """Print the Citus distribution DDL of the tenant database (docs/citus/, as build writes
    it), or apply it."""
    from generator.commands.building import generate_or_exit, project_root

    _, files = generate_or_exit(project_root(root), remember=False)
    ddl = [text for path, text in files.items() if path.startswith("docs/citus/")]
    if not ddl:
        typer.echo("no tenant-scoped entities: nothing to distribute", err=True)
        raise typer.Exit(1)
    if not apply:
        typer.echo("\n".join(ddl), nl=False)
        return
    from runtime.cli import db_citus_apply

    raise typer.Exit(db_citus_apply("\n".join(ddl)))
