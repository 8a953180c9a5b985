"""Each stage's batch is one unit on both backends, storage errors fail the run
plainly, and `presswatch db check --repair` heals what older versions left
half-written (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from core.config import Settings
from core.errors import StorageError
from core.record import Article, Snapshot
from pipeline.cli import app
from pipeline.crawl.store import ArticleStore
from pipeline.process import flag
from pipeline.process.analyse import run_process
from storage import articles as article_repo
from storage import repair
from storage.analyses import StoredAnalysis, count_analyses, save_analysis
from storage.cases import list_cases
from storage.db import Database
from storage.models import ArticleRow
from storage.snapshots import save_snapshot
from storage.sources import sync_sources
from tests.conftest import FIXTURES
from tests.pipeline.helpers import NOW, ScriptedAnalyzer, store_article, write_config
from tests.web.seed import _analysis as seeded_analysis

runner = CliRunner()
PAGE = next((FIXTURES / "site" / "vi").rglob("*.html"))


def _sources(database: Database, settings: Settings) -> None:
    with database.session() as session:
        sync_sources(session, settings.sources)


def _flagged_stories(database: Database, n: int) -> list[int]:
    return [
        store_article(database, new_story_title=f"s{i}", text=f"Sai sự thật {i}. SCORE=0.9")[0]
        for i in range(n)
    ]


def test_a_failure_while_opening_cases_rolls_the_whole_batch_back(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sources(database, settings)
    _flagged_stories(database, 3)
    real_open = flag.workflow.open_case
    calls = {"n": 0}

    def dies_on_second(*args: object, **kwargs: object) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed between two cases")
        return real_open(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(flag.workflow, "open_case", dies_on_second)
    with pytest.raises(RuntimeError):
        run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    with database.session() as session:
        # Before real SQLite transactions, the first analysis and case survived here.
        assert count_analyses(session) == 0
        assert list_cases(session) == []
        assert repair.check(session).problems == 0
    monkeypatch.setattr(flag.workflow, "open_case", real_open)
    stats = run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    assert stats.analysed == 3 and stats.cases_opened == 3
    with database.session() as session:
        assert len(list_cases(session)) == 3


def test_disk_full_while_storing_is_a_named_failure_with_nothing_half_written(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sources(database, settings)
    _flagged_stories(database, 3)
    real_save = save_analysis
    calls = {"n": 0}

    def disk_full(session: object, stored: StoredAnalysis) -> bool:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OperationalError("INSERT", {}, Exception("database or disk is full"))
        return real_save(session, stored)  # type: ignore[arg-type]

    monkeypatch.setattr("pipeline.process.analyse.save_analysis", disk_full)
    with pytest.raises(StorageError, match="disk is full"):
        run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    with database.session() as session:
        assert count_analyses(session) == 0 and list_cases(session) == []


def test_a_failure_while_clustering_leaves_no_article_without_its_story(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sources(database, settings)
    store = ArticleStore(settings, database)

    def dies(*_: object) -> None:
        raise RuntimeError("killed before the MinHash")

    monkeypatch.setattr(article_repo, "set_minhash", dies)
    page = _relevant_snapshot()
    with database.session() as session:
        save_snapshot(session, page)
    with pytest.raises(RuntimeError):
        store.build_article(page)
    with database.session() as session:
        assert session.scalars(select(ArticleRow)).all() == []


def _relevant_snapshot() -> Snapshot:
    body = (
        "<html><head><title>Lũ lớn ở Quảng Bình</title></head><body><article>"
        "<h1>Lũ lớn ở Quảng Bình</h1>"
        + "<p>Mưa lớn kéo dài khiến nhiều xã ở Quảng Bình bị ngập sâu, người dân sơ tán.</p>" * 8
        + "</article></body></html>"
    ).encode()
    return Snapshot(
        url="https://baoquangtri.example/lu-lon.html",
        final_url="https://baoquangtri.example/lu-lon.html",
        status=200,
        body=body,
        headers={"content-type": "text/html; charset=utf-8"},
        source_id="baoquangtri",
    )


def test_db_check_finds_and_repairs_orphans_left_by_older_versions(
    database: Database, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    _sources(database, settings)
    # An analysis stored without its case (a process killed mid-batch by an older version).
    orphan = _flagged_stories(database, 1)[0]
    analyzer = ScriptedAnalyzer()
    with database.session() as session:  # the web tests' seeded analysis, of this version
        flagged = seeded_analysis(orphan, score=0.9, stance="critical", topics=[], sentence=None)
        assert flagged.analyzer_version == analyzer.version
        save_analysis(session, flagged)
    # A relevant article stored without story or MinHash (a crawl killed mid-page).
    page = _relevant_snapshot()
    with database.session() as session:
        snapshot_id = save_snapshot(session, page)
        unclustered = article_repo.add_article(
            session,
            Article(
                url=page.url,
                canonical_url=page.url,
                source_id="baoquangtri",
                snapshot_id=snapshot_id,
                title="Lũ lớn ở Quảng Bình",
                text="Mưa lớn ở Quảng Bình.",
                content_hash="0" * 64,
                relevant=True,
            ),
        )
    config = tmp_path / "config.yaml"
    write_config(settings, config, database_url)

    found = runner.invoke(app, ["--config", str(config), "db", "check"])
    assert found.exit_code == 1, found.output
    assert f"no case: {orphan}" in found.output and f"MinHash: {unclustered}" in found.output

    fixed = runner.invoke(app, ["--config", str(config), "db", "check", "--repair"])
    assert fixed.exit_code == 0, fixed.output
    assert "1 article(s) re-clustered" in fixed.output
    with database.session() as session:
        row = session.get(ArticleRow, unclustered)
        assert row is not None and row.story_id is not None and row.minhash is not None
    # The next process run redoes the orphan's analysis together with its case.
    stats = run_process(settings, database, analyzer, now=NOW)
    assert stats.cases_opened == 1
    clean = runner.invoke(app, ["--config", str(config), "db", "check"])
    assert clean.exit_code == 0 and "database OK" in clean.output


def test_db_upgrade_refuses_a_newer_schema_without_a_traceback(
    database: Database, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    with database.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff_future'")
    config = tmp_path / "config.yaml"
    write_config(settings, config, database_url)
    commands = (
        ["db", "upgrade"],
        ["db", "check"],
        ["cases", "list"],
        ["cases", "assign", "1", "lan"],
        ["alerts", "list"],
        ["alerts", "run"],
        ["process"],
        ["export"],
        ["digest"],
        ["run", "--once"],
    )
    for command in commands:
        result = runner.invoke(app, ["--config", str(config), *command])
        assert result.exit_code == 2, (command, result.output)
        assert "newer than this presswatch" in result.output, command
        assert ("Traceback" not in result.output and result.exception is None) or isinstance(
            result.exception, SystemExit
        )


def test_disk_full_during_a_crawl_is_counted_and_named_not_failed_pages_0(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.crawl.run import CrawlReport, SourceReport

    _sources(database, settings)
    store = ArticleStore(settings, database)

    def disk_full(*_: object) -> int:
        raise OperationalError("INSERT", {}, Exception("database or disk is full"))

    monkeypatch.setattr("pipeline.crawl.store.save_snapshot", disk_full)
    for n in range(3):
        page = _relevant_snapshot()
        store.handle(dataclasses_replace(page, url=f"{page.url}?n={n}"))
    tally = store.tally("baoquangtri")
    assert tally.counts["storage_failed"] == 3
    assert tally.errors == ["storage error, pages not stored: database or disk is full"]
    report = CrawlReport(
        sources=[SourceReport(source_id="baoquangtri", ok=False, counts=dict(tally.counts))],
        started_at=NOW,
        seconds=1.0,
    )
    assert "failed pages 3" in report.summary_lines()[0] and not report.ok
    with database.session() as session:
        assert session.scalars(select(ArticleRow)).all() == []


def dataclasses_replace(page: Snapshot, **changes: object) -> Snapshot:
    import dataclasses

    return dataclasses.replace(page, **changes)  # type: ignore[arg-type]
