"""The analysis read model: typed results in and out of the JSON, the labels and
stance lists filter on (written, and backfilled by migration 0003), filters that
run in SQL, and one "latest analysis" for every reader."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event, select

from core.analysis import (
    AnalysisResult,
    Distortion,
    LabelScore,
    NarrativeMatch,
    PlaceMention,
    Reason,
    TopicScore,
)
from core.record import Article
from storage import web_queries
from storage.analyses import StoredAnalysis, latest_analyses, save_analysis
from storage.articles import add_article, assign_story, new_story
from storage.cases import insert_case, list_cases, story_articles
from storage.db import Database, make_engine, upgrade
from storage.models import AnalysisLabelRow, AnalysisRow, ArticleRow
from storage.reports import articles_fetched_between
from tests.conftest import empty_database_url

NOW = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)

FULL = AnalysisResult(
    id="7",
    language="vi",
    relevant=True,
    places=(PlaceMention(name="le-thuy", start=3, end=10, surface="Lệ Thủy"),),
    topics=(TopicScore(id="disaster", score=0.91), TopicScore(id="border", score=0.2)),
    stance=LabelScore(label="critical", score=0.8, sentences=("Tiền cứu trợ bị ăn chặn.",)),
    tone=LabelScore(label="negative", score=0.6),
    narratives=(NarrativeMatch(id="flood-relief-embezzled", score=0.7, sentence="Tiền ..."),),
    distortion=Distortion(
        score=0.8,
        flagged=True,
        reasons=(
            Reason(kind="origin", weight=0.2, detail="foreign outlet"),
            Reason(
                kind="narrative",
                weight=0.6,
                detail="repeats a watched narrative",
                sentence="Tiền ...",
                ref="flood-relief-embezzled",
            ),
        ),
    ),
    rebuttals=(NarrativeMatch(id="son-doong-cable-car", score=0.65, sentence="Không có ..."),),
    backend="scripted",
    model_version="test-1",
)

# A row as an early version stored it: no rebuttals, no backend, a reason
# without a ref, no tone, no places.
OLD_ROW: dict[str, Any] = {
    "id": "3",
    "language": "vi",
    "relevant": True,
    "topics": [{"id": "tourism", "score": 0.7}],
    "stance": {"label": "supportive", "score": 0.9},
    "narratives": [{"id": "flood-relief-embezzled", "score": 0.5, "sentence": "x"}],
    "distortion": {
        "score": 0.1,
        "flagged": False,
        "reasons": [{"kind": "stance", "weight": 0.1, "detail": "d"}],
    },
}


def _stored(json_text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json_text)
    return data


def test_from_json_round_trips_to_json_exactly() -> None:
    stored = _stored(json.dumps(FULL.to_json(), ensure_ascii=False))  # as the JSON column
    assert AnalysisResult.from_json(stored) == FULL
    again = json.dumps(AnalysisResult.from_json(stored).to_json(), ensure_ascii=False)
    assert again == json.dumps(stored, ensure_ascii=False)  # same keys, order and values


def test_from_json_reads_an_old_row_missing_newer_keys() -> None:
    result = AnalysisResult.from_json(OLD_ROW)
    assert result.rebuttals == () and result.places == ()
    assert result.backend == "embedded" and result.model_version == ""
    assert result.tone == LabelScore(label="", score=0.0)
    assert result.distortion.reasons == (Reason(kind="stance", weight=0.1, detail="d"),)
    assert result.topic_ids(0.5) == ["tourism"] and result.stance.label == "supportive"
    data = result.to_json()
    assert set(data) == set(FULL.to_json())  # every key of today's shape, defaulted
    assert AnalysisResult.from_json(data) == result


def test_helpers_answer_what_reports_ask() -> None:
    assert FULL.topic_ids() == ["disaster", "border"] and FULL.topic_ids(0.5) == ["disaster"]
    assert FULL.narrative_ids() == ["flood-relief-embezzled"]
    assert FULL.rebuttal_ids() == ["son-doong-cable-car"]
    assert [r.kind for r in FULL.reasons_by_weight()] == ["narrative", "origin"]
    assert sorted(FULL.labels()) == [
        ("narrative", "flood-relief-embezzled", 0.7),
        ("rebuttal", "son-doong-cable-car", 0.65),
        ("topic", "border", 0.2),
        ("topic", "disaster", 0.91),
    ]


# --- storage ---------------------------------------------------------------------------


def _article(database: Database, n: int, *, fetched_at: dt.datetime = NOW) -> int:
    url = f"https://example.test/a/{n}-{uuid.uuid4().hex[:6]}"
    with database.session() as session:
        article_id = add_article(
            session,
            Article(
                url=url,
                canonical_url=url,
                title=f"bài {n}",
                text="Lũ.",
                published_at=fetched_at,
                language="vi",
                content_hash=f"{n:064d}",
                relevant=True,
            ),
        )
        row = session.get(ArticleRow, article_id)
        assert row is not None
        row.fetched_at = fetched_at
    return article_id


def _result(
    article_id: int,
    *,
    topics: dict[str, float],
    stance: str = "neutral",
    score: float = 0.1,
    version: str = "v1",
) -> StoredAnalysis:
    result = AnalysisResult(
        id=str(article_id),
        language="vi",
        relevant=True,
        places=(),
        topics=tuple(TopicScore(id=t, score=s) for t, s in topics.items()),
        stance=LabelScore(label=stance, score=0.7),
        tone=LabelScore(label="neutral", score=0.5),
        narratives=(),
        distortion=Distortion(score=score, flagged=score >= 0.55),
        backend="scripted",
        model_version=version,
    )
    return StoredAnalysis(
        article_id=article_id,
        analyzer_version=version,
        backend="scripted",
        model_version=version,
        result=result,
    )


def test_a_saved_analysis_reads_back_typed_with_labels_and_stance(database: Database) -> None:
    article_id = _article(database, 1)
    full = AnalysisResult.from_json({**FULL.to_json(), "id": str(article_id)})
    with database.session() as session:
        stored = StoredAnalysis(
            article_id=article_id,
            analyzer_version="v1",
            backend="scripted",
            model_version="test-1",
            result=full,
        )
        assert save_analysis(session, stored)
        assert not save_analysis(session, stored)  # one row per version
    with database.session() as session:
        back = latest_analyses(session, [article_id])[article_id]
        row = session.scalars(select(AnalysisRow)).one()
        labels = session.execute(
            select(AnalysisLabelRow.kind, AnalysisLabelRow.ref, AnalysisLabelRow.score)
        ).all()
    assert back.result == full and back.distortion_score == 0.8 and back.flagged
    assert row.stance == "critical" and row.flagged and row.distortion_score == 0.8
    assert sorted((k, r, round(s, 4)) for k, r, s in labels) == sorted(full.labels())


def test_every_reader_takes_the_latest_analysis(database: Database) -> None:
    article_id = _article(database, 2)
    with database.session() as session:
        story = new_story(session, "s")
        assign_story(session, article_id, story)
        save_analysis(session, _result(article_id, topics={"tourism": 0.9}, version="v1"))
    with database.session() as session:
        # Written later but stamped earlier (a clock step): the newest row still wins.
        save_analysis(session, _result(article_id, topics={"disaster": 0.9}, version="v2"))
        newest = session.scalars(select(AnalysisRow).where(AnalysisRow.model_version == "v2"))
        newest.one().created_at = NOW - dt.timedelta(days=30)
    day = (NOW, NOW + dt.timedelta(days=1))
    with database.session() as session:
        (reported,) = articles_fetched_between(session, *day)
        (searched,) = web_queries.search_articles(session, web_queries.ArticleQuery()).items
        seen = {
            "latest_analyses": latest_analyses(session, [article_id])[article_id].result,
            "story_articles": story_articles(session, story)[0].analysis,
            "articles_fetched_between": reported.analysis,
            "search_articles": searched.analysis,
        }
        detail = web_queries.article_detail(session, article_id)
    assert detail is not None and detail.analyzer_version == "v2"
    for reader, result in seen.items():
        assert result is not None and result.model_version == "v2", reader


class _Statements:
    """The SQL statements a block of code sends."""

    def __init__(self, database: Database) -> None:
        self.engine = database.engine
        self.sent: list[str] = []

    def _record(self, *args: Any) -> None:
        self.sent.append(str(args[2]))

    def __enter__(self) -> _Statements:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def test_topic_and_stance_filters_of_the_search_run_in_sql(database: Database) -> None:
    wanted = _article(database, 3, fetched_at=NOW - dt.timedelta(days=2))
    with database.session() as session:
        save_analysis(session, _result(wanted, topics={"disaster": 0.8}, stance="critical"))
    # Newer articles that match one filter but not both, and a weak topic score.
    near_misses = [
        ({"disaster": 0.8}, "neutral"),
        ({"tourism": 0.9}, "critical"),
        ({"disaster": 0.1}, "critical"),
    ]
    for n, (topics, stance) in enumerate(near_misses * 4):
        other = _article(database, 10 + n)
        with database.session() as session:
            save_analysis(session, _result(other, topics=topics, stance=stance))
    query = web_queries.ArticleQuery(
        topic="disaster", stance="critical", topic_threshold=0.5, limit=1
    )
    sql = str(web_queries.search_statement(query).compile())
    assert "analysis_labels" in sql and "analyses.stance" in sql
    with database.session() as session, _Statements(database) as statements:
        found = web_queries.search_articles(session, query)
    assert [a.id for a in found.items] == [wanted] and not found.truncated
    assert len(statements.sent) == 1  # one statement, no scan in Python
    with database.session() as session:
        loose = web_queries.search_articles(session, web_queries.ArticleQuery(topic="disaster"))
    assert len(loose.items) == 9  # the weak scores count without a threshold


def test_the_queue_topic_filter_runs_in_sql(database: Database) -> None:
    ids = {}
    with database.session() as session:
        for topics in (["disaster", "border"], ["tourism"], []):
            story = new_story(session, "s")
            ids[tuple(topics)] = insert_case(
                session, story_id=story, title="c", distortion_score=0.5, priority=1, topics=topics
            )
    with database.session() as session, _Statements(database) as statements:
        found = list_cases(session, topic="border")
    assert [c.id for c in found] == [ids[("disaster", "border")]]
    unnest = ("json_each", "json_array_elements_text")
    assert any(name in statements.sent[0] for name in unnest), statements.sent[0]
    with database.session() as session:
        assert [c.id for c in list_cases(session, topic="tourism")] == [ids[("tourism",)]]
        assert list_cases(session, topic="touris") == []
        assert len(list_cases(session)) == 3


# --- migration 0003 ---------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An engine on an empty database (no migrations applied)."""
    with empty_database_url(request, tmp_path) as url:
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def test_migration_0003_backfills_existing_analyses(empty_engine: sa.Engine) -> None:
    upgrade(empty_engine, "0002")
    tables = sa.MetaData()
    articles = sa.Table("articles", tables, autoload_with=empty_engine)
    analyses = sa.Table("analyses", tables, autoload_with=empty_engine)
    with empty_engine.begin() as connection:
        ids = []
        for n in (1, 2, 3):
            url = f"https://example.test/old/{n}"
            inserted = connection.execute(
                articles.insert().values(
                    url=url,
                    canonical_url=url,
                    title="t",
                    lead="",
                    text="x",
                    authors=[],
                    content_hash=f"{n:064d}",
                    relevant=True,
                    places=[],
                    fetched_at=NOW,
                    extracted_at=NOW,
                )
            )
            ids.append(inserted.inserted_primary_key[0])
        rows = [(ids[0], FULL.to_json()), (ids[1], OLD_ROW), (ids[2], {})]
        for article_id, result in rows:
            connection.execute(
                analyses.insert().values(
                    article_id=article_id,
                    analyzer_version="old",
                    backend="embedded",
                    model_version="m",
                    result=json.loads(json.dumps(result)),
                    distortion_score=0.0,
                    flagged=False,
                    created_at=NOW,
                )
            )
    upgrade(empty_engine)
    database = Database(empty_engine)
    with database.session() as session:
        stances = dict(session.execute(select(AnalysisRow.article_id, AnalysisRow.stance)).all())
        labels = session.execute(
            select(AnalysisRow.article_id, AnalysisLabelRow.kind, AnalysisLabelRow.ref).join(
                AnalysisRow, AnalysisRow.id == AnalysisLabelRow.analysis_id
            )
        ).all()
        by_topic = web_queries.search_articles(
            session, web_queries.ArticleQuery(topic="tourism", stance="supportive")
        )
    assert stances == {ids[0]: "critical", ids[1]: "supportive", ids[2]: None}
    assert sorted(labels) == sorted(
        [
            (ids[0], "topic", "disaster"),
            (ids[0], "topic", "border"),
            (ids[0], "narrative", "flood-relief-embezzled"),
            (ids[0], "rebuttal", "son-doong-cable-car"),
            (ids[1], "topic", "tourism"),
            (ids[1], "narrative", "flood-relief-embezzled"),
        ]
    )
    assert [a.id for a in by_topic.items] == [ids[1]]
