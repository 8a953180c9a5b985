"""Engines, sessions and the schema-version gate. No module-level engine: the
caller builds one from settings, so tests can point anywhere.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import SchemaError, StorageError

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Execution option of connections that only read (SQLite: a deferred BEGIN).
READ_ONLY_OPTION = "presswatch_read_only"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys, a busy timeout and
    real transactions (see `_sqlite_connect`).

    A PostgreSQL schema can ride in the URL (`?options=-csearch_path%3Dname`),
    which is how the tests isolate runs from each other.
    """
    parsed = make_url(url)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database).absolute()
            _prepare_sqlite_file(path)
            read_only = _sqlite_read_only_options(path)
            if read_only is not None:
                logger.info("%s is not writable by this user: opened read-only", path)
                parsed = parsed.set(
                    database=f"file:{quote(str(path))}",
                    query={**parsed.query, **read_only, "uri": "true"},
                )
        connect_args["timeout"] = 30
    engine = create_engine(parsed, echo=echo, connect_args=connect_args, pool_pre_ping=True)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _prepare_sqlite_file(path: Path) -> None:
    """Create the data folder and an owner-only database file, or say plainly why not.

    SQLite gives the -wal and -shm files the database file's permissions, so a
    0600 database keeps all three private (articles, users' password hashes).
    """
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"cannot create the data folder {folder}: {exc.strerror or exc}; create it "
            "(writable by this user) or point profile.data_dir / database.url elsewhere"
        ) from None
    if not path.exists():
        try:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        except OSError as exc:
            raise StorageError(
                f"cannot create the database {path}: {exc.strerror or exc}; make {folder} "
                "writable by this user or point profile.data_dir / database.url elsewhere"
            ) from None
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if candidate.exists() and candidate.stat().st_uid == os.getuid():
                candidate.chmod(0o600)
        except OSError:  # read-only folder or file: opening will say what is wrong
            pass


def _sqlite_read_only_options(path: Path) -> dict[str, str] | None:
    """SQLite URI options to read a database this user cannot write, or None.

    A WAL database is read through its -shm index (sqlite.org/wal.html, "Read-Only
    Databases"): with `mode=ro` SQLite creates -shm where the folder is writable,
    or reads existing -wal and -shm files read-only (a writer, such as the owner's
    daemon, has them open). In a read-only folder without them no writer can be
    active, and `immutable=1` lets SQLite read the file without any.
    """
    folder = path.parent
    if os.access(path, os.W_OK) and os.access(folder, os.W_OK | os.X_OK):
        return None
    if os.access(folder, os.W_OK | os.X_OK) or Path(f"{path}-shm").exists():
        return {"mode": "ro"}
    return {"mode": "ro", "immutable": "1"}


def sqlite_path(engine: Engine) -> Path | None:
    """The database file of a SQLite engine (also when opened read-only by URI)."""
    if engine.url.get_backend_name() != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return Path(unquote(database.removeprefix("file:").split("?", 1)[0]))
    return Path(database)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling (implicit BEGIN before DML only, and
    # none at SAVEPOINT) makes a first-write `begin_nested()` commit at RELEASE.
    # SQLAlchemy's documented recipe: turn it off here and emit BEGIN ourselves
    # in `_sqlite_begin`, so savepoints nest inside one real transaction.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    except Exception:  # a read-only database keeps its journal mode; reads still work
        logger.debug("cannot switch the SQLite journal to WAL", exc_info=True)
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # The recipe emits BEGIN; IMMEDIATE takes the write lock up front. With a
    # deferred BEGIN a session that reads and then writes fails at once with
    # "database is locked" when another connection wrote in between (SQLite
    # cannot upgrade a stale read snapshot, and the busy timeout does not help);
    # taking the lock first makes writers queue on the busy timeout instead.
    # Sessions that only read can use `Database.read_session` (a deferred BEGIN,
    # which in WAL mode no writer blocks). Sent on the DBAPI connection so it is
    # not counted as a statement by cursor-execute listeners.
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    if connection.get_execution_options().get(READ_ONLY_OPTION):
        dbapi.execute("BEGIN")  # `Database.read_session`: never blocks on a writer
        return
    try:
        dbapi.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "readonly" not in str(exc) and "read-only" not in str(exc):
            raise
        dbapi.execute("BEGIN")  # a read-only database: reads still work


def describe_storage_error(engine: Engine, exc: BaseException) -> str:
    """One line naming the database and what to do, for an OperationalError."""
    where = engine.url.render_as_string(hide_password=True)
    message = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    path = sqlite_path(engine)
    if path is not None:
        lowered = message.lower()
        if "readonly" in lowered or "read-only" in lowered:
            return (
                f"the database {path} is read-only for this user ({message}): this command "
                f"writes; run it as the user that owns {path}, or make {path.parent} and the "
                "files in it writable by this user (commands that only read work as they are)"
            )
        if "unable to open" in lowered:
            return (
                f"cannot open the database {path} for writing ({message}): check that "
                f"{path.parent} and the files in it exist and are writable by this user"
            )
        if "disk is full" in lowered:
            return f"the database {path} cannot be written ({message}): free disk space"
        if "disk i/o" in lowered:
            return f"the database {path} cannot be written ({message}): check the disk"
    return f"database error at {where}: {message}"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision` (idempotent); refuse a newer schema
    plainly (Alembic itself fails with "Can't locate revision" and a traceback)."""
    current = current_revision(engine)
    if current is not None and current not in _known_revisions():
        where = engine.url.render_as_string(hide_password=True)
        raise SchemaError(
            f"the database at {where} is at schema {current}, newer than this presswatch "
            f"knows (latest {head_revision()}): upgrade presswatch; nothing was changed"
        )
    command.upgrade(alembic_config(engine), revision)


def _known_revisions() -> set[str]:
    return {rev.revision for rev in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()}


def check_schema(engine: Engine) -> None:
    """Refuse to run on an unmigrated or newer-than-known database."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    where = engine.url.render_as_string(hide_password=True)
    if current is None:
        raise SchemaError(
            f"the database at {where} has no presswatch schema yet: run `presswatch db upgrade`"
        )
    if current not in _known_revisions():
        raise SchemaError(
            f"the database at {where} is at schema {current}, newer than this presswatch "
            f"knows (latest {head}): upgrade presswatch"
        )
    raise SchemaError(
        f"the database at {where} is at schema {current}, older than {head}: "
        "run `presswatch db upgrade`"
    )


class Database:
    """An engine plus a session factory; the handle every stage is given."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
        )

    @classmethod
    def open(cls, url: str, *, check: bool = True) -> Database:
        engine = make_engine(url)
        try:
            if check:
                check_schema(engine)
            else:
                with engine.connect():
                    pass
        except OperationalError as exc:
            engine.dispose()
            raise StorageError(describe_storage_error(engine, exc)) from None
        return cls(engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commit on success, roll back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session that only reads: on SQLite it waits for no writer (and takes
        no write lock, so it also works on a read-only database file). Writing in
        it can fail with "database is locked" under concurrency: use `session()`."""
        session = self._read_sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
