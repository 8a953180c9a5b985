"""The foundation commands, run the way a user runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from tests.conftest import OFFICE_CONFIG

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("presswatch ")


def test_init_then_check_then_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRESSWATCH_DATABASE_URL", raising=False)
    result = runner.invoke(app, ["init", "office"])
    assert result.exit_code == 0, result.output
    config = tmp_path / "office" / "config.yaml"
    assert "# presswatch configuration" in config.read_text(encoding="utf-8")
    assert runner.invoke(app, ["init", "office"]).exit_code == 2  # never overwrites silently

    result = runner.invoke(app, ["--config", str(config), "config", "check"])
    assert result.exit_code == 0 and "OK" in result.output

    result = runner.invoke(app, ["--config", str(config), "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "presswatch.db").exists()
    again = runner.invoke(app, ["--config", str(config), "db", "upgrade"])
    assert again.exit_code == 0


def test_config_check_lists_every_problem(tmp_path: Path) -> None:
    text = OFFICE_CONFIG.read_text(encoding="utf-8")
    broken = text.replace("  retries: 1", "  retries: lots", 1).replace(
        '  process: "*/15 * * * *"', '  process: "every minute"', 1
    )
    path = tmp_path / "bad.yaml"
    path.write_text(broken, encoding="utf-8")
    result = runner.invoke(app, ["--config", str(path), "config", "check"])
    assert result.exit_code == 1
    assert "crawl.retries" in result.output and "schedules.process" in result.output
    assert "2 problem(s)" in result.output


def test_config_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESSWATCH_CONFIG", str(tmp_path / "nowhere.yaml"))
    result = runner.invoke(app, ["config", "check"])
    assert result.exit_code == 1 and "nowhere.yaml" in result.output


def test_every_command_has_help() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for group in ([], ["config"], ["db"]):
        sub = runner.invoke(app, [*group, "--help"])
        assert sub.exit_code == 0 and "Usage" in sub.output
