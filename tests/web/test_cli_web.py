"""`presswatch users ...` and the serve command's secret key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import Settings
from pipeline.web.app import secret_key_for
from pipeline.web.passwords import verify_password
from storage.db import Database
from storage.users import get_user

runner = CliRunner()


@pytest.fixture
def config_file(tmp_path: Path, database_url: str) -> Path:
    root = Path(__file__).resolve().parents[2]
    data = yaml.safe_load((root / "config.yaml").read_text(encoding="utf-8"))
    data["database"] = {"url": database_url, "url_env": None}
    data["profile"]["data_dir"] = str(tmp_path / "data")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _run(config: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["--config", str(config), *args], input=stdin)
    return result.exit_code, result.output


def test_users_add_passwd_disable_list(config_file: Path, database: Database) -> None:
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
