"""A running daemon's jobs pick up config.yaml as edited (a narrative added in the
web app), and keep the last good settings through an invalid hand edit."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from core.config import Settings
from core.config_edit import read_document, save_narrative
from core.loading import load_settings
from pipeline.run import scheduler, stages
from pipeline.run.scheduler import Daemon
from storage.db import Database
from tests.conftest import OFFICE_CONFIG

NEW = {
    "id": "bridge-collapsed",
    "statement_vi": "Cầu Nhật Lệ 2 đã sập",
    "examples_vi": ["Cầu Nhật Lệ 2 sập từ tuần trước."],
    "examples_en": ["The Nhat Le 2 bridge fell last week."],
}


def test_jobs_run_with_the_edited_narratives(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.yaml"
    shutil.copy(OFFICE_CONFIG, path)
    seen: list[list[str]] = []

    def process(settings: Settings, db: Database, stop: threading.Event | None = None) -> str:
        seen.append([n.id for n in settings.narratives])
        return "ok"

    monkeypatch.setattr(stages, "process", process)
    daemon = Daemon(load_settings(path), database)
    # Through the function the stored jobs call, as the scheduler's thread does.
    monkeypatch.setattr(scheduler, "_runtime", scheduler._Runtime(daemon.stages, daemon.stop))
    scheduler.run_job("process")
    save_narrative(path, NEW, expected_sha256=read_document(path).sha256, user="lan")
    scheduler.run_job("process")
    assert "bridge-collapsed" not in seen[0] and seen[1] == [*seen[0], "bridge-collapsed"]
    # An invalid hand edit is logged; the jobs keep the last good settings.
    path.write_text(path.read_text(encoding="utf-8") + "\nno_such_section: 1\n", "utf-8")
    scheduler.run_job("process")
    assert seen[2] == seen[1]
