"""The tests' databases: SQLite files in each test's folder, or, with
BAITHAK_TEST_DATABASE_URL set (postgresql://postgres@127.0.0.1/postgres, say:
the server and a database to connect to while creating others), a new
PostgreSQL database for each app on that server.

On PostgreSQL every name starts with RUN, unique to this test run (several
runs may share a server). An app's database is a copy of a template made
once per run (`CREATE DATABASE ... TEMPLATE`: ~0.1 s instead of a schema's
worth of DDL); it is dropped, in a background thread, when the app is done,
and whatever this run made and still left is dropped at the end of the run
(tests/conftest.py), whether the tests passed or not.

`python -m tests.testdb URL` exits 0 when PostgreSQL at URL answers, else
says why and exits 1 (`make test-postgres`).
"""

from __future__ import annotations

import atexit
import os
import queue
import secrets
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from baithak.config import database_url

ENV = "BAITHAK_TEST_DATABASE_URL"
SERVER = os.environ.get(ENV, "")
RUN = f"baithak_test_{os.getpid()}_{secrets.token_hex(3)}"
CONNECT_TIMEOUT_S = 5


def on_postgres() -> bool:
    """True when the tests run on PostgreSQL (BAITHAK_TEST_DATABASE_URL set)."""
    return bool(SERVER)


def server_url(server: str = SERVER) -> sa.URL:
    """Return the server's URL (psycopg 3 driver), or raise ValueError for
    one that is not a postgresql:// URL."""
    try:
        url = sa.make_url(database_url(server))
    except sa.exc.ArgumentError:
        url = None
    if url is None or url.drivername != "postgresql+psycopg":
        raise ValueError(f"{ENV} must be a postgresql:// URL, not {_shown(server)}")
    return url


def _shown(server: str) -> str:
    """Return `server` as it may be printed: without its password."""
    try:
        return sa.make_url(server).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return repr(server)


def unreachable_reason(server: str = SERVER) -> str | None:
    """Return why PostgreSQL at `server` cannot be used, or None if it answers."""
    try:
        url = server_url(server)
    except ValueError as exc:
        return str(exc)
    try:
        engine = sa.create_engine(
            url,
            poolclass=sa.NullPool,
            connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
        )
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return f"PostgreSQL at {_shown(server)} is not reachable: {detail[0]}"
    return None


class _Server:
    """The PostgreSQL server of this run: creates and drops its databases."""

    def __init__(self) -> None:
        self.url = server_url()
        self.admin = sa.create_engine(
            self.url,
            isolation_level="AUTOCOMMIT",
            connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
        )
        self.template: str | None = None
        self._count = 0
        self._lock = threading.Lock()
        self._drops: queue.Queue[str | None] = queue.Queue()
        self._dropper: threading.Thread | None = None

    def uri(self, name: str) -> str:
        """Return the SQLAlchemy URI of database `name` on this server."""
        return self.url.set(database=name).render_as_string(hide_password=False)

    def new_name(self) -> str:
        """Return a database name never used before in this run."""
        with self._lock:
            self._count += 1
            return f"{RUN}_{self._count}"

    def create(self, template: str | None = None) -> str:
        """Create a database (a copy of `template`, else empty); return its URI."""
        name = self.new_name()
        copy = f" TEMPLATE {template}" if template else ""
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}{copy}")
        return self.uri(name)

    def drop_later(self, uri: str) -> None:
        """Drop this run's database at `uri` soon, in the background (DROP
        DATABASE takes ~0.2 s, longer than many a test)."""
        with self._lock:
            if self._dropper is None:
                self._dropper = threading.Thread(
                    target=self._drop_queued, name="drop test databases", daemon=True
                )
                self._dropper.start()
        self._drops.put(sa.make_url(uri).database)

    def _drop_queued(self) -> None:
        while (name := self._drops.get()) is not None:
            # Leftovers are dropped at the end of the run; never stop the tests.
            try:
                self.drop(name)
            except sa.exc.SQLAlchemyError as exc:
                print(f"could not drop test database {name}: {exc}", file=sys.stderr)

    def drop(self, name: str) -> None:
        """Drop database `name`, closing any connection still open to it."""
        assert name.startswith(RUN), name  # never anyone else's
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def drop_everything(self) -> None:
        """Wait for the queued drops, then drop every database of this run left."""
        if self._dropper is not None:
            self._drops.put(None)
            self._dropper.join()
        with self.admin.connect() as connection:
            names = (
                connection.execute(
                    sa.text(
                        "SELECT datname FROM pg_database WHERE datname LIKE :run"
                        " ORDER BY datname"
                    ),
                    {"run": RUN.replace("_", r"\_") + r"\_%"},
                )
                .scalars()
                .all()
            )
            for name in names:
                connection.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        self.admin.dispose()


_server: _Server | None = None
# Databases of live servers by folder: a server restarted in the same folder
# finds the database it had.
_by_folder: dict[tuple[Path, str], str] = {}


def _the_server() -> _Server:
    global _server
    if _server is None:
        _server = _Server()
        atexit.register(finish)  # if pytest never gets to sessionfinish
    return _server


def database_uri(folder: Path, name: str = "baithak") -> str:
    """Return the URI of an empty database for `folder`: the SQLite file
    `folder`/`name`.sqlite3, or (PostgreSQL) a new database, the same one
    each time for the same `folder` and `name`, dropped at the end of the run.
    The caller creates the schema (create_all, or `flask init-db`)."""
    if not on_postgres():
        return f"sqlite:///{folder / name}.sqlite3"
    key = (Path(folder).resolve(), name)
    if key not in _by_folder:
        _by_folder[key] = _the_server().create()
    return _by_folder[key]


def copy_of_template(fill: Callable[[str], None]) -> tuple[str, Callable[[], None]]:
    """PostgreSQL: return (URI, done) for a new copy of this run's template,
    which `fill(uri)` gives the schema and the global room on first use;
    call done() once the app's engine is disposed of: it drops the copy."""
    server = _the_server()
    if server.template is None:
        uri = server.create()
        fill(uri)
        server.template = sa.make_url(uri).database
    uri = server.create(template=server.template)
    return uri, lambda: server.drop_later(uri)


def finish() -> None:
    """Drop every PostgreSQL database this run made (nothing on SQLite)."""
    global _server
    if _server is not None:
        server, _server = _server, None
        _by_folder.clear()
        server.drop_everything()


if __name__ == "__main__":
    reason = unreachable_reason(sys.argv[1] if len(sys.argv) > 1 else SERVER)
    if reason:
        print(reason, file=sys.stderr)
    sys.exit(1 if reason else 0)
