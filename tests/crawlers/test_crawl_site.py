"""End to end: `run_crawl` against the recorded site on 127.0.0.1, in its child process."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import crawl_settings, site_sources
from site_server import SiteServer
from sqlalchemy import func, select

from core.config import Settings
from pipeline.crawl.run import run_crawl
from storage.db import Database
from storage.models import ArticleRow, FetchStateRow, SnapshotRow, SourceRow

STORED = {
    "en/exports-rise-2006.html",
    "en/son-doong-cap-2001.html",
    "thoi-su/202603/ha-noi-kinh-te-d4e5f6/",
    "thoi-su/202603/ham-deo-ngang-7e7e7e/",
    "thoi-su/202603/lu-quang-binh-a1b2c3/",
    "thoi-su/202603/tong-ket-thien-tai-0a0b0c/",
    "vi/ban-sao-lu-1007.html",
    "vi/cang-hon-la-1005.html",
    "vi/ham-deo-ngang-1013.html",
    "vi/hang-dong-moi-1010.html",
    "vi/kinh-te-ha-noi-1002.html",
    "vi/lu-quang-binh-1001.html",
    "vi/quang-ninh-du-lich-1006.html",
    "vi/tong-ket-thien-tai-1011.html",
}
# Failures a later run may retry; everything else must be conditional or skipped.
# 3 feeds, 1 news sitemap, 2 section pages: snapshots too.
ENTRY_PAGES = 6
TRANSIENT = {"/en/slow-2003.html", "/en/loop-2004.html", "/feeds/dead.xml", "/en/big-2005.html"}


def _articles(database: Database) -> dict[str, ArticleRow]:
    with database.session() as session:
        rows = session.scalars(select(ArticleRow)).all()
        return {row.canonical_url.split("/", 3)[3]: row for row in rows}


def _count(database: Database, model: type) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.slow
def test_crawl_then_nothing_new(
    db_settings: Settings, database: Database, site: SiteServer
) -> None:
    settings = crawl_settings(db_settings, site_sources(site))
    report = run_crawl(settings, timeout=120)
    by_id = {s.source_id: s for s in report.sources}

    # A dead feed fails its source only, with a message naming it; a broken feed is used.
    assert by_id["mientrung"].ok and by_id["mientrung-site"].ok
    assert by_id["dead"].errors == [f"{site.url('/feeds/dead.xml')}: HTTP 503"]
    assert any("broken.xml" in w for w in by_id["mientrung"].warnings)
    assert not report.ok
    with database.session() as session:
        outcome = {
            row.id: (row.last_crawl_ok, row.last_error)
            for row in session.scalars(select(SourceRow))
        }
    assert outcome["mientrung"] == (True, None)
    assert outcome["dead"][0] is False and "dead.xml" in (outcome["dead"][1] or "")

    paths = site.state.paths()
    with site.state.lock:
        first = list(site.state.requests)
    assert all(r.headers.get("from") == settings.crawl.contact for r in first)
    assert all(settings.crawl.contact in r.headers.get("user-agent", "") for r in first)
    assert "/robots.txt" in paths
    assert not [p for p in paths if p.startswith("/private/")], "robots.txt disallows /private/"
    assert "/thoi-su/trang-2/" in paths and "/thoi-su/trang-3/" not in paths  # max_depth 1
    assert "/vi/tin-cu-2019.html" not in paths  # older than max_age_days
    assert paths.count("/vi/cang-hon-la-1005.html") == 2  # 500, then success on retry
    assert "/vi/ham-deo-ngang-1013.html" in paths  # from the broken feed's intact item

    articles = _articles(database)
    assert set(articles) == STORED  # utm/fragment variants of 1001 collapsed into one
    assert _count(database, SnapshotRow) == len(STORED) + ENTRY_PAGES

    flood = articles["vi/lu-quang-binh-1001.html"]
    assert flood.relevant and flood.text.startswith("Chiều 4/3, Ban Chỉ huy")
    assert flood.title == "Mưa lũ nhấn chìm hơn 1.200 ngôi nhà ở Quảng Bình"
    assert flood.published_at == dt.datetime(2026, 3, 4, 10, 30, tzinfo=dt.UTC)
    assert flood.language == "vi" and flood.authors == ["Hoàng Minh"]
    assert {p["name"] for p in flood.places} >= {"quang-binh", "le-thuy", "dong-hoi"}
    text = f"{flood.title}\n\n{flood.text}"
    assert all(text[p["start"] : p["end"]] for p in flood.places)

    # Not about the province: metadata only. "Tỉnh Quảng Ninh" is the other Quảng Ninh.
    for key in (
        "vi/kinh-te-ha-noi-1002.html",
        "vi/quang-ninh-du-lich-1006.html",
        "en/exports-rise-2006.html",
    ):
        assert not articles[key].relevant and articles[key].text == "" and articles[key].title
    assert articles["en/son-doong-cap-2001.html"].relevant
    assert articles["en/son-doong-cap-2001.html"].language == "en"
    cave = articles["vi/hang-dong-moi-1010.html"]  # its <meta> says windows-1252, bytes are UTF-8
    assert cave.title == "Phát hiện thêm 12 hang động mới ở Phong Nha-Kẻ Bàng" and cave.relevant

    # The syndicated copy joins the original's story; another flood story does not.
    story = flood.story_id
    assert story is not None
    assert articles["vi/ban-sao-lu-1007.html"].story_id == story
    assert articles["thoi-su/202603/lu-quang-binh-a1b2c3/"].story_id == story  # exact copy
    assert articles["vi/tong-ket-thien-tai-1011.html"].story_id not in (None, story)
    assert articles["vi/kinh-te-ha-noi-1002.html"].story_id is None

    with database.session() as session:
        state = {row.url.split("/", 3)[3]: row for row in session.scalars(select(FetchStateRow))}
    assert state["vi/khong-ton-tai-1004.html"].last_status == 404
    assert (state["docs/bao-cao-2025.pdf"].last_error or "").startswith("permanent: not HTML")
    assert "download max size" in (state["en/big-2005.html"].last_error or "")
    assert "redirect" in (state["en/loop-2004.html"].last_error or "")
    assert "took longer" in (state["en/slow-2003.html"].last_error or "")

    # Second run, nothing new: only conditional requests, nothing stored.
    site.state.requests.clear()
    again = run_crawl(settings, timeout=120)
    assert again.new_articles == 0
    assert _articles(database).keys() == STORED
    assert _count(database, SnapshotRow) == len(STORED) + ENTRY_PAGES
    with site.state.lock:
        second = list(site.state.requests)
    assert second, "the second run made no request at all"
    for request in second:
        path = request.path.split("?")[0]
        if path == "/robots.txt" or path in TRANSIENT:
            continue
        assert "if-none-match" in request.headers or "if-modified-since" in request.headers, path
    second_paths = {r.path for r in second}
    assert "/en/slow-2003.html" in second_paths  # a passing failure is retried
    assert not second_paths & {"/vi/khong-ton-tai-1004.html", "/docs/bao-cao-2025.pdf"}
    stored_paths = {"/" + key for key in STORED}
    assert not stored_paths & {r.path for r in second}
    assert {s.source_id: s.counts.get("not_modified", 0) for s in again.sources}["mientrung"] == 3
