"""Shared fixtures: the tests' own office config (tests/fixtures/config/office.yaml,
never the shipped config.yaml an office edits), and a migrated, isolated
database per test on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from core.config import Settings
from core.loading import load_settings
from storage.db import Database, make_engine, upgrade

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
OFFICE_CONFIG = FIXTURES / "config" / "office.yaml"
POSTGRES_URL = os.environ.get(
    "PRESSWATCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def get_fixture(*parts: str) -> bytes:
    """Bytes of a recorded fixture file under tests/fixtures/."""
    return FIXTURES.joinpath(*parts).read_bytes()


@pytest.fixture(scope="session")
def office_settings() -> Settings:
    """The tests' own office config, validated."""
    return load_settings(OFFICE_CONFIG)


@pytest.fixture
def settings(office_settings: Settings, tmp_path: Path) -> Settings:
    """The tests' office config with its data directory moved into tmp_path."""
    profile = office_settings.profile.model_copy(update={"data_dir": tmp_path / "data"})
    return office_settings.model_copy(
        update={
            "profile": profile,
            "database": office_settings.database.model_copy(update={"url_env": None}),
            "digest": office_settings.digest.model_copy(
                update={"output_dir": tmp_path / "digests"}
            ),
            "export": office_settings.export.model_copy(
                update={"output_dir": tmp_path / "exports"}
            ),
        }
    )


def _postgres_available() -> bool:
    try:
        engine = make_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_ready() -> bool:
    available = _postgres_available()
    if not available and os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is not answering at {POSTGRES_URL} (CI must start it)")
    return available


@contextmanager
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: a temp SQLite file, or a private PostgreSQL schema
    dropped afterwards. The schema rides in the URL, so child processes (crawls)
    reach the same one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    if not request.getfixturevalue("postgres_ready"):
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A freshly migrated database: a temp SQLite file, or a private PostgreSQL schema."""
    with empty_database_url(request, tmp_path) as url:
        db = Database(make_engine(url))
        try:
            upgrade(db.engine)
            yield db
        finally:
            db.dispose()


@pytest.fixture
def database_url(database: Database) -> str:
    """The URL of the `database` fixture, usable from another process."""
    return database.engine.url.render_as_string(hide_password=False)


@pytest.fixture
def db_settings(settings: Settings, database_url: str) -> Settings:
    """`settings` pointing at the `database` fixture."""
    return settings.model_copy(
        update={"database": settings.database.model_copy(update={"url": database_url})}
    )
