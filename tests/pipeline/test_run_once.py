"""`run --once` over the replay server: every stage, and a second run that finds
nothing left to do (no article analysed twice, no case or alert duplicated)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core.config import Settings
from core.loading import parse_settings
from pipeline.demo import _HookServer, demo_config
from pipeline.demo.server import ReplayServer
from pipeline.run.scheduler import run_once_locked
from storage.db import Database, upgrade
from storage.models import AlertDeliveryRow, AlertRow, AnalysisRow, CaseEventRow, CaseRow, DigestRow


def _counts(database: Database) -> dict[str, int]:
    with database.session() as session:
        return {
            model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (AnalysisRow, CaseRow, CaseEventRow, AlertRow, AlertDeliveryRow, DigestRow)
        }


@pytest.mark.slow
def test_run_once_twice_does_the_work_once(
    settings: Settings, tmp_path: Path, shared_data_dir: Path
) -> None:
    import yaml

    site, hook = ReplayServer().start(), _HookServer()
    try:
        data = demo_config(settings, tmp_path, site.base, hook.url)
        data["profile"]["data_dir"] = str(shared_data_dir)  # models trained once per session
        configured = parse_settings(yaml.safe_dump(data, allow_unicode=True))
        database = Database.open(configured.database_url, check=False)
        upgrade(database.engine)
        first = run_once_locked(configured, database)
        assert not first.failed, first.lines
        assert [line.split(":")[0] for line in first.lines] == [
            "crawl",
            "recrawl",
            "process",
            "alerts",
            "digest",
            "export",
            "report",  # "not scheduled": the office config sets no report crons
        ]
        after_first = _counts(database)
        assert after_first["analyses"] >= 10 and after_first["cases"] >= 1
        assert after_first["digests"] == 1  # yesterday's, due since this morning's 07:00
        sent = len(hook.received)
        assert sent == after_first["alert_deliveries"] > 0

        second = run_once_locked(configured, database)
        assert not second.failed, second.lines
        assert "crawl: 0 new article(s)" in second.lines[0]
        assert "analysed 0 article(s)" in second.lines[2]
        assert "already done" in second.lines[4] and "already done" in second.lines[5]
        assert _counts(database) == after_first
        assert len(hook.received) == sent
        database.dispose()
    finally:
        site.stop()
        hook.shutdown()
        hook.server_close()


def test_a_named_failure_of_a_stage_is_one_line_and_the_next_stages_still_run(
    settings: Settings, database: Database, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    from pipeline.alerts.channels import DeliveryError
    from pipeline.run import stages

    def smtp_down(*_args: object, **_kwargs: object) -> str:
        raise DeliveryError("SMTP 127.0.0.1:2599: connection refused")

    monkeypatch.setattr(stages, "digest_if_due", smtp_down)
    monkeypatch.setattr(stages, "export_if_due", lambda *_a, **_k: "export: nothing due")
    monkeypatch.setattr(stages, "report_if_due", lambda *_a, **_k: "report: not scheduled")
    report = stages.run_once(settings, database, crawl_first=False)
    assert report.failed == ["digest"]
    assert "digest: FAILED: SMTP 127.0.0.1:2599: connection refused" in report.lines
    assert report.lines[-1] == "report: report: not scheduled"
    failed = [r for r in caplog.records if r.getMessage().startswith("stage digest failed")]
    assert len(failed) == 1 and failed[0].exc_info is None
