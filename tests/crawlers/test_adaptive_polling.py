"""Scheduled crawls fetch only what is due: adaptive feed periods, 429 backoff,
feeds disabled after repeated failures (pipeline.crawl.due, through the child)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from conftest import crawl_settings
from site_server import SiteServer
from sqlalchemy import update
from typer.testing import CliRunner

from core.config import Settings, Source
from pipeline.cli import app
from pipeline.crawl.polling import DISABLE_AFTER
from pipeline.crawl.run import run_crawl
from storage import crawl_state
from storage.db import Database
from storage.models import FetchStateRow

pytestmark = pytest.mark.slow


def _source(site: SiteServer) -> Source:
    return Source(
        id="polled",
        name="Báo thử nghiệm",
        kind="feed",
        language="vi",
        origin="domestic",
        interval_minutes=60,
        feeds=[site.url("/feeds/rss.xml"), site.url("/feeds/limited.xml")],
    )


def _feed_requests(site: SiteServer) -> list[str]:
    return [p for p in site.state.paths() if p.startswith("/feeds/")]


def test_a_tick_fetches_only_due_feeds_and_honours_retry_after(
    db_settings: Settings, database: Database, site: SiteServer
) -> None:
    settings = crawl_settings(db_settings, [_source(site)])
    rss, limited = site.url("/feeds/rss.xml"), site.url("/feeds/limited.xml")
    before = dt.datetime.now(dt.UTC)

    first = run_crawl(settings, timeout=120, due_only=True)
    assert [s.source_id for s in first.sources] == ["polled"]
    with database.read_session() as session:
        known = crawl_state.entry_schedules(session, [rss, limited])
    assert known[rss].poll_minutes == 60 and known[rss].polls_ok == 1
    assert known[rss].next_poll_at is not None
    assert known[rss].next_poll_at >= before + dt.timedelta(minutes=60)
    # 429 with Retry-After: 7200 waits two hours, not the one-hour backoff.
    assert known[limited].failures == 1
    assert known[limited].next_poll_at is not None
    assert known[limited].next_poll_at >= before + dt.timedelta(hours=2)

    asked = len(_feed_requests(site))
    second = run_crawl(settings, timeout=120, due_only=True)
    assert second.sources == [] and second.ok  # nothing due: no crawl process at all
    assert len(_feed_requests(site)) == asked

    by_hand = run_crawl(settings, timeout=120)  # a person asking gets every feed
    assert {"/feeds/rss.xml", "/feeds/limited.xml"} <= set(_feed_requests(site)[asked:])
    assert by_hand.sources[0].source_id == "polled"


def test_a_feed_failing_thirty_times_is_disabled_with_its_reason_until_enabled(
    db_settings: Settings, database: Database, site: SiteServer, tmp_path: Path
) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("the disabling rule is storage-neutral; the tick test covers both backends")
    settings = crawl_settings(db_settings, [_source(site)])
    limited = site.url("/feeds/limited.xml")
    run_crawl(settings, timeout=120, due_only=True)
    with database.session() as session:
        session.execute(
            update(FetchStateRow)
            .where(FetchStateRow.url == limited)
            .values(failures=DISABLE_AFTER - 1, next_poll_at=None)
        )
    report = run_crawl(settings, timeout=120, due_only=True)
    assert any("disabled after 30 failed polls" in e for e in report.sources[0].errors)

    asked = len(_feed_requests(site))
    by_hand = run_crawl(settings, timeout=120)
    assert "/feeds/limited.xml" not in _feed_requests(site)[asked:]
    warning = next(w for w in by_hand.sources[0].warnings if limited in w)
    assert "HTTP 429" in warning and f"presswatch feeds enable {limited}" in warning

    config = tmp_path / "office.yaml"
    config.write_text(yaml.safe_dump(settings.model_dump(mode="json"), allow_unicode=True))
    listed = CliRunner().invoke(app, ["--config", str(config), "feeds", "list"])
    assert listed.exit_code == 0, listed.output
    assert (
        f"{limited}  every 60 min" in listed.output and "DISABLED: disabled after" in listed.output
    )
    enabled = CliRunner().invoke(app, ["--config", str(config), "feeds", "enable", limited])
    assert enabled.exit_code == 0, enabled.output
    asked = len(_feed_requests(site))
    run_crawl(settings, timeout=120, due_only=True)
    assert "/feeds/limited.xml" in _feed_requests(site)[asked:]
