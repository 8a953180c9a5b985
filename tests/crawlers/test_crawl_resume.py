"""Killing a crawl midway and rerunning it stores every article exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import crawl_settings
from site_server import MANY, SiteServer, sitemap_source
from sqlalchemy import func, select

from core.config import Settings
from pipeline.crawl.run import run_crawl, worker_command
from storage.db import Database
from storage.models import ArticleRow, SnapshotRow, SourceRow
from storage.sources import sync_sources


def _stored(database: Database) -> list[str]:
    with database.session() as session:
        return list(session.scalars(select(ArticleRow.canonical_url)))


@pytest.mark.slow
def test_killed_crawl_resumes_without_duplicates(
    db_settings: Settings, database: Database, site: SiteServer, tmp_path: Path
) -> None:
    source = sitemap_source(site, "many", "Bản tin phường", concurrency_per_domain=1)
    settings = crawl_settings(db_settings, [source])
    # Slow enough that the crawl outlasts several of the store's batch windows (0.5 s):
    # pages arrive several at a time, and one window must not hold them all.
    site.state.many_delay = 0.6
    with database.session() as session:
        sync_sources(session, settings.sources)
    settings_path = tmp_path / "settings.json"
    settings_path.write_text(settings.model_dump_json(), encoding="utf-8")
    child = subprocess.Popen(
        worker_command(settings_path, tmp_path / "report.json", ["many"]),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(_stored(database)) < 5 and time.monotonic() < deadline:
        assert child.poll() is None, "the crawl ended before it could be interrupted"
        time.sleep(0.05)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    before = set(_stored(database))
    assert 5 <= len(before) < MANY

    site.state.requests.clear()
    site.state.many_delay = 0.0
    report = run_crawl(settings, timeout=120)
    assert report.ok
    after = _stored(database)
    assert len(after) == len(set(after)) == MANY
    assert report.new_articles == MANY - len(before)
    refetched = {r.path for r in site.state.requests} & {"/" + u.split("/", 3)[3] for u in before}
    assert not refetched
    with database.session() as session:
        snapshots = session.scalar(select(func.count()).select_from(SnapshotRow))
    assert snapshots == MANY + 1  # and the sitemap, stored once though fetched twice


def test_a_crawl_that_dies_marks_its_sources_failed(
    db_settings: Settings, database: Database, site: SiteServer
) -> None:
    source = sitemap_source(site, "many", "Bản tin phường", concurrency_per_domain=1)
    site.state.many_delay = 0.5
    report = run_crawl(crawl_settings(db_settings, [source]), timeout=1.0)
    assert not report.ok and report.exit_code != 0
    assert "crawl process failed" in report.sources[0].errors[0]
    with database.session() as session:
        row = session.get(SourceRow, "many")
        assert row is not None and row.last_crawl_ok is False
