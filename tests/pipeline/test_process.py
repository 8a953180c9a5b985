"""The process stage: each relevant article analysed once per analyzer version,
flagged ones opening one case per story, reruns doing only what is left."""

from __future__ import annotations

import datetime as dt
import threading

from core.config import Settings
from pipeline.process.analyse import run_process
from pipeline.process.flag import priority
from storage.analyses import count_analyses
from storage.cases import get_case, list_cases
from storage.db import Database
from storage.sources import sync_sources
from tests.pipeline.helpers import NOW, ScriptedAnalyzer, store_article


def _sources(database: Database, settings: Settings) -> None:
    with database.session() as session:
        sync_sources(session, settings.sources)


def test_analyses_relevant_articles_once_and_rerun_does_nothing(
    database: Database, settings: Settings
) -> None:
    _sources(database, settings)
    ids = [store_article(database)[0] for _ in range(5)]
    store_article(database, relevant=False)
    analyzer = ScriptedAnalyzer()
    stats = run_process(settings, database, analyzer, batch_size=2, now=NOW)
    assert stats.analysed == 5
    assert sorted(analyzer.seen) == sorted(str(i) for i in ids)
    again = run_process(settings, database, analyzer, now=NOW)
    assert again.analysed == 0 and len(analyzer.seen) == 5
    # A new analyzer version re-analyses everything, once.
    upgraded = ScriptedAnalyzer(version="test-2")
    assert run_process(settings, database, upgraded, now=NOW).analysed == 5
    with database.session() as session:
        assert count_analyses(session) == 10


def test_syndicated_copies_and_follow_ups_join_one_case(
    database: Database, settings: Settings
) -> None:
    _sources(database, settings)
    first, story = store_article(
        database,
        new_story_title="Cứu trợ",
        text="Tiền cứu trợ bị ăn chặn. SCORE=0.7 TOPIC=disaster",
    )
    store_article(
        database,
        source_id="vnexpress",
        story_id=story,
        text="Tiền cứu trợ bị ăn chặn. SCORE=0.8 TOPIC=administration",
    )
    store_article(database, source_id="tuoitre", story_id=story, text="Bản tin lại. SCORE=0.2")
    other, _ = store_article(database, new_story_title="Khác", text="Chuyện khác. SCORE=0.9")
    stats = run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    assert (stats.flagged, stats.cases_opened, stats.cases_updated) == (3, 2, 1)
    with database.session() as session:
        cases = list_cases(session)
        assert len(cases) == 2
        case = next(c for c in cases if c.story_id == story)
        detail = get_case(session, case.id)
    assert case.status == "new" and case.distortion_score == 0.8
    assert case.topics == ["administration", "disaster"]
    assert len(detail.articles) == 3 and case.article_count == 3
    assert [e.action for e in detail.events] == ["opened", "attached"]
    assert detail.events[0].new_value == str(first)
    # Rerunning opens nothing and attaches nothing; nor does a new analyzer version.
    run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    assert run_process(settings, database, ScriptedAnalyzer("test-2"), now=NOW).analysed == 4
    with database.session() as session:
        assert len(list_cases(session)) == 2
        assert len(get_case(session, case.id).events) == 2
    assert other


def test_a_follow_up_analysed_later_attaches_to_the_open_case(
    database: Database, settings: Settings
) -> None:
    _sources(database, settings)
    _, story = store_article(database, new_story_title="S", text="Một. SCORE=0.6")
    run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    store_article(database, source_id="bbc-vietnamese", story_id=story, text="Hai. SCORE=0.9")
    stats = run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    assert (stats.cases_opened, stats.cases_updated) == (0, 1)
    with database.session() as session:
        (case,) = list_cases(session)
        assert case.distortion_score == 0.9 and case.origins == ["domestic", "foreign"]
        assert len(list_cases(session, origin="foreign")) == 1


def test_a_stopped_or_crashed_run_is_finished_by_the_next_without_repeats(
    database: Database, settings: Settings
) -> None:
    _sources(database, settings)
    for n in range(6):
        store_article(database, new_story_title=f"S{n}", text=f"Bài {n}. SCORE=0.7")
    store_article(database, new_story_title="bad", text="POISON SCORE=0.7")
    stop = threading.Event()

    class StopAfterFirstBatch(ScriptedAnalyzer):
        def analyze(self, docs):  # type: ignore[no-untyped-def]
            stop.set()
            return super().analyze(docs)

    analyzer = StopAfterFirstBatch(fail_on="POISON")
    first = run_process(settings, database, analyzer, batch_size=4, stop=stop, now=NOW)
    assert first.stopped and first.analysed == 4
    analyzer2 = ScriptedAnalyzer(fail_on="POISON")
    second = run_process(settings, database, analyzer2, batch_size=4, now=NOW)
    # The poisoned article fails alone; the others are done exactly once.
    assert second.analysed == 2 and second.failed == 1
    assert not set(analyzer.seen) & set(analyzer2.seen)
    with database.session() as session:
        assert len(list_cases(session)) == 6
    healed = run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    assert healed.analysed == 1 and healed.cases_opened == 1


def test_priority_weighs_score_reach_and_recency(database: Database, settings: Settings) -> None:
    now = NOW
    assert priority(0.9, 3, now, now) > priority(0.6, 3, now, now)
    assert priority(0.7, 5, now, now) > priority(0.7, 1, now, now)
    assert priority(0.7, 3, now, now) > priority(0.7, 3, now - dt.timedelta(days=3), now)
    _sources(database, settings)
    store_article(
        database,
        source_id="laotian-times",
        title="small",
        new_story_title="small",
        text="a. SCORE=0.7",
    )
    store_article(
        database, source_id="vnexpress", title="big", new_story_title="big", text="b. SCORE=0.7"
    )
    store_article(
        database,
        source_id="vnexpress",
        title="old",
        new_story_title="old",
        text="c. SCORE=0.7",
        published_at=now - dt.timedelta(days=5),
    )
    run_process(settings, database, ScriptedAnalyzer(), now=now)
    with database.session() as session:
        ranked = list_cases(session)
    # Reach 5 beats reach 2; five days of age cost less than the reach gap.
    assert [c.title for c in ranked] == ["big", "old", "small"]
