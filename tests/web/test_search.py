"""Search that understands Vietnamese, on SQLite (FTS5) and PostgreSQL (tsvector +
unaccent): any case, with or without marks, composed or decomposed, finds the
same articles; results carry snippets with the words marked, a count, and sort by
date or relevance, combined with the other filters."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, update

from storage import fulltext, web_queries
from storage.articles import add_article
from storage.db import Database
from storage.models import ArticleRow
from tests.web.seed import Seeded, _article

DA_NANG = "Bão đổ bộ Đà Nẵng"


def _ids(database: Database, text: str, **filters: object) -> list[int]:
    query = web_queries.ArticleQuery(text=text, relevant_only=False, **filters)  # type: ignore[arg-type]
    with database.session() as session:
        return [a.id for a in web_queries.search_articles(session, query).items]


@pytest.fixture
def extra(database: Database, seeded: Seeded) -> int:
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    with database.session() as session:
        return add_article(
            session,
            _article("baoquangtri", 77, DA_NANG, "Người dân Đà Nẵng sơ tán. Quảng Bình mưa.", when),
        )


def test_fold_keeps_positions_and_folds_vietnamese() -> None:
    assert fulltext.fold("Quảng Bình ĐÀ NẴNG") == "quang binh da nang"
    decomposed = unicodedata.normalize("NFD", "Quảng Bình")
    assert fulltext.terms(decomposed) == ["quang", "binh"]
    assert fulltext.terms('x" OR title:* NEAR(') == ["x", "or", "title", "near"]


def test_marks_case_and_unicode_form_do_not_matter(database: Database, seeded: Seeded) -> None:
    wanted = _ids(database, "Quảng Bình")
    assert seeded.flagged_article in wanted
    for variant in (
        "QUẢNG BÌNH",
        "quang binh",
        "Quang Binh",
        unicodedata.normalize("NFD", "Quảng Bình"),
    ):
        assert _ids(database, variant) == wanted, variant


def test_d_with_stroke_and_the_index_follows_edits(database: Database, extra: int) -> None:
    assert _ids(database, "da nang") == [extra] == _ids(database, "ĐÀ NẴNG")
    with database.session() as session:
        session.execute(update(ArticleRow).where(ArticleRow.id == extra).values(title="Hội An"))
        session.execute(update(ArticleRow).where(ArticleRow.id == extra).values(text="Phố cổ."))
    assert _ids(database, "da nang") == [] and _ids(database, "hoi an") == [extra]
    with database.session() as session:
        session.execute(delete(ArticleRow).where(ArticleRow.id == extra))
    assert _ids(database, "hoi an") == []


def test_relevance_sort_and_filters_combine(database: Database, seeded: Seeded, extra: int) -> None:
    by_date = _ids(database, "quang binh")
    by_rank = _ids(database, "quang binh", sort="relevance")
    assert sorted(by_date) == sorted(by_rank) and extra in by_date
    assert by_date.index(extra) == len(by_date) - 1  # the oldest
    # Title words weigh more: the articles with them in the title come first.
    for titled in (seeded.flagged_article, seeded.foreign_copy):
        assert by_rank.index(titled) < by_rank.index(extra)
    assert _ids(database, "quang binh", source_id="bbc-vietnamese") == [seeded.foreign_copy]
    assert _ids(database, "da nang", stance="critical") == []


def test_the_page_shows_count_snippet_and_marks(
    client_for: Callable[[str], TestClient], extra: int
) -> None:
    client = client_for("viewer")
    page = client.get("/app/articles", params={"q": "da nang", "scope": "all"}).text
    assert "1–1 trên tổng số 1" in page
    marked = '<mark class="hit">Đà</mark> <mark class="hit">Nẵng</mark>'
    assert f"Bão đổ bộ {marked}</a>" in page  # in the title
    assert re.search(rf'class="snippet">Người dân {marked} sơ tán', page)  # and the snippet
    assert 'value="relevance"' in page
    hostile = client.get("/app/articles", params={"q": '"<script>" OR *'}).text
    assert "<script>" not in hostile.split("<main")[1]
