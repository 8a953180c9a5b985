"""A source's warm-up request primes the session cookie its feed needs (QĐND: `/rss`
answers 302 to itself with the cookie, the feed loops back to `/rss` without it)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import crawl_settings, serving
from sqlalchemy import select

from core.config import Settings, Source
from pipeline.crawl.run import run_crawl
from storage.db import Database
from storage.models import ArticleRow

COOKIE = "qdnd_session=s3ss10n"
ARTICLE = (
    "<html><head><title>Bộ đội biên phòng Quảng Bình tuần tra biên giới</title></head><body>"
    "<article><h1>Bộ đội biên phòng Quảng Bình tuần tra biên giới</h1>"
    + "<p>Đồn biên phòng Cà Xèng phối hợp với lực lượng bạn Lào tuần tra song phương dọc"
    " đường biên, kiểm tra hệ thống mốc giới và nắm tình hình địa bàn hai bên.</p>"
    * 6
    + "</article></body></html>"
)


class CookieWall(BaseHTTPRequestHandler):
    """`/rss` sets the cookie and redirects to itself; the feed and the article answer
    only with the cookie, otherwise they redirect to `/rss` (the loop a bare fetch sees)."""

    protocol_version = "HTTP/1.1"
    server: CookieServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.paths.append(self.path)
        has_cookie = COOKIE in (self.headers.get("Cookie") or "")
        base = f"http://127.0.0.1:{self.server.server_port}"
        if self.path == "/robots.txt":
            self._send(200, b"User-agent: *\nAllow: /\n", Content_Type="text/plain")
        elif self.path == "/rss":
            self._send(302, Location=f"{base}/rss", Set_Cookie=f"{COOKIE}; Path=/")
        elif not has_cookie:
            self._send(302, Location=f"{base}/rss")
        elif self.path == "/rss/cate/tin-tuc-moi-nhat.rss":
            feed = (
                '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>QĐND</title><link>{base}/</link><item>"
                "<title>Bộ đội biên phòng Quảng Bình tuần tra biên giới</title>"
                f"<link>{base}/quoc-phong/tuan-tra-bien-gioi-812345</link>"
                "<pubDate>Wed, 02 Dec 2026 08:00:00 +0700</pubDate></item></channel></rss>"
            )
            self._send(200, feed.encode(), Content_Type="application/rss+xml; charset=utf-8")
        elif self.path == "/quoc-phong/tuan-tra-bien-gioi-812345":
            self._send(200, ARTICLE.encode(), Content_Type="text/html; charset=utf-8")
        else:
            self._send(404)


class CookieServer(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), CookieWall)
        self.lock = threading.Lock()
        self.paths: list[str] = []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_port}{path}"


@pytest.fixture
def wall() -> Iterator[CookieServer]:
    with serving(CookieServer()) as server:
        yield server


def _source(wall: CookieServer, warmup: bool, warmup_url: str | None = None) -> Source:
    return Source(
        id="qdnd",
        name="Quân đội nhân dân",
        kind="feed",
        language="vi",
        origin="domestic",
        feeds=[wall.url("/rss/cate/tin-tuc-moi-nhat.rss")],
        warmup_urls=[warmup_url or wall.url("/rss")] if warmup else [],
    )


def _articles(database: Database) -> list[str]:
    with database.session() as session:
        return [row.url for row in session.scalars(select(ArticleRow))]


@pytest.mark.slow
def test_without_the_warmup_the_feed_loops_and_nothing_is_stored(
    db_settings: Settings, database: Database, wall: CookieServer
) -> None:
    report = run_crawl(crawl_settings(db_settings, [_source(wall, False)]), timeout=120)
    assert not report.sources[0].ok
    assert _articles(database) == []
    assert "/rss" in wall.paths  # it was redirected there, and no further


@pytest.mark.slow
def test_the_warmup_sets_the_cookie_the_feed_and_its_articles_need(
    db_settings: Settings, database: Database, wall: CookieServer
) -> None:
    report = run_crawl(crawl_settings(db_settings, [_source(wall, True)]), timeout=120)
    assert report.sources[0].ok, report.sources[0].errors
    assert _articles(database) == [wall.url("/quoc-phong/tuan-tra-bien-gioi-812345")]
    fetched = [p for p in wall.paths if p != "/robots.txt"]
    # The warm-up first, once (its redirect is not followed), then the feed and the article.
    assert fetched[:1] == ["/rss"] and fetched.count("/rss") == 1
    assert fetched[1:] == [
        "/rss/cate/tin-tuc-moi-nhat.rss",
        "/quoc-phong/tuan-tra-bien-gioi-812345",
    ]


@pytest.mark.slow
def test_an_unreachable_warmup_is_logged_and_the_feed_is_still_asked_for(
    db_settings: Settings, database: Database, wall: CookieServer
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/rss"
    source = _source(wall, True, warmup_url=dead)
    report = run_crawl(crawl_settings(db_settings, [source]), timeout=120)
    # No cookie, so the wall sends the feed back to /rss until Scrapy gives up redirecting.
    assert not report.sources[0].ok
    assert any("redirect" in e for e in report.sources[0].errors), report.sources[0].errors
    assert "/rss/cate/tin-tuc-moi-nhat.rss" in wall.paths
    assert _articles(database) == []
