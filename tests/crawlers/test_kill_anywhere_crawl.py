"""Kill anywhere, the crawl (issue 13; the other stages are in
tests/pipeline/test_kill_anywhere.py): SIGKILL `presswatch crawl` at a random
point, rerun, and every article is stored once, relevant ones with their story
and MinHash, the syndicated copy in the original's story."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import crawl_settings, site_sources
from site_server import SiteServer
from sqlalchemy import select

from core.config import Settings
from pipeline.crawl.run import run_crawl
from storage import repair
from storage.db import Database
from storage.models import ArticleRow
from tests.conftest import ROOT
from tests.pipeline.helpers import write_config


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11])
def test_crawl_killed_anywhere_then_rerun_stores_each_article_once_with_its_story(
    db_settings: Settings,
    database: Database,
    database_url: str,
    site: SiteServer,
    tmp_path: Path,
    seed: int,
) -> None:
    rng = random.Random(seed)
    settings = crawl_settings(db_settings, site_sources(site))
    config = tmp_path / "config.yaml"
    write_config(settings, config, database_url)
    cli = [str(Path(sys.executable).with_name("presswatch")), "--config", str(config), "crawl"]
    proc = subprocess.Popen(cli, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not [r for r in site.state.requests if r.path.startswith("/vi/")]:
        assert time.monotonic() < deadline and proc.poll() is None, "crawl never fetched a page"
        time.sleep(0.02)
    time.sleep(rng.uniform(0.0, 1.0))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    run_crawl(settings, timeout=120)
    with database.session() as session:
        urls = list(session.scalars(select(ArticleRow.canonical_url)))
        assert len(urls) == len(set(urls))
        assert repair.check(session).problems == 0
        story = {
            row.canonical_url.split("/", 3)[3]: row.story_id
            for row in session.scalars(select(ArticleRow))
        }
    original = story["vi/lu-quang-binh-1001.html"]
    assert original is not None and story["vi/ban-sao-lu-1007.html"] == original
