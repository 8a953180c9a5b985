"""Hostile pages: redirects leave neither the source's domains nor the public
internet, bytes that are not text are no article, and a gzip bomb stopped at
the size cap is a permanent failure (issue 13)."""

from __future__ import annotations

import pytest
from conftest import crawl_settings
from site_server import SiteServer, sitemap_source
from sqlalchemy import select

from core.config import Settings
from crawlers.plan import SourcePlan
from crawlers.redirects import redirect_problem, registered_domain
from pipeline.crawl.run import run_crawl
from storage.db import Database
from storage.models import ArticleRow, FetchStateRow


def test_registered_domains_follow_the_public_suffix_list() -> None:
    assert registered_domain("rss.vnexpress.net") == "vnexpress.net"
    assert registered_domain("baoquangbinh.gov.vn") == "baoquangbinh.gov.vn"
    assert registered_domain("news.bbc.co.uk") == "bbc.co.uk"
    assert registered_domain("127.0.0.1") == "127.0.0.1"


@pytest.mark.parametrize(
    ("target", "allowed"),
    [
        ("https://vnexpress.net/a.html", True),
        ("https://e.vnexpress.net/a.html", True),
        ("https://vnexpress.net.evil.example/a.html", False),
        ("https://cdn.partner-news.vn/a.html", True),  # the source's allow-list
        ("https://other.example.org/a.html", False),
        ("ftp://vnexpress.net/a", False),
    ],
)
def test_redirects_stay_within_the_source_domains(target: str, allowed: bool) -> None:
    source = SourcePlan(
        id="vne", feeds=("https://rss.vnexpress.net/x.rss",), redirect_domains=("partner-news.vn",)
    )
    assert (redirect_problem(source, target) is None) is allowed


def test_no_redirect_to_internal_addresses_unless_the_source_is_internal() -> None:
    public = SourcePlan(
        id="pub",
        feeds=("http://93.184.216.34/rss",),
        redirect_domains=("10.0.0.5", "169.254.169.254"),
    )
    assert "private or local" in (redirect_problem(public, "http://10.0.0.5/admin") or "")
    assert "private or local" in (
        redirect_problem(public, "http://169.254.169.254/latest/meta-data/") or ""
    )
    internal = SourcePlan(id="lan", feeds=("http://127.0.0.1:8080/rss",))
    assert redirect_problem(internal, "http://127.0.0.1:8080/other") is None


@pytest.mark.slow
def test_hostile_pages_are_failed_pages_never_articles(
    db_settings: Settings, database: Database, site: SiteServer
) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("what the crawler refuses does not depend on the backend")
    source = sitemap_source(site, "hostile", "Hostile")
    settings = crawl_settings(db_settings, [source])
    report = run_crawl(settings, timeout=120)
    counts = report.sources[0].counts
    assert counts.get("articles", 0) == 1, counts  # only the redirect within the site
    with database.session() as session:
        stored = list(session.scalars(select(ArticleRow.canonical_url)))
        state = {row.url.rsplit("/", 1)[1]: row for row in session.scalars(select(FetchStateRow))}
    assert [u.rsplit("/", 1)[1] for u in stored] == ["lu-quang-binh-1001.html"]  # inside-4
    # Nothing fetched from the other host, and the failure is stored under the asked URL.
    assert not [r for r in site.state.requests if r.headers.get("host", "").startswith("localhost")]
    assert "outside the source's domains" in (state["offsite-1.html"].last_error or "")
    assert "no article text" in (state["noise-2.html"].last_error or "")
    assert "DOWNLOAD_MAXSIZE" in (state["bomb-3.html"].last_error or "")
    for name in ("offsite-1.html", "noise-2.html", "bomb-3.html"):
        assert (state[name].last_error or "").startswith("permanent"), state[name].last_error


def test_an_unreachable_host_is_one_log_line_naming_it_not_a_traceback() -> None:
    import logging
    import sys

    from twisted.internet.error import DNSLookupError

    from pipeline.crawl.worker import _quiet_third_parties

    def record(name: str, error: BaseException) -> logging.LogRecord:
        try:
            raise error
        except BaseException:
            info = sys.exc_info()
        return logging.LogRecord(
            name, logging.ERROR, __file__, 1, "Error downloading <GET x>", (), info
        )

    scrapy_line = record("scrapy.downloadermiddlewares.robotstxt", DNSLookupError("no host"))
    assert _quiet_third_parties(scrapy_line) and scrapy_line.exc_info is None
    ours = record("pipeline.crawl.store", DNSLookupError("no host"))
    assert _quiet_third_parties(ours) and ours.exc_info is not None
    bug = record("scrapy.core.scraper", KeyError("a bug"))
    assert _quiet_third_parties(bug) and bug.exc_info is not None
