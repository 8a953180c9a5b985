"""`render: fallback`: an article page whose static HTML has no body (a script fills it
in from a same-host JSON endpoint) is rendered in the system Chromium and extracted
from the rendered DOM; a page with a static body, or a source without the option,
is never rendered (counted at the server: the JSON endpoint is asked only by a
render). The render reaches the page's own host only, and no more renders run at
once than `crawl.render_concurrency`."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

import pytest
from conftest import crawl_settings, serving
from sqlalchemy import select

from core.config import Settings, Source
from pipeline.crawl.rendering import RENDERED_HEADER, STATIC_HASH_HEADER
from pipeline.crawl.run import run_crawl
from storage.crawl_state import PERMANENT
from storage.db import Database
from storage.models import ArticleRow, FetchStateRow, SnapshotRow
from storage.snapshots import content_hash, load_snapshot

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="the system `chromium` is not installed (.ci/run installs it with apt)",
    ),
]

PARAGRAPH = (
    "Ủy ban nhân dân tỉnh Quảng Bình cho biết tuyến đường ven biển qua Đồng Hới sẽ được"
    " thông xe trong tháng tới, sau hai năm thi công và nhiều lần điều chỉnh thiết kế."
)
STATIC_ARTICLE = (
    "<html lang='vi'><head><title>Đường ven biển Quảng Bình sắp thông xe</title></head><body>"
    "<article><h1>Đường ven biển Quảng Bình sắp thông xe</h1>"
    + "".join(f"<p>Đoạn {n}. {PARAGRAPH}</p>" for n in range(1, 6))
    + "</article></body></html>"
)
JS_ARTICLES = ("cang-hon-la", "san-bay-dong-hoi", "cau-nhat-le")


def _shell(name: str, other: str) -> str:
    """What a script-built article page sends: a title, a notice, an empty body that a
    script fills from /api/<name>.json; it also asks another host, which must fail."""
    return (
        f"<html lang='vi'><head><title>Bài {name}</title></head><body>"
        "<header><a href='/'>Trang chủ</a></header>"
        "<noscript>Vui lòng bật JavaScript để đọc bài viết.</noscript>"
        "<main><article id='story'><p>Đang tải…</p></article></main>"
        f"<img src='{other}/pixel.gif'>"
        "<script>"
        f"fetch('{other}/track.json').catch(() => null);"
        f"fetch('/api/{name}.json').then(r => r.json()).then(d => {{"
        "  const story = document.getElementById('story');"
        "  story.innerHTML = '<h1>' + d.title + '</h1>' + d.paragraphs.map(p =>"
        "    '<p>' + p + '</p>').join('');"
        "});"
        "</script></body></html>"
    )


class Outlet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: OutletServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        server = self.server
        path = self.path
        with server.lock:
            server.hits[path] += 1
            if path.startswith("/tin/") and server.hits[path] == 2:  # Chromium's fetch
                server.rendering += 1
                server.most_at_once = max(server.most_at_once, server.rendering)
        html = "text/html; charset=utf-8"
        if path == "/robots.txt":
            self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
        elif path == "/rss.xml":
            items = "".join(
                f"<item><title>{slug}</title><link>{server.url('/tin/' + slug)}</link></item>"
                for slug in ("duong-ven-bien", *JS_ARTICLES)
            )
            feed = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>{items}'
            self._send(200, (feed + "</channel></rss>").encode(), "application/rss+xml")
        elif path == "/tin/duong-ven-bien":
            self._send(200, STATIC_ARTICLE.encode(), html)
        elif path.startswith("/tin/") and path[5:] in JS_ARTICLES:
            self._send(200, _shell(path[5:], server.other).encode(), html)
        elif path.startswith("/api/") and path.endswith(".json"):
            name = path[5:-5]
            # A render lasts from Chromium's fetch of the page to this answer: long
            # enough for renders allowed at once to overlap.
            time.sleep(1.0)
            server.released.wait(timeout=15)  # set, unless the test wants a hung endpoint
            with server.lock:
                server.rendering -= 1
            data = {
                "title": f"Bài {name}",
                "paragraphs": [f"{name}: {PARAGRAPH} ({n})" for n in range(4)],
            }
            self._send(200, json.dumps(data, ensure_ascii=False).encode(), "application/json")
        else:
            self._send(404, b"", "text/plain")


class OutletServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, other: str = "") -> None:
        super().__init__(("127.0.0.1", 0), Outlet)
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self.other = other
        self.rendering = 0
        self.most_at_once = 0
        self.released = threading.Event()
        self.released.set()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_port}{path}"


@pytest.fixture
def elsewhere() -> Iterator[OutletServer]:
    """Another host (port) the script-built pages name: a render must never reach it."""
    with serving(OutletServer()) as server:
        yield server


@pytest.fixture
def outlet(elsewhere: OutletServer) -> Iterator[OutletServer]:
    with serving(OutletServer(other=elsewhere.url(""))) as server:
        yield server


def _settings(
    base: Settings,
    outlet: OutletServer,
    render: Literal["never", "fallback"],
    at_once: int = 2,
    timeout: float = 30.0,
) -> Settings:
    source = Source(
        id="baoquangbinh",
        name="Báo Quảng Bình",
        kind="feed",
        language="vi",
        origin="domestic",
        feeds=[outlet.url("/rss.xml")],
        render=render,
    )
    settings = crawl_settings(base, [source])
    crawl = settings.crawl.model_copy(
        update={"render_concurrency": at_once, "render_timeout_seconds": timeout}
    )
    return settings.model_copy(update={"crawl": crawl})


def _texts(database: Database) -> dict[str, str]:
    with database.session() as session:
        return {row.url.rsplit("/", 1)[-1]: row.text for row in session.scalars(select(ArticleRow))}


def test_without_the_option_a_script_built_page_is_not_rendered_and_has_no_body(
    db_settings: Settings, database: Database, outlet: OutletServer, elsewhere: OutletServer
) -> None:
    report = run_crawl(_settings(db_settings, outlet, "never"), timeout=120)
    assert report.sources[0].ok, report.sources[0].errors
    assert "rendered" not in report.sources[0].counts
    texts = _texts(database)
    assert PARAGRAPH in texts["duong-ven-bien"]
    for slug in JS_ARTICLES:  # stored from what the static page says: no article body
        assert PARAGRAPH not in texts[slug]
        assert outlet.hits[f"/tin/{slug}"] == 1
    assert not any(path.startswith("/api/") for path in outlet.hits)  # nothing rendered


def test_with_the_option_only_the_pages_without_a_static_body_are_rendered(
    db_settings: Settings, database: Database, outlet: OutletServer, elsewhere: OutletServer
) -> None:
    report = run_crawl(_settings(db_settings, outlet, "fallback"), timeout=180)
    assert report.sources[0].ok, report.sources[0].errors
    assert report.sources[0].counts["rendered"] == len(JS_ARTICLES)
    texts = _texts(database)
    assert sorted(texts) == sorted(["duong-ven-bien", *JS_ARTICLES])
    for slug in JS_ARTICLES:
        assert f"{slug}: {PARAGRAPH}" in texts[slug]  # the body the script inserted
        assert "Đang tải" not in texts[slug]
        # Fetched by the crawl, then once by Chromium, which asked for the data once.
        assert outlet.hits[f"/tin/{slug}"] == 2 and outlet.hits[f"/api/{slug}.json"] == 1
    assert outlet.hits["/tin/duong-ven-bien"] == 1  # a static body: never rendered
    assert not elsewhere.hits, elsewhere.hits  # the render reached the page's host only

    with database.session() as session:
        article = session.scalars(
            select(ArticleRow).where(ArticleRow.url == outlet.url("/tin/cau-nhat-le"))
        ).one()
        assert article.snapshot_id is not None
        rendered = load_snapshot(session, article.snapshot_id)
        static_rows = [
            row
            for row in session.scalars(select(SnapshotRow).where(SnapshotRow.url == article.url))
            if row.id != article.snapshot_id
        ]
        assert len(static_rows) == 1
        static = load_snapshot(session, static_rows[0].id)
        static_article = session.scalars(
            select(ArticleRow).where(ArticleRow.url == outlet.url("/tin/duong-ven-bien"))
        ).one()
        assert static_article.snapshot_id is not None
        plain = load_snapshot(session, static_article.snapshot_id)
    # The static page as the server sent it, and the rendered DOM marked as such.
    assert static.body == _shell("cau-nhat-le", elsewhere.url("")).encode()
    assert RENDERED_HEADER not in static.headers
    assert rendered.headers[RENDERED_HEADER].startswith("Chromium")
    assert rendered.headers[STATIC_HASH_HEADER] == content_hash(static.body)
    assert b"cau-nhat-le: " in rendered.body
    assert static.id is not None and rendered.id is not None and static.id < rendered.id
    assert RENDERED_HEADER not in plain.headers


@pytest.mark.parametrize("at_once", [1, 3])
def test_no_more_renders_run_at_once_than_the_limit(
    db_settings: Settings,
    database: Database,
    outlet: OutletServer,
    elsewhere: OutletServer,
    at_once: int,
) -> None:
    report = run_crawl(_settings(db_settings, outlet, "fallback", at_once=at_once), timeout=180)
    assert report.sources[0].ok, report.sources[0].errors
    assert all(outlet.hits[f"/api/{slug}.json"] == 1 for slug in JS_ARTICLES)
    # Three pages fetched at once: with room for three renders, they overlap.
    assert outlet.most_at_once == 1 if at_once == 1 else outlet.most_at_once > 1


def test_a_render_that_overruns_its_time_is_killed_and_the_page_tried_again_next_crawl(
    db_settings: Settings, database: Database, outlet: OutletServer, elsewhere: OutletServer
) -> None:
    outlet.released.clear()  # the data endpoint hangs: the script never fills the body
    started = time.monotonic()
    try:
        report = run_crawl(
            _settings(db_settings, outlet, "fallback", at_once=3, timeout=3.0), timeout=120
        )
    finally:
        outlet.released.set()
    assert time.monotonic() - started < 60
    source = report.sources[0]
    assert "rendered" not in source.counts and source.counts["article_failed"] == len(JS_ARTICLES)
    assert sum("Chromium took more than 3 s" in w for w in source.warnings) == len(JS_ARTICLES)
    assert list(_texts(database)) == ["duong-ven-bien"]
    with database.session() as session:
        states = {row.url: row for row in session.scalars(select(FetchStateRow))}
        kept = {row.url for row in session.scalars(select(SnapshotRow))}
    for slug in JS_ARTICLES:
        url = outlet.url(f"/tin/{slug}")
        assert url in kept  # the static page is evidence all the same
        state = states[url]
        assert not state.last_error.startswith(PERMANENT) and state.failures == 1

    # Next crawl, the data answers: the pages are fetched and rendered again, and stored.
    report = run_crawl(_settings(db_settings, outlet, "fallback"), timeout=120)
    assert report.sources[0].counts["rendered"] == len(JS_ARTICLES)
    assert sorted(_texts(database)) == sorted(["duong-ven-bien", *JS_ARTICLES])
