"""The workflow commands as an analyst types them: process, cases, digest, export, alerts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.config import Settings
from pipeline.cli import app
from storage.db import Database
from storage.sources import sync_sources
from tests.pipeline.helpers import store_article, write_config

runner = CliRunner()


@pytest.fixture
def cli(  # type: ignore[no-untyped-def]
    database: Database,
    db_settings: Settings,
    database_url: str,
    tmp_path: Path,
    shared_data_dir: Path,
):
    config = tmp_path / "config.yaml"
    profile = db_settings.profile.model_copy(update={"data_dir": shared_data_dir})
    write_config(db_settings.model_copy(update={"profile": profile}), config, database_url)
    with database.session() as session:
        sync_sources(session, db_settings.sources)

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["-c", str(config), *args], env={"PRESSWATCH_USER": "lan"})
        return result.exit_code, result.output

    return invoke


@pytest.mark.slow
def test_process_then_work_a_case_from_the_command_line(cli, database: Database) -> None:  # type: ignore[no-untyped-def]
    _, story = store_article(
        database,
        source_id="bbc-vietnamese",
        new_story_title="cứu trợ",
        title="Người dân vùng lũ Lệ Thủy phản ánh gạo cứu trợ bị mốc",
        text=(
            "Nhiều tuần sau trận lũ ở huyện Lệ Thủy, tỉnh Quảng Bình, người dân kể họ chỉ nhận "
            "được những bao gạo đã mốc xanh. Theo lời một số hộ dân, số gạo cứu trợ phát về xã "
            "bốc mùi và không thể nấu ăn được."
        ),
    )
    code, out = cli("process")
    assert code == 0 and "analysed 1 article(s), flagged 1, opened 1 case(s)" in out
    code, out = cli("process")
    assert code == 0 and "analysed 0 article(s)" in out

    code, out = cli("cases", "list", "--status", "new")
    assert code == 0 and out.startswith("#1 ") and "foreign" in out
    code, out = cli("cases", "show", "1")
    assert code == 0 and "FLAGGED" in out and "relief-rice-mouldy" in out
    assert "“" in out  # the sentence behind the flag is quoted

    assert cli("cases", "assign", "1", "minh")[0] == 0
    assert cli("cases", "note", "1", "Đã liên hệ BBC.")[0] == 0
    code, out = cli("cases", "close", "1", "--resolution", "responded")
    assert code == 2 and "needs the response" in out
    code, out = cli(
        "cases",
        "close",
        "1",
        "--resolution",
        "responded",
        "--response",
        "https://quangtri.gov.vn/thong-cao/1",
    )
    assert code == 0 and "closed" in out
    code, out = cli("cases", "show", "1")
    assert "lan: assigned assignee: - → minh" in out and "Đã liên hệ BBC." in out
    assert "lan: closed status: triaged → closed — responded" in out
    assert story


def test_reports_and_errors_from_the_command_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out = cli("digest", "--day", "2026-11-25", "--language", "en")
    assert code == 0 and "digest-2026-11-25-en.html" in out
    code, out = cli("export", "--week", "2026-W48")
    assert code == 0 and "presswatch-2026-W48.csv" in out
    code, out = cli("alerts", "list")
    assert code == 0 and "no alerts" in out
    assert cli("alerts", "run")[0] == 0

    code, out = cli("cases", "show", "999")
    assert code == 2 and "no case #999" in out
    code, out = cli("cases", "list", "--status", "done")
    assert code == 2 and "unknown status 'done'" in out
    code, out = cli("export", "--week", "2026-48")
    assert code == 2 and "2026-W48" in out
    code, out = cli("digest", "--day", "25/11/2026")
    assert code == 2 and "not a date" in out
