"""The recrawl's fetching (issue 15): robots.txt and conditional GET, what counts
as a removal by redirect, and server errors retried until given up."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from core.config import Settings
from pipeline.recrawl.refetch import looks_removed, run_recrawl
from storage.db import Database
from storage.models import ArticleRow
from storage.version_models import RecrawlDueRow
from tests.pipeline.recrawl_site import recrawl_site
from tests.pipeline.test_recrawl import _pages, changes, office


@pytest.mark.parametrize(
    ("final", "by_pattern", "by_path"),
    [
        ("https://bao.vn/thoi-su/lu-quang-binh-123.html", False, False),
        ("https://bao.vn/thoi-su/lu-quang-binh-moi-123.html", False, False),  # a new slug
        ("https://bao.vn/", True, True),
        ("https://bao.vn/thoi-su/", True, True),
        ("https://bao.vn/tag/lu", True, False),  # only the source's patterns tell
    ],
)
def test_a_redirect_to_a_section_or_home_is_a_removal(
    final: str, by_pattern: bool, by_path: bool
) -> None:
    url = "https://bao.vn/thoi-su/lu-quang-binh-123.html"
    assert looks_removed(url, final, [r"-\d+\.html$"]) is by_pattern
    assert looks_removed(url, final, []) is by_path


def test_the_refetch_obeys_robots_txt_and_asks_conditionally(settings: Settings) -> None:
    from pipeline.recrawl.fetch import FetchProblem, PoliteClient

    with recrawl_site() as site, PoliteClient(settings.crawl) as client:
        site.pages = _pages()
        with pytest.raises(FetchProblem, match=r"robots\.txt") as refused:
            client.get(f"{site.url}/private/tin.html", source=site.source())
        assert refused.value.permanent and "/private/tin.html" not in site.requests
        fetched = client.get(site.article_url("phong-nha"), source=site.source())
        again = client.get(
            site.article_url("phong-nha"), source=site.source(), etag=fetched.headers["etag"]
        )
        assert (fetched.status, again.status) == (200, 304)
        assert site.requests.count("/robots.txt") == 1


def test_a_server_error_is_no_change_and_is_retried_until_given_up(
    database: Database, settings: Settings
) -> None:
    with office(database, settings) as (site, o):
        first = dt.datetime.now(dt.UTC)
        with database.session() as session:
            session.execute(update(ArticleRow).values(fetched_at=first))
        for page in site.pages.values():
            page.mode = "down"
        day = first + dt.timedelta(hours=25)
        assert run_recrawl(o.settings, database, now=day).outcomes["failed"] == 4
        assert run_recrawl(o.settings, database, now=day).outcomes["failed"] == 4  # still due
        late = day + o.settings.recrawl.give_up_after
        stats = run_recrawl(o.settings, database, now=late)
        assert stats.outcomes["failed_given_up"] == 4, stats
        assert changes(database) == []
        with database.session() as session:
            left = session.scalars(
                select(RecrawlDueRow.due_kind).where(RecrawlDueRow.done_at.is_(None))
            )
            assert sorted(left) == ["7d"] * 4
