"""Transactions on SQLite behave as on PostgreSQL: a savepoint that is a
session's first write stays inside the outer transaction (issue 13)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.config import Settings
from core.errors import StorageError
from storage.db import READ_ONLY_OPTION, Database, make_engine
from storage.models import StoryRow


def _stories(database: Database) -> int:
    other = make_engine(database.engine.url.render_as_string(hide_password=False))
    try:
        with other.connect() as connection:
            connection = connection.execution_options(**{READ_ONLY_OPTION: True})
            return int(connection.scalar(select(func.count()).select_from(StoryRow)) or 0)
    finally:
        other.dispose()


def test_first_write_savepoint_is_invisible_until_commit_and_undone_by_rollback(
    database: Database,
) -> None:
    session = database._sessions()
    try:
        with session.begin_nested():
            session.add(StoryRow(title="inside a savepoint", article_count=0))
            session.flush()
        # RELEASE must not have committed: another connection sees nothing yet.
        assert _stories(database) == 0
        session.rollback()
    finally:
        session.close()
    assert _stories(database) == 0


def test_failing_unit_of_work_leaves_nothing(database: Database) -> None:
    with pytest.raises(RuntimeError), database.session() as session:
        with session.begin_nested():
            session.add(StoryRow(title="a", article_count=0))
        session.add(StoryRow(title="b", article_count=0))
        session.flush()
        raise RuntimeError("killed between two writes")
    assert _stories(database) == 0
    with database.session() as session, session.begin_nested():
        session.add(StoryRow(title="kept", article_count=0))
    assert _stories(database) == 1


def test_sqlite_files_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "presswatch.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        files = [p for p in path.parent.iterdir() if p.name.startswith("presswatch.db")]
        assert {p.name for p in files} >= {"presswatch.db", "presswatch.db-wal"}
        for file in files:
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    finally:
        engine.dispose()


def test_missing_data_folder_under_a_file_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="not-a-folder"):
        Database.open(f"sqlite:///{blocker / 'data' / 'presswatch.db'}")


def test_a_reader_waits_for_no_writer_and_writers_queue(database: Database) -> None:
    """Writers take the lock at BEGIN (IMMEDIATE), so a read-then-write session queues
    on the busy timeout instead of failing with "database is locked" at once."""
    with database.session() as writer:
        writer.add(StoryRow(title="held", article_count=0))
        writer.flush()
        with database.read_session() as reader:
            assert reader.scalar(select(func.count()).select_from(StoryRow)) == 0
    import threading

    errors: list[BaseException] = []

    def read_then_write(n: int) -> None:
        try:
            for _ in range(5):
                with database.session() as session:
                    session.scalar(select(func.count()).select_from(StoryRow))
                    session.add(StoryRow(title=f"t{n}", article_count=0))
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=read_then_write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _stories(database) == 21


def test_storage_errors_name_the_database_and_what_to_do(tmp_path: Path) -> None:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from storage.db import describe_storage_error

    path = tmp_path / "data" / "presswatch.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        unopenable = OperationalError("SELECT 1", {}, sqlite3.OperationalError("unable to open"))
        message = describe_storage_error(engine, unopenable)
        assert str(path) in message and "writable" in message
        full = OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))
        assert "free disk space" in describe_storage_error(engine, full)
    finally:
        engine.dispose()


def test_every_command_on_an_unusable_data_folder_says_which_path(
    tmp_path: Path, settings: Settings
) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app
    from tests.pipeline.helpers import write_config

    blocker = tmp_path / "data-is-a-file"
    blocker.write_text("x")
    config = tmp_path / "config.yaml"
    write_config(settings, config, f"sqlite:///{blocker / 'presswatch.db'}")
    for command in (["cases", "list"], ["db", "upgrade"], ["process"]):
        result = CliRunner().invoke(app, ["--config", str(config), *command])
        assert result.exit_code == 2, (command, result.output)
        assert str(blocker) in result.output and "Traceback" not in result.output
