"""Hostile or broken input is refused plainly, never with a traceback, a
runaway or a printed secret (issue 13)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.errors import ConfigError
from core.loading import load_settings, parse_settings
from pipeline.cli import app
from tests.conftest import OFFICE_CONFIG

CONFIG_TEXT = OFFICE_CONFIG.read_text(encoding="utf-8")
runner = CliRunner()


def _alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, levels + 1):
        refs = ", ".join([f"*a{n - 1}"] * 9)
        lines.append(f"a{n}: &a{n} [{refs}]")
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_is_refused_fast(tmp_path: Path) -> None:
    bomb = (
        CONFIG_TEXT
        + "\nnarratives_extra:\n"
        + "".join(f"  {line}\n" for line in _alias_bomb().splitlines())
    )
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb, encoding="utf-8")
    started = time.monotonic()
    result = runner.invoke(app, ["--config", str(path), "config", "check"])
    assert time.monotonic() - started < 5
    assert result.exit_code == 1
    assert "aliases" in result.output and "Traceback" not in result.output


def test_a_few_aliases_expanding_too_far_are_refused() -> None:
    # Under the alias count, but each level multiplies: refused by expanded size.
    lines = ["a0: &a0 [" + ", ".join(['"x"'] * 50) + "]"]
    for n in range(1, 6):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 20) + "]")
    with pytest.raises(ConfigError, match="expand") as caught:
        parse_settings("\n".join(lines) + "\n")
    # Named at the collection whose aliases go over (a4, line 5), not "line ?".
    assert [issue.line for issue in caught.value.issues] == [5]
    assert "line 5:" in str(caught.value) and "line ?" not in str(caught.value)


def test_an_expansion_past_the_limit_inside_a_config_names_its_line() -> None:
    bomb = ["a0: &a0 [" + ", ".join(['"x"'] * 50) + "]"]
    bomb += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 20) + "]" for n in range(1, 6)]
    text = CONFIG_TEXT + "\nnarratives_extra:\n" + "".join(f"  {line}\n" for line in bomb)
    first = len(CONFIG_TEXT.splitlines()) + 3  # the line of a0
    with pytest.raises(ConfigError, match="expand") as caught:
        parse_settings(text)
    assert caught.value.issues[0].line == first + 4


def test_a_non_utf8_config_names_the_line(tmp_path: Path) -> None:
    lines = CONFIG_TEXT.splitlines(keepends=True)
    broken = (
        "".join(lines[:4]).encode() + b"  name: \xff\xfe broken\n" + "".join(lines[5:]).encode()
    )
    path = tmp_path / "latin1.yaml"
    path.write_bytes(broken)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert caught.value.issues[0].line == 5
    assert "line 5" in str(caught.value) and "UTF-8" in str(caught.value)


@pytest.mark.parametrize(
    ("section", "key"),
    [("smtp:\n", "password"), ("smtp:\n", "token"), ("database:\n", "secret_key")],
)
def test_a_secret_typed_into_the_config_says_where_it_belongs(section: str, key: str) -> None:
    text = CONFIG_TEXT.replace(section, f"{section}  {key}: hunter2-value\n", 1)
    with pytest.raises(ConfigError) as caught:
        parse_settings(text)
    message = str(caught.value)
    assert "environment variable" in message and f"`{key}_env`" in message
    assert "hunter2" not in message


def test_a_secret_given_as_an_env_name_is_never_printed() -> None:
    text = CONFIG_TEXT.replace("smtp:\n", "smtp:\n  password_env: 's3cr3t!pass word'\n", 1)
    with pytest.raises(ConfigError) as caught:
        parse_settings(text)
    assert "password_env" in str(caught.value) and "s3cr3t" not in str(caught.value)


def test_a_password_in_the_database_url_is_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    text = CONFIG_TEXT.replace(
        "  url: null\n", "  url: postgresql+psycopg://office:hunter2@db.example/pw\n", 1
    )
    with caplog.at_level(logging.WARNING, logger="core.loading"):
        parse_settings(text)
    assert "database.url holds a password" in caplog.text and "hunter2" not in caplog.text


def test_analyze_input_with_a_non_utf8_line_keeps_the_other_lines(tmp_path: Path) -> None:
    from pipeline.cli.nlp import _utf8_lines

    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"id": 1, "title": "a"}\n{"id": 2, "title": "\xff\xfe"}\n{"id": 3}\n')
    with _utf8_lines(source) as (readable, bad):
        assert [n for n, _ in bad] == [2] and "not UTF-8" in bad[0][1]
        kept = readable.read_text(encoding="utf-8").splitlines()
    assert kept == ['{"id": 1, "title": "a"}', "", '{"id": 3}']  # numbering kept


@pytest.mark.slow
def test_analyze_reports_the_non_utf8_line_and_goes_on(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        b'{"id": 1, "title": "L\xc5\xa9 \xe1\xbb\x9f Qu\xe1\xba\xa3ng B\xc3\xacnh"}\n'
        b'{"id": 2, "title": "caf\xe9 latin-1"}\n'
        b'{"id": 3, "title": "Son Doong cave tours reopen", "language": "en"}\n'
    )
    output = tmp_path / "out.jsonl"
    result = runner.invoke(
        app, ["--config", str(OFFICE_CONFIG), "analyze", str(source), "-o", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert "line 2: not UTF-8" in result.output
    ids = [line.split('"id": ')[1].split(",")[0] for line in output.read_text().splitlines()]
    assert ids == ['"1"', '"3"']
