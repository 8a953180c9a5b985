"""Recrawl after kill -9 (issue 15): `run_recrawl` in a child process, SIGKILLed
at seeded random points while it refetches edited pages from a slow local
site, then run again to the end, on SQLite and PostgreSQL. Afterwards every
article has exactly one edit and two versions, every due refetch is done
once, and the open case's assignee was told once: the rerun duplicated nothing."""

from __future__ import annotations

import datetime as dt
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from core.config import Settings
from pipeline.crawl.store import KIND_HEADER
from pipeline.recrawl.refetch import RECRAWL_KIND, run_recrawl
from storage.db import Database
from storage.models import AlertRow, ArticleRow, NotificationRow, SnapshotRow
from storage.version_models import ArticleChangeRow, ArticleVersionRow, RecrawlDueRow
from tests.conftest import ROOT
from tests.pipeline.helpers import write_config
from tests.pipeline.recrawl_site import Page
from tests.pipeline.test_recrawl import office

pytestmark = pytest.mark.slow
SEEDS = [3, 17, 29]
PAGES = 6
DELAY = 0.2  # seconds per article answer: a run takes ~PAGES * DELAY once started

SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from core.loading import load_settings
    from pipeline.recrawl.refetch import run_recrawl
    from storage.db import Database

    settings = load_settings(Path(sys.argv[1]))
    database = Database.open(settings.database_url)
    # Extraction's models load on first use: loaded now, so kills land in the refetches.
    from pipeline.crawl.extraction import extract_page
    extract_page("<html lang='vi'><body><p>Tỉnh Quảng Bình.</p></body></html>".encode())
    print("ready", flush=True)
    run_recrawl(settings, database)
    """
)


def _run_and_kill(config: Path, wait: float) -> None:
    with tempfile.TemporaryFile("w+") as errors:
        child = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(config)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        assert child.stdout is not None
        if child.stdout.readline().strip() != "ready":
            child.wait()
            errors.seek(0)
            pytest.fail(f"the child did not start:\n{errors.read()}")
        time.sleep(wait)
        child.send_signal(signal.SIGKILL)
        child.wait()


def _count(database: Database, query: object) -> int:
    with database.session() as session:
        return int(session.scalar(query) or 0)  # type: ignore[call-overload]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_rerun_after_kill_9_duplicates_nothing(
    database: Database, settings: Settings, database_url: str, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    with office(database, settings) as (site, o):
        for n in range(PAGES - len(site.pages)):
            site.pages[f"tin-them-{n}"] = Page(
                f"Quảng Bình: bản tin thêm số {n}",
                [
                    f"Bản tin số {n} về tỉnh Quảng Bình: hội đồng nhân dân họp bàn kế hoạch "
                    f"chỉnh trang {n + 3} tuyến phố ở Đồng Hới.",
                    f"Kinh phí dự kiến {n + 10} tỷ đồng, hoàn thành trước mùa mưa bão năm nay.",
                ],
            )
        o.ids.update(_more(site, o.settings, database, [s for s in site.pages if s not in o.ids]))
        with database.session() as session:
            # First fetched two days ago: the +24 h refetch of every article is due.
            session.execute(
                update(ArticleRow).values(fetched_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
            )
        for slug, page in site.pages.items():
            page.mode = "ok"
            page.paragraphs[-1] = f"Tin sửa lại ({slug}): con số trong bài đã được điều chỉnh."
        site.delay = DELAY
        config = tmp_path / "config.yaml"
        write_config(o.settings, config, database_url)
        for _ in range(2):
            _run_and_kill(config, rng.uniform(0.0, PAGES * (DELAY + 0.1)))
        site.delay = 0.0
        run_recrawl(o.settings, database)
        assert run_recrawl(o.settings, database).outcomes.total() == 0

        edits = _count(database, select(func.count(ArticleChangeRow.id)))
        assert edits == PAGES
        per_article = select(func.count(ArticleChangeRow.id)).group_by(
            ArticleChangeRow.article_id, ArticleChangeRow.kind
        )
        with database.session() as session:
            assert set(session.scalars(per_article)) == {1}
            kinds = set(session.scalars(select(ArticleChangeRow.kind)))
            assert kinds == {"body"}
            versions = session.scalars(
                select(func.count(ArticleVersionRow.id)).group_by(ArticleVersionRow.article_id)
            )
            assert list(versions) == [2] * PAGES
            assert (
                session.scalar(
                    select(func.count(RecrawlDueRow.id)).where(
                        RecrawlDueRow.done_at.is_(None), RecrawlDueRow.due_kind != "7d"
                    )
                )
                == 0
            )
            # One refetched snapshot per due refetch that committed, never more.
            for article_id in o.ids.values():
                url = session.scalar(select(ArticleRow.url).where(ArticleRow.id == article_id))
                refetched = [
                    h
                    for h in session.scalars(
                        select(SnapshotRow.headers).where(SnapshotRow.url == url)
                    )
                    if h.get(KIND_HEADER) == RECRAWL_KIND
                ]
                due = session.scalar(
                    select(func.count(RecrawlDueRow.id)).where(
                        RecrawlDueRow.article_id == article_id, RecrawlDueRow.due_kind != "7d"
                    )
                )
                assert 1 <= len(refetched) <= int(due or 0), url
            alerts = session.scalar(
                select(func.count(AlertRow.id)).where(AlertRow.rule_id == "article_change")
            )
            notices = session.scalar(
                select(func.count(NotificationRow.id)).where(
                    NotificationRow.kind == "article_edited"
                )
            )
            assert (alerts, notices) == (1, 1)


def _more(site: object, settings: Settings, database: Database, slugs: list[str]) -> dict[str, int]:
    from tests.pipeline.recrawl_site import RecrawlSite
    from tests.pipeline.test_recrawl import crawl_pages

    assert isinstance(site, RecrawlSite)
    kept = site.pages
    site.pages = {s: kept[s] for s in slugs}
    try:
        return crawl_pages(site, settings, database)
    finally:
        site.pages = kept
