from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import TypeVar

import pytest
from site_server import SITE, SiteServer

from core.config import Settings, Source

Served = TypeVar("Served", bound=ThreadingHTTPServer)


@contextlib.contextmanager
def serving(server: Served) -> Iterator[Served]:
    """`server` answering on its own thread until the block ends."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with serving(SiteServer()) as server:
        yield server


def site_sources(site: SiteServer) -> list[Source]:
    return [
        Source(
            id="mientrung",
            name="Báo Tin Tức Miền Trung",
            kind="feed",
            language="vi",
            origin="domestic",
            feeds=[
                site.url("/feeds/rss.xml"),
                site.url("/feeds/atom.xml"),
                site.url("/feeds/broken.xml"),
            ],
        ),
        Source(
            id="mientrung-site",
            name="Báo Tin Tức Miền Trung (chuyên mục)",
            kind="site",
            language="vi",
            origin="domestic",
            start_urls=[site.url("/thoi-su/")],
            article_patterns=[r"/thoi-su/\d{6}/[a-z0-9-]+-[0-9a-f]+/$"],
            sitemaps=[site.url("/sitemap-news.xml")],
            max_depth=1,
        ),
        Source(
            id="dead",
            name="Dead feed",
            kind="feed",
            language="en",
            origin="foreign",
            feeds=[site.url("/feeds/dead.xml")],
        ),
    ]


def crawl_settings(base: Settings, sources: list[Source]) -> Settings:
    crawl = base.crawl.model_copy(
        update={
            "download_delay_seconds": 0.0,
            "autothrottle": False,
            "timeout_seconds": 1.0,
            "retries": 1,
            "max_page_bytes": 100_000,
            "max_age_days": 1000,
            "concurrency_per_domain": 4,
        }
    )
    return base.model_copy(update={"crawl": crawl, "sources": sources})


SITE_HOST = "news.example"


def site_bytes(relative: str) -> bytes:
    """A recorded page with its host placeholder filled, as the server would send it."""
    return (SITE / relative).read_bytes().replace(b"{HOST}", SITE_HOST.encode())
