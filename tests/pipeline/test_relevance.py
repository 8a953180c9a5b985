"""Relevance is one decision, versioned by the watch list, that re-applies itself:
a changed watch list re-decides stored articles on the next `process`, once,
without `reextract`, also across a crash."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, select, update

import storage.articles
from core.config import Place, Settings
from core.record import Snapshot
from pipeline.crawl.store import ArticleStore
from pipeline.process.analyse import run_process
from pipeline.process.redecide import redecide_relevance
from pipeline.process.relevance import Relevance, relevance_version
from storage.analyses import count_analyses
from storage.db import Database, alembic_config, upgrade
from storage.models import AnalysisRow, ArticleRow
from storage.sources import sync_sources
from tests.conftest import get_fixture
from tests.pipeline.helpers import NOW, ScriptedAnalyzer, store_article

FLOOD = "vi/lu-quang-binh-1001.html"  # Quảng Bình: relevant under the office's watch list
HANOI = "vi/kinh-te-ha-noi-1002.html"  # Hà Nội only: relevant once the list names it
EXPORTS = "en/exports-rise-2006.html"  # neither
_urls = itertools.count(1)


def _wider(settings: Settings) -> Settings:
    hanoi = Place(id="ha-noi", kind="city", names=["Hà Nội", "Ha Noi"])
    watch = settings.watch.model_copy(update={"places": [*settings.watch.places, hanoi]})
    return settings.model_copy(update={"watch": watch})


def _crawl(settings: Settings, database: Database, *pages: str) -> list[int]:
    """Store pages as the crawler does (snapshot, then article); their article ids."""
    with database.session() as session:
        sync_sources(session, settings.sources)
    store = ArticleStore(settings, database)
    ids = []
    for page in pages:
        url = f"https://baoquangtri.vn/thoi-su/202603/bai-{next(_urls):x}/"
        store.store_page(
            Snapshot(
                url=url,
                final_url=url,
                status=200,
                body=get_fixture("site", page).replace(b"{HOST}", b"news.example"),
                headers={"content-type": "text/html; charset=utf-8"},
                source_id="baoquangtri",
            )
        )
        with database.session() as session:
            article_id = storage.articles.article_id_by_url(session, url)
        assert article_id is not None
        ids.append(article_id)
    return ids


def _rows(database: Database) -> dict[int, ArticleRow]:
    with database.session() as session:
        return {row.id: row for row in session.scalars(select(ArticleRow))}


def test_one_decision_with_a_version_of_the_watch_list(settings: Settings) -> None:
    relevance = Relevance(settings.watch)
    assert relevance.version == relevance_version(settings.watch)
    assert relevance.version != relevance_version(_wider(settings).watch)
    decision = relevance.decide("Lũ ở Đồng Hới", "Mưa lớn ở tỉnh Quảng Bình.")
    assert decision.relevant and [m.name for m in decision.mentions] == ["dong-hoi", "quang-binh"]
    # Offsets index title, blank line, body: the string the analyzer's mentions index.
    start, end = decision.places()[1]["start"], decision.places()[1]["end"]
    assert "Lũ ở Đồng Hới\n\nMưa lớn ở tỉnh Quảng Bình."[start:end] == "tỉnh Quảng Bình"
    assert not relevance.decide("Kinh tế Hà Nội", "Hà Nội tăng trưởng.").relevant


def test_widening_makes_a_stored_article_relevant_and_analysed_without_reextract(
    database: Database, settings: Settings
) -> None:
    wider = _wider(settings)
    flood, hanoi, exports = _crawl(settings, database, FLOOD, HANOI, EXPORTS)
    row = _rows(database)[hanoi]
    assert not row.relevant and row.text == "" and row.story_id is None
    assert row.relevance_version == relevance_version(settings.watch)
    analyzer = ScriptedAnalyzer()
    first = run_process(settings, database, analyzer, now=NOW)
    assert first.analysed == 1 and first.relevance.decided == 0

    second = run_process(wider, database, analyzer, now=NOW)
    assert (second.relevance.decided, second.relevance.rebuilt) == (3, 2)
    assert (second.relevance.now_relevant, second.relevance.no_longer_relevant) == (1, 0)
    assert "relevance re-decided for 3 article(s): 1 now relevant, 0 no longer" in str(second)
    assert second.analysed == 1 and analyzer.seen == [str(flood), str(hanoi)]
    rows = _rows(database)
    assert {r.relevance_version for r in rows.values()} == {relevance_version(wider.watch)}
    again = rows[hanoi]
    assert again.relevant and again.text.startswith("Tổng sản phẩm")
    assert again.story_id is not None and again.minhash is not None
    assert {p["name"] for p in again.places} == {"ha-noi"}
    place = again.places[0]
    assert f"{again.title}\n\n{again.text}"[place["start"] : place["end"]] == "Hà Nội"
    assert not rows[exports].relevant and rows[exports].text == ""

    third = run_process(wider, database, analyzer, now=NOW)
    assert third.relevance.decided == 0 and third.analysed == 0
    assert "relevance" not in str(third) and len(analyzer.seen) == 2


def test_narrowing_makes_an_article_irrelevant_and_keeps_its_analyses(
    database: Database, settings: Settings
) -> None:
    wider = _wider(settings)
    flood, hanoi = _crawl(wider, database, FLOOD, HANOI)
    assert run_process(wider, database, ScriptedAnalyzer(), now=NOW).analysed == 2

    narrowed = run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    assert (narrowed.relevance.decided, narrowed.relevance.rebuilt) == (2, 0)
    assert narrowed.relevance.no_longer_relevant == 1 and narrowed.analysed == 0
    row = _rows(database)[hanoi]
    assert not row.relevant and row.places == []
    assert row.relevance_version == relevance_version(settings.watch)
    assert row.text.startswith("Tổng sản phẩm")  # nothing is deleted
    # Its analysis stays; a new analyzer version no longer analyses it.
    upgraded = ScriptedAnalyzer(version="test-2")
    assert run_process(settings, database, upgraded, now=NOW).analysed == 1
    assert upgraded.seen == [str(flood)]
    with database.session() as session:
        assert count_analyses(session, "test-1") == 2


def test_a_crash_mid_batch_is_finished_by_the_rerun_deciding_each_article_once(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    wider = _wider(settings)
    ids = _crawl(settings, database, FLOOD, FLOOD, HANOI, HANOI, HANOI, HANOI)
    decided: list[int] = []
    rebuilds = 0
    set_relevance, replace_article = (
        storage.articles.set_relevance,
        storage.articles.replace_article,
    )

    def recording_set(session: Any, article_id: int, **kwargs: Any) -> None:
        set_relevance(session, article_id, **kwargs)
        decided.append(article_id)

    def crashing_replace(session: Any, article: Any, **kwargs: Any) -> int:
        nonlocal rebuilds
        rebuilds += 1
        if rebuilds == 3:  # the second article of the second batch
            raise RuntimeError("killed mid-batch")
        article_id = replace_article(session, article, **kwargs)
        decided.append(article_id)
        return article_id

    monkeypatch.setattr(storage.articles, "set_relevance", recording_set)
    monkeypatch.setattr(storage.articles, "replace_article", crashing_replace)
    with pytest.raises(RuntimeError, match="killed mid-batch"):
        redecide_relevance(wider, database, batch_size=3)
    # Batch 1 (two stored texts, one rebuild) and the first rebuild of batch 2 are kept.
    assert decided == ids[:4]
    current = relevance_version(wider.watch)
    rows = _rows(database)
    assert [rows[i].relevance_version == current for i in ids] == [True] * 4 + [False] * 2

    analyzer = ScriptedAnalyzer()
    rerun = run_process(wider, database, analyzer, now=NOW)
    assert rerun.relevance.decided == 2 and rerun.relevance.rebuilt == 2
    assert sorted(decided) == sorted(ids)  # each article decided exactly once
    assert sorted(analyzer.seen) == sorted(str(i) for i in ids) and rerun.analysed == 6
    assert all(r.relevant for r in _rows(database).values())
    assert run_process(wider, database, analyzer, now=NOW).relevance.decided == 0


def test_undecided_rows_are_decided_once_and_uncrawled_ones_keep_their_relevance(
    database: Database, settings: Settings
) -> None:
    flood, hanoi = _crawl(settings, database, FLOOD, HANOI)
    # What the 0002 migration leaves on rows stored before it: no version.
    with database.session() as session:
        session.execute(update(ArticleRow).values(relevance_version=None))
    given, _ = store_article(database, relevant=False, text="Mưa lũ ở Quảng Bình.")
    stats = run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    assert (stats.relevance.decided, stats.relevance.now_relevant) == (2, 0)
    assert stats.relevance.no_longer_relevant == 0 and stats.analysed == 1
    rows = _rows(database)
    assert rows[flood].relevant and not rows[hanoi].relevant
    assert rows[given].relevance_version is None and not rows[given].relevant
    assert run_process(settings, database, ScriptedAnalyzer(), now=NOW).relevance.decided == 0


def test_the_migration_goes_down_and_up(database: Database) -> None:
    command.downgrade(alembic_config(database.engine), "0001")
    columns = {c["name"] for c in inspect(database.engine).get_columns("articles")}
    assert "relevance_version" not in columns
    upgrade(database.engine)
    columns = {c["name"] for c in inspect(database.engine).get_columns("articles")}
    assert "relevance_version" in columns


@pytest.mark.slow
def test_the_analysis_agrees_with_the_stored_decision(
    database: Database, settings: Settings, shared_data_dir: Path
) -> None:
    """The real analyzer's `relevant` and places are the article's own decision."""
    profile = settings.profile.model_copy(update={"data_dir": shared_data_dir})
    wider = _wider(settings.model_copy(update={"profile": profile}))
    _crawl(settings, database, FLOOD, HANOI, EXPORTS)
    assert run_process(wider, database, now=NOW).analysed == 2
    with database.session() as session:
        analysed = session.execute(
            select(ArticleRow, AnalysisRow).join(
                AnalysisRow, AnalysisRow.article_id == ArticleRow.id
            )
        ).all()
    assert len(analysed) == 2
    for article, analysis in analysed:
        assert analysis.result["relevant"] is article.relevant is True
        found = [{k: p[k] for k in ("name", "start", "end")} for p in analysis.result["places"]]
        assert found == article.places
