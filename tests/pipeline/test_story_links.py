"""Cross-language story links: the English and Vietnamese versions of one story share
one story and one case, in either order; other stories and old versions stay apart."""

from __future__ import annotations

import datetime as dt

import pytest

from core.config import Settings
from pipeline.process.analyse import run_process
from pipeline.process.story_links import link_story
from storage.cases import get_case, list_cases
from storage.db import Database
from storage.models import ArticleRow
from storage.sources import sync_sources
from tests.pipeline.helpers import NOW, ScriptedAnalyzer, store_article

VI_TITLE = "Người dân vùng lũ Lệ Thủy phản ánh gạo cứu trợ bị mốc"
VI_TEXT = (
    "Nhiều hộ dân ở huyện Lệ Thủy, Quảng Bình cho biết gạo cứu trợ nhận được có mùi ẩm mốc; "
    "chính quyền huyện hứa kiểm tra và đổi gạo. SCORE=0.8"
)
EN_TITLE = "Flood victims in Le Thuy say relief rice is mouldy"
EN_TEXT = (
    "Families in Quang Binh's Le Thuy district complained the relief rice they received "
    "smelled damp; local officials promised to check and replace it."
)
OTHER_TITLE = "Quang Binh cave tourism hits record as visitors flock to Phong Nha"
OTHER_TEXT = (
    "The central province welcomed record numbers of tourists to its caves this year, "
    "officials said."
)


def _stories(database: Database, *ids: int) -> list[int | None]:
    with database.session() as session:
        return [session.get(ArticleRow, i).story_id for i in ids]  # type: ignore[union-attr]


def _setup(database: Database, settings: Settings) -> None:
    with database.session() as session:
        sync_sources(session, settings.sources)


@pytest.mark.parametrize("english_first", [False, True])
def test_versions_in_either_order_share_one_story_and_case(
    database: Database, settings: Settings, english_first: bool
) -> None:
    _setup(database, settings)
    analyzer = ScriptedAnalyzer()

    def vietnamese() -> int:
        return store_article(
            database, source_id="vnexpress", title=VI_TITLE, text=VI_TEXT, new_story_title=VI_TITLE
        )[0]

    def english() -> int:
        return store_article(
            database,
            source_id="bbc-vietnamese",
            title=EN_TITLE,
            text=EN_TEXT,
            language="en",
            published_at=NOW + dt.timedelta(hours=5),
            new_story_title=EN_TITLE,
        )[0]

    first = english() if english_first else vietnamese()
    run_process(settings, database, analyzer, now=NOW)
    second = vietnamese() if english_first else english()
    run_process(settings, database, analyzer, now=NOW)
    story_first, story_second = _stories(database, first, second)
    assert story_first == story_second is not None
    with database.session() as session:
        cases = list_cases(session)
        assert len(cases) == 1
        detail = get_case(session, cases[0].id)
        assert {a.language for a in detail.articles} == {"vi", "en"}
    # A rerun changes nothing.
    assert run_process(settings, database, analyzer, now=NOW).analysed == 0
    assert _stories(database, first, second) == [story_first, story_second]


def test_other_story_same_place_and_outside_window_not_linked(
    database: Database, settings: Settings
) -> None:
    _setup(database, settings)
    vi, _ = store_article(
        database, source_id="vnexpress", title=VI_TITLE, text=VI_TEXT, new_story_title=VI_TITLE
    )
    other, _ = store_article(
        database,
        source_id="bbc-vietnamese",
        title=OTHER_TITLE,
        text=OTHER_TEXT,
        language="en",
        new_story_title=OTHER_TITLE,
    )
    late, _ = store_article(
        database,
        source_id="bbc-vietnamese",
        title=EN_TITLE,
        text=EN_TEXT,
        language="en",
        published_at=NOW + dt.timedelta(hours=100),
        new_story_title=EN_TITLE,
    )
    run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    assert len(set(_stories(database, vi, other, late))) == 3


def _set_relevant(database: Database, article_id: int, relevant: bool) -> None:
    with database.session() as session:
        row = session.get(ArticleRow, article_id)
        assert row is not None
        row.relevant = relevant


def test_versions_whose_stories_both_have_cases_stay_apart(
    database: Database, settings: Settings
) -> None:
    _setup(database, settings)
    vi, _ = store_article(
        database, source_id="vnexpress", title=VI_TITLE, text=VI_TEXT, new_story_title=VI_TITLE
    )
    en, _ = store_article(
        database,
        source_id="bbc-vietnamese",
        title=EN_TITLE,
        text=EN_TEXT + " SCORE=0.8",
        language="en",
        relevant=False,
        new_story_title=EN_TITLE,
    )
    analyzer = ScriptedAnalyzer()
    run_process(settings, database, analyzer, now=NOW)  # the Vietnamese case opens
    _set_relevant(database, vi, False)
    _set_relevant(database, en, True)
    run_process(settings, database, analyzer, now=NOW)  # the English one opens its own
    _set_relevant(database, vi, True)
    with database.session() as session:
        assert link_story(session, en) is None
        assert link_story(session, vi) is None
        assert len(list_cases(session)) == 2
    assert len(set(_stories(database, vi, en))) == 2
