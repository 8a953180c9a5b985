"""`presswatch users ...` and the serve command's secret key."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from core.config import Settings
from pipeline.cli import app
from pipeline.web.app import secret_key_for
from pipeline.web.passwords import verify_password
from storage.db import Database, make_engine, upgrade
from storage.users import get_user
from tests.conftest import OFFICE_CONFIG

runner = CliRunner()


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    """The CLI is tested on SQLite only: the repository underneath runs on both
    backends in the web tests already."""
    database = Database(make_engine(f"sqlite:///{tmp_path / 'cli.db'}"))
    upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def config_file(tmp_path: Path, sqlite_database: Database) -> Path:
    data = yaml.safe_load(OFFICE_CONFIG.read_text(encoding="utf-8"))
    url = sqlite_database.engine.url.render_as_string(hide_password=False)
    data["database"] = {"url": url, "url_env": None}
    data["profile"]["data_dir"] = str(tmp_path / "data")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _run(config: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["--config", str(config), *args], input=stdin)
    return result.exit_code, result.output


def test_users_add_passwd_disable_list(config_file: Path, sqlite_database: Database) -> None:
    database = sqlite_database
    code, out = _run(
        config_file,
        "users",
        "add",
        "lan",
        "--role",
        "admin",
        "--password-stdin",
        stdin="first password\n",
    )
    assert code == 0, out
    code, out = _run(
        config_file, "users", "add", "lan", "--password-stdin", stdin="first password\n"
    )
    assert code == 2 and "exists" in out
    code, out = _run(config_file, "users", "add", "short", "--password-stdin", stdin="abc\n")
    assert code == 2 and "at least 8" in out
    code, out = _run(
        config_file,
        "users",
        "add",
        "bad",
        "--role",
        "boss",
        "--password-stdin",
        stdin="long enough\n",
    )
    assert code == 2
    code, out = _run(
        config_file, "users", "passwd", "lan", stdin="second password\nsecond password\n"
    )
    assert code == 0, out
    with database.session() as session:
        user = get_user(session, "lan")
    assert user is not None and user.role == "admin"
    assert verify_password(user.password_hash, "second password")
    assert "second password" not in user.password_hash
    code, out = _run(config_file, "users", "disable", "lan")
    assert code == 0
    code, out = _run(config_file, "users", "list")
    assert "lan\tadmin\tvi\tdisabled" in out
    code, out = _run(config_file, "users", "disable", "lan", "--enable")
    assert code == 0 and "lan\tadmin\tvi\tactive" in _run(config_file, "users", "list")[1]
    assert (
        _run(config_file, "users", "passwd", "ghost", "--password-stdin", stdin="whatever123\n")[0]
        == 2
    )


def test_users_signout_ends_every_session(config_file: Path, sqlite_database: Database) -> None:
    import datetime as dt

    from storage.users import live_session_count, session_user, start_session

    code, out = _run(config_file, "users", "add", "lan", "--password-stdin", stdin="long enough\n")
    assert code == 0, out
    with sqlite_database.session() as session:
        for token in ("laptop", "phone"):
            start_session(session, "lan", token, dt.timedelta(hours=1))
    code, out = _run(config_file, "users", "signout", "lan")
    assert code == 0 and "2 session(s) ended" in out
    with sqlite_database.session() as session:
        assert live_session_count(session, "lan") == 0
        assert session_user(session, "laptop") is None
    assert _run(config_file, "users", "signout", "ghost")[0] == 2


def test_secret_key_from_env_else_kept_in_data_dir(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(settings.web.secret_key_env, raising=False)
    first = secret_key_for(settings)
    path = settings.data_dir / "web_secret_key"
    assert path.exists() and oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert secret_key_for(settings) == first and len(first) >= 40
    monkeypatch.setenv(settings.web.secret_key_env, "from-the-environment")
    assert secret_key_for(settings) == "from-the-environment"


@pytest.mark.slow
def test_serve_runs_the_app(config_file: Path, tmp_path: Path) -> None:
    """`presswatch serve --port N` answers on 127.0.0.1 and keeps its key in the data dir."""
    import socket
    import subprocess
    import time

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "PRESSWATCH_SECRET_KEY"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from pipeline.cli import main; main()",
            "--config",
            str(config_file),
            "serve",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/app/login", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "serve did not answer"
                time.sleep(0.1)
        assert response.status_code == 200 and "Đăng nhập" in response.text
        assert (tmp_path / "data" / "web_secret_key").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)
