"""`presswatch demo` end to end: replay server → crawl → process → alerts →
digest → export, offline, into a fresh SQLite database, well under two minutes."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from core.loading import load_settings
from pipeline.cli import app
from pipeline.demo.server import ReplayServer
from storage.analyses import latest_analyses
from storage.cases import get_case, list_cases
from storage.db import Database
from storage.models import AlertDeliveryRow, ArticleRow


def test_the_replay_server_fills_in_its_address_and_fresh_dates() -> None:
    import httpx

    now = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
    server = ReplayServer(now=now).start()
    try:
        feed = httpx.get(f"{server.base}/bbc/rss.xml").text
        page = httpx.get(f"{server.base}/bbc/vietnamese/articles/c7d2k9x1").text
        assert f"{server.base}/bbc/vietnamese/articles/c7d2k9x1" in feed
        assert "Thu, 26 Nov 2026 03:00:00 +0700" in feed  # 7 hours before 10:00 in Hanoi
        assert 'content="2026-11-26T03:00:00+07:00"' in page
        assert httpx.get(f"{server.base}/../config.yaml").status_code == 404
    finally:
        server.stop()


@pytest.mark.slow
def test_the_demo_runs_the_whole_pipeline_offline(tmp_path: Path, shared_data_dir: Path) -> None:
    # As when a newcomer reruns the demo in the same folder: models already trained.
    if (shared_data_dir / "models").is_dir():
        shutil.copytree(shared_data_dir / "models", tmp_path / "data" / "models")
    started = time.perf_counter()
    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path)])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert elapsed < 120
    out = result.output
    assert "cases list" in out and "Open cases" in out
    settings = load_settings(tmp_path / "config.yaml")
    assert all("127.0.0.1" in url for s in settings.sources for url in s.feeds)
    database = Database.open(settings.database_url)
    with database.session() as session:
        articles = list(session.scalars(select(ArticleRow)))
        cases = list_cases(session, status="open")
        details = [get_case(session, c.id) for c in cases]
        deliveries = list(session.scalars(select(AlertDeliveryRow)))
    database.dispose()
    relevant = [a for a in articles if a.relevant]
    # The Hanoi traffic story is not about the province.
    assert not any(a.relevant for a in articles if "Hoàn Kiếm" in a.title)
    assert len(relevant) >= 10
    # The foreign copies of the relief story share one story and one case.
    relief = next(d for d in details if "cứu trợ không đến tay" in d.case.title)
    assert len(relief.articles) == 2 and relief.case.origins == ["foreign"]
    assert {a.source_id for a in relief.articles} == {"bbc-vietnamese", "rfa-vietnamese"}
    narratives = {
        n
        for d in details
        for a in d.articles
        for n in (a.analysis.narrative_ids() if a.analysis else [])
    }
    # The foreign piece repeating the cable-car rumour ("according to activists") is caught.
    assert {"flood-relief-embezzled", "son-doong-cable-car"} <= narratives
    # The VnExpress piece that debunks the cable-car rumour is a rebuttal, not a repeat.
    with database.session() as session:
        ids = list(session.scalars(select(ArticleRow.id)))
        results = [stored.result for stored in latest_analyses(session, ids).values()]
    debunks = [r for r in results if "son-doong-cable-car" in r.rebuttal_ids()]
    assert debunks and all("son-doong-cable-car" not in r.narrative_ids() for r in debunks)
    assert deliveries and all(d.status == "sent" for d in deliveries)
    # The digest and the CSV exist and cover the same articles.
    (html,) = (tmp_path / "digests").glob("digest-*-vi.html")
    assert "Tin nổi bật theo chủ đề" in html.read_text(encoding="utf-8")
    (csv,) = (tmp_path / "exports").glob("presswatch-*.csv")
    frame = pd.read_csv(csv, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(frame) == len(relevant)
    assert set(frame["origin"]) == {"domestic", "foreign"} and set(frame["language"]) == {
        "vi",
        "en",
    }
    # The printed follow-up commands work on the demo's own config.
    listed = CliRunner().invoke(app, ["-c", str(tmp_path / "config.yaml"), "cases", "list"])
    assert listed.exit_code == 0 and relief.case.title[:40] in listed.output
    assert sys.version_info >= (3, 11)
