"""A read-only or missing data folder (issue 13): commands that only read work
on a database this user cannot write, where SQLite allows it; commands that
write, and any command on a folder that is missing, fail with one line naming
the path and what to do.

Permissions do not bind root, so the commands run in a subprocess as an
unprivileged user (nobody) on a folder root owns."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import Settings
from pipeline.process.analyse import run_process
from storage.db import Database, make_engine, upgrade
from storage.sources import sync_sources
from tests.conftest import ROOT
from tests.pipeline.helpers import NOW, ScriptedAnalyzer, store_article, write_config

NOBODY = 65534
PRESSWATCH = Path(sys.executable).with_name("presswatch")


def _drop_privileges() -> list[str] | None:
    """A command prefix that runs the rest as nobody, or None where that is impossible."""
    if os.geteuid() != 0:
        return []  # already unprivileged: permissions bind as they are
    setpriv = shutil.which("setpriv")
    if setpriv:
        return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "nobody", "--"]
    return None


def _reachable_unprivileged(prefix: list[str] | None) -> bool:
    """Can nobody run this checkout's presswatch? Not when the clone sits in a folder
    private to root (`mktemp -d` is 0700): then these tests cannot run, not fail."""
    if prefix is None:
        return False
    if not prefix:
        return True
    probe = subprocess.run(
        [*prefix, str(PRESSWATCH), "--version"], capture_output=True, text=True, timeout=60
    )
    return probe.returncode == 0


PREFIX = _drop_privileges()
pytestmark = pytest.mark.skipif(
    not _reachable_unprivileged(PREFIX),
    reason="cannot run presswatch unprivileged (no setpriv/runuser, or a checkout private to root)",
)


def _run(config: Path, *command: str) -> subprocess.CompletedProcess[str]:
    assert PREFIX is not None
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(config.parent),
        "PYTHONDONTWRITEBYTECODE": "1",
        "LANG": "C.UTF-8",
    }
    return subprocess.run(
        [*PREFIX, str(PRESSWATCH), "--config", str(config), *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def base() -> Iterator[Path]:
    """A folder root owns that nobody can enter (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="presswatch-ro-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in (folder, *folder.rglob("*")):
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder)


def _seeded(base: Path, settings: Settings) -> tuple[Path, Path]:
    """A database with one open case and its alert, and a config naming it."""
    data = base / "data"
    path = data / "presswatch.db"
    url = f"sqlite:///{path}"
    database = Database(make_engine(url))
    try:
        upgrade(database.engine)
        with database.session() as session:
            sync_sources(session, settings.sources)
        store_article(
            database, title="Gạo mốc", new_story_title="Gạo mốc", text="Gạo mốc. SCORE=0.9"
        )
        assert run_process(settings, database, ScriptedAnalyzer(), now=NOW).cases_opened == 1
    finally:
        database.dispose()  # the last connection checkpoints and removes -wal and -shm
    config = base / "config.yaml"
    profile = settings.profile.model_copy(update={"data_dir": data})
    write_config(settings.model_copy(update={"profile": profile}), config, url)
    config.chmod(0o644)
    return config, path


def _lock_down(path: Path) -> None:
    for file in path.parent.iterdir():
        file.chmod(0o444)
    path.parent.chmod(0o555)


def _one_clear_line(result: subprocess.CompletedProcess[str], path: Path) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0], lines[0]
    return lines[0]


def test_read_commands_work_on_a_read_only_data_folder(base: Path, settings: Settings) -> None:
    config, path = _seeded(base, settings)
    _lock_down(path)
    for command in (["cases", "list"], ["cases", "show", "1"], ["alerts", "list"]):
        result = _run(config, *command)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
    assert "Gạo mốc" in _run(config, "cases", "list").stdout
    assert _run(config, "db", "check").returncode == 0
    assert not Path(f"{path}-wal").exists()  # nothing was written next to it


def test_a_command_that_writes_says_the_database_is_read_only(
    base: Path, settings: Settings
) -> None:
    config, path = _seeded(base, settings)
    _lock_down(path)
    line = _one_clear_line(_run(config, "cases", "assign", "1", "lan"), path)
    assert "read-only" in line and "writable" in line
    with sqlite3.connect(path) as connection:  # and nothing changed
        assert connection.execute("SELECT assignee FROM cases").fetchone() == (None,)


def test_read_commands_see_what_a_running_writer_has_not_checkpointed(
    base: Path, settings: Settings
) -> None:
    """With the owner's daemon running, -wal and -shm exist (and are not writable
    by the reader): SQLite reads them read-only; opening `immutable` would not."""
    config, path = _seeded(base, settings)
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("UPDATE cases SET title = 'Gạo mốc (viết lại)'")
        assert Path(f"{path}-wal").exists() and Path(f"{path}-shm").exists()
        _lock_down(path)
        result = _run(config, "cases", "list")
        assert result.returncode == 0, result.stderr
        assert "Gạo mốc (viết lại)" in result.stdout
    finally:
        writer.close()


def test_a_read_only_database_file_in_a_writable_folder_is_read(
    base: Path, settings: Settings
) -> None:
    config, path = _seeded(base, settings)
    path.chmod(0o444)
    path.parent.chmod(0o777)
    result = _run(config, "cases", "list")
    assert result.returncode == 0, result.stderr
    assert "Gạo mốc" in result.stdout
    _one_clear_line(_run(config, "cases", "note", "1", "xem lại"), path)


@pytest.mark.parametrize("command", [["cases", "list"], ["db", "upgrade"], ["process"]])
def test_a_missing_data_folder_that_cannot_be_created_names_the_path(
    base: Path, settings: Settings, command: list[str]
) -> None:
    parent = base / "srv"
    parent.mkdir()
    missing = parent / "data"
    config = base / "config.yaml"
    profile = settings.profile.model_copy(update={"data_dir": missing})
    write_config(
        settings.model_copy(update={"profile": profile}),
        config,
        f"sqlite:///{missing / 'presswatch.db'}",
    )
    config.chmod(0o644)
    parent.chmod(0o555)
    line = _one_clear_line(_run(config, *command), missing)
    assert "create it" in line
    assert not missing.exists()
