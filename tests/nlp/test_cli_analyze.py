from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()


@pytest.mark.slow
def test_analyze_skips_malformed_lines_and_reports_their_number(
    tmp_path: Path, config_file: Callable[..., Path]
) -> None:
    config = config_file()
    lines = [
        json.dumps({"id": 1, "title": "Lũ ở Quảng Bình", "text": "Mưa lũ gây ngập ở Lệ Thủy."}),
        "{not json",
        json.dumps({"title": "no id"}),
        "",
        json.dumps(
            {
                "id": "x",
                "title": "Son Doong",
                "text": "Son Doong cave tours reopen.",
                "language": "en",
                "origin": "foreign",
                "url": "https://example.org/a",
            }
        ),
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    result = runner.invoke(
        app, ["--config", str(config), "analyze", str(source), "-o", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert (
        "line 2:" in result.output
        and "line 3:" in result.output
        and "missing 'id'" in result.output
    )
    rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in rows] == ["1", "x"]
    assert rows[0]["relevant"] is True
    assert {"name", "start", "end"} <= set(rows[0]["places"][0])
    assert rows[1]["language"] == "en"
    assert set(rows[1]["stance"]) >= {"label", "score"}


@pytest.mark.slow
def test_analyze_to_stdout(tmp_path: Path, config_file: Callable[..., Path]) -> None:
    config = config_file()
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "1", "title": "Đồng Hới", "text": ""}) + "\n", "utf-8")
    result = runner.invoke(app, ["--config", str(config), "analyze", str(source)])
    assert result.exit_code == 0, result.output
    assert '"id": "1"' in result.output
