"""A case made of our own small pages, for the evidence bundle tests, and a local
server that counts every request made to it (a render must make none).

The article page tries every way a page can reach out or change itself: a meta
refresh, a stylesheet, an @import, an image, a background image, an iframe, an
external and inline scripts and an event handler, all pointing at the counting
server or painting the page black.
"""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from core.config import Settings
from core.record import Article, Snapshot
from pipeline.review.workflow import open_case
from storage.articles import add_article, assign_story, new_story
from storage.db import Database
from storage.snapshots import save_snapshot
from storage.sources import sync_sources

TITLE = "Lũ ở Quảng Bình"
FETCHED = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)
# The title band of the screenshot: the h1 below is 96 px type on a 120 px line,
# 20 px from the top; everything else on the page starts 400 px down.
TITLE_BAND = (0, 0, 1280, 160)


def page(title: str | None, port: int) -> bytes:
    base = f"http://127.0.0.1:{port}"
    heading = f"<h1>{title}</h1>" if title else ""
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{title or "edited"}</title>
<meta http-equiv="refresh" content="0; url={base}/refresh">
<link rel="stylesheet" href="{base}/style.css">
<style>@import url({base}/import.css);
body {{ margin: 0; background: #fff; color: #000; font-family: sans-serif; }}
h1 {{ font-size: 96px; line-height: 120px; margin: 20px; }}
p {{ margin: 400px 20px 0; font-size: 14px; }}
.bg {{ background-image: url({base}/background.png); width: 10px; height: 10px; }}</style>
<script>document.documentElement.style.background = "#000";</script>
<script src="{base}/app.js"></script>
</head><body>{heading}
<p>Mưa lớn ở Quảng Bình. <img src="{base}/photo.png" width="8" height="8" alt=""></p>
<div class="bg"></div>
<iframe src="{base}/frame" width="10" height="10"></iframe>
<img src="missing" onerror="document.body.style.background = '#000'">
<script>document.body.style.background = "#000";</script>
</body></html>""".encode()


@dataclass
class EvidenceCase:
    case_id: int
    original: int  # the snapshot the flagged article was extracted from
    edited: int  # the same URL fetched again a day later, title gone
    foreign: int  # the foreign copy, stored with headers of a gzipped, chunked reply
    unrelated: int  # a snapshot of an article outside the case
    bodies: dict[int, bytes]


def _article(url: str, source_id: str, title: str, snapshot_id: int, n: int) -> Article:
    return Article(
        url=url,
        canonical_url=url,
        source_id=source_id,
        title=title,
        text="Mưa lớn ở Quảng Bình.",
        published_at=FETCHED,
        language="vi",
        content_hash=f"{n:064d}",
        relevant=True,
        snapshot_id=snapshot_id,
    )


def seed_case(database: Database, settings: Settings, port: int) -> EvidenceCase:
    article_url = "https://news.example/baoquangtri/lu"
    foreign_url = "https://foreign.example/flood"
    snapshots = {
        "original": Snapshot(
            url=article_url,
            final_url=article_url,
            status=200,
            body=page(TITLE, port),
            headers={"content-type": "text/html; charset=utf-8", "etag": '"v1"'},
            fetched_at=FETCHED,
            source_id="baoquangtri",
        ),
        "edited": Snapshot(
            url=article_url,
            final_url=article_url,
            status=200,
            body=page(None, port),
            headers={"content-type": "text/html; charset=utf-8"},
            fetched_at=FETCHED + dt.timedelta(days=1),
            source_id="baoquangtri",
        ),
        "foreign": Snapshot(
            url=foreign_url + "?utm_source=feed",
            final_url=foreign_url,
            status=200,
            body=page("Flood in Quang Binh", port),
            headers={
                "Content-Type": "text/html; charset=utf-8",
                "content-encoding": "gzip",
                "transfer-encoding": "chunked",
                "content-length": "12",
            },
            fetched_at=FETCHED + dt.timedelta(minutes=30),
            source_id="bbc-vietnamese",
        ),
        "unrelated": Snapshot(
            url="https://news.example/vnexpress/du-lich",
            final_url="https://news.example/vnexpress/du-lich",
            status=200,
            body=b"<html><body>Phong Nha</body></html>",
            headers={"content-type": "text/html"},
            fetched_at=FETCHED,
            source_id="vnexpress",
        ),
    }
    with database.session() as s:
        sync_sources(s, settings.sources)
        ids = {name: save_snapshot(s, snapshot) for name, snapshot in snapshots.items()}
        flagged = add_article(s, _article(article_url, "baoquangtri", TITLE, ids["original"], 9001))
        copy = add_article(
            s, _article(foreign_url, "bbc-vietnamese", "Flood", ids["foreign"], 9002)
        )
        other = add_article(
            s,
            _article(snapshots["unrelated"].url, "vnexpress", "Phong Nha", ids["unrelated"], 9003),
        )
        story = new_story(s, TITLE)
        assign_story(s, flagged, story)
        assign_story(s, copy, story)
        assign_story(s, other, new_story(s, "Phong Nha"))
        case_id = open_case(
            s,
            story_id=story,
            title=TITLE,
            article_id=flagged,
            distortion_score=0.8,
            priority=75.0,
            topics=["disaster"],
        )
    return EvidenceCase(
        case_id=case_id,
        original=ids["original"],
        edited=ids["edited"],
        foreign=ids["foreign"],
        unrelated=ids["unrelated"],
        bodies={ids[name]: snapshot.body for name, snapshot in snapshots.items()},
    )


class CountingServer:
    """A local HTTP server that records the path of every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        seen = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])


@contextmanager
def counting_server() -> Iterator[CountingServer]:
    counting = CountingServer()
    thread = threading.Thread(target=counting.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield counting
    finally:
        counting.server.shutdown()
        counting.server.server_close()
        thread.join(5)
