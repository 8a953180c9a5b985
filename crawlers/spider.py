"""One generic spider for every source: feeds, news sitemaps, section pages
(with pagination up to the source's depth: crawlers/pagination.py finds the next
page) and the article pages they link.

Requests carry their context in cb_kwargs (never closures built in a loop).
Every request sets dont_filter and the spider keeps its own set of canonical
URLs: Scrapy's duplicate filter would otherwise silently swallow a redirect
loop instead of reporting it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urldefrag

import scrapy
from scrapy.http import Request, Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from core.record import FeedPolled, FetchFailed, NotModified, PageKind, Snapshot
from crawlers.feeds import FeedError, parse_feed
from crawlers.pagination import next_page, same_listing
from crawlers.plan import CrawlPlan, SourcePlan
from crawlers.redirects import REFUSED
from crawlers.urls import canonical_url, same_site

logger = logging.getLogger(__name__)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_PERMANENT_STATUS = {400, 401, 403, 404, 405, 410, 451}
Item = Snapshot | FetchFailed | NotModified | FeedPolled


def _headers(response: Response) -> dict[str, str]:
    return {
        key.decode("latin-1").lower(): b", ".join(values).decode("latin-1")
        for key, values in response.headers.items()
    }


class NewsSpider(scrapy.Spider):
    name = "presswatch"

    def __init__(self, plan: CrawlPlan, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plan = plan
        self._requested: set[str] = set()
        self._done: dict[str, bool] = {}
        self._articles_requested = 0
        self._patterns = {
            source.id: [re.compile(p) for p in source.article_patterns] for source in plan.sources
        }
        self._oldest = dt.datetime.now(dt.UTC) - dt.timedelta(days=plan.max_age_days)

    # --- requests -----------------------------------------------------------------------

    def _entry_request(
        self, url: str, kind: PageKind, source: SourcePlan, callback: Any, depth: int = 0
    ) -> Request | None:
        """A (conditional) request for a feed, sitemap or section page."""
        # Not canonical_url: it keeps only known query parameters, and `?cat=3&page=2`,
        # `?offset=40` or `?trang=3` are other pages, not variants of one article.
        key = urldefrag(url.strip())[0]
        if key in self._requested:
            return None
        self._requested.add(key)
        headers = {}
        etag, last_modified = self.plan.validators.get(url, (None, None))
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return Request(
            url,
            callback=callback,
            errback=self.on_error,
            headers=headers,
            dont_filter=True,
            cb_kwargs={"source": source, "kind": kind, "depth": depth},
            meta={"handle_httpstatus_list": [304], "presswatch_kind": kind},
        )

    def _article_request(
        self, url: str, source: SourcePlan, title: str = "", published: dt.datetime | None = None
    ) -> Request | None:
        key = canonical_url(url)
        if key in self._requested:
            return None
        self._requested.add(key)
        if self._known(key):
            return None
        if self._articles_requested >= self.plan.max_articles_per_run:
            return None
        self._articles_requested += 1
        return Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            dont_filter=True,
            cb_kwargs={"source": source, "kind": "article", "title": title, "published": published},
            meta={"presswatch_kind": "article"},
        )

    def _known(self, key: str) -> bool:
        """Stored already, or not worth fetching (asked once per URL: it is a query)."""
        if key not in self._done:
            self._done[key] = self.plan.is_done(key)
        return self._done[key]

    async def start(self) -> AsyncIterator[Request]:
        for source in self.plan.sources:
            if source.warmup_urls:
                yield self._warmup_request(source, 0)
                continue
            for request in self._entry_requests(source):
                yield request

    def _entry_requests(self, source: SourcePlan) -> Iterator[Request]:
        for url in source.feeds:
            if request := self._entry_request(url, "feed", source, self.parse_feed):
                yield request
        for url in source.sitemaps:
            if request := self._entry_request(url, "sitemap", source, self.parse_sitemap):
                yield request
        for url in source.start_urls:
            if request := self._entry_request(url, "listing", source, self.parse_listing):
                yield request
        for url in source.retry_urls:
            if request := self._article_request(url, source):
                yield request

    def _warmup_request(self, source: SourcePlan, index: int) -> Request:
        """A session-priming GET: any answer (a 302 to itself included) sets the cookie,
        which Scrapy's cookie middleware keeps for the source's later requests."""
        return Request(
            source.warmup_urls[index],
            callback=self.after_warmup,
            errback=self.warmup_failed,
            dont_filter=True,
            cb_kwargs={"source": source, "index": index},
            meta={
                "dont_redirect": True,
                "handle_httpstatus_all": True,
                "presswatch_kind": "warmup",
            },
        )

    def after_warmup(self, response: Response, source: SourcePlan, index: int) -> Iterator[Request]:
        if index + 1 < len(source.warmup_urls):
            yield self._warmup_request(source, index + 1)
            return
        yield from self._entry_requests(source)

    def warmup_failed(self, failure: Failure) -> Iterator[Request]:
        """The source's feeds are still asked for: they may answer without the cookie."""
        request = failure.request  # type: ignore[attr-defined]
        source: SourcePlan = request.cb_kwargs["source"]
        self.logger.warning("%s: warm-up %s failed: %s", source.id, request.url, failure.value)
        yield from self._entry_requests(source)

    # --- callbacks ----------------------------------------------------------------------

    def _page(self, response: Response, source: SourcePlan, kind: PageKind) -> Snapshot:
        return Snapshot(
            kind=kind,
            source_id=source.id,
            url=response.request.url if response.request else response.url,
            final_url=response.url,
            status=response.status,
            body=response.body,
            headers=_headers(response),
        )

    def parse_feed(
        self, response: Response, source: SourcePlan, kind: PageKind, depth: int
    ) -> Iterator[Item | Request]:
        if response.status == 304:
            yield NotModified(kind=kind, source_id=source.id, url=response.url)
            return
        page = self._page(response, source, kind)
        try:
            feed = parse_feed(response.body, response.url, page.headers.get("content-type"))
        except FeedError as exc:
            yield FetchFailed(
                kind=kind, source_id=source.id, url=page.url, error=str(exc), status=response.status
            )
            return
        page.warning = feed.warning
        yield page
        seen = 0
        for entry in feed.entries:
            if entry.published_at is not None and entry.published_at < self._oldest:
                seen += 1  # too old to want: nothing new either
                continue
            seen += self._known(canonical_url(entry.link))
            if request := self._article_request(
                entry.link, source, entry.title, entry.published_at
            ):
                yield request
        yield FeedPolled(
            source_id=source.id,
            url=page.url,
            entries=len(feed.entries),
            seen=seen,
            advertised_minutes=feed.advertised_minutes,
        )

    def parse_sitemap(
        self, response: Response, source: SourcePlan, kind: PageKind, depth: int
    ) -> Iterator[Item | Request]:
        if response.status == 304:
            yield NotModified(kind=kind, source_id=source.id, url=response.url)
            return
        yield self._page(response, source, kind)
        try:
            sitemap = Sitemap(response.body)
        except Exception as exc:  # lxml refuses some bodies outright (empty, binary)
            yield FetchFailed(
                kind=kind,
                source_id=source.id,
                url=response.url,
                error=f"{response.url}: not a sitemap: {exc}",
            )
            return
        for entry in sitemap:
            loc = str(entry.get("loc") or "").strip()
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                if request := self._entry_request(loc, "sitemap", source, self.parse_sitemap):
                    yield request
            elif (
                self._is_article(loc, source)
                and not self._too_old(entry.get("lastmod"))
                and (request := self._article_request(loc, source))
            ):
                yield request

    def _too_old(self, lastmod: object) -> bool:
        """Sitemap entries last modified before the age limit are not fetched."""
        if not isinstance(lastmod, str) or not lastmod.strip():
            return False
        try:
            when = dt.datetime.fromisoformat(lastmod.strip().replace("Z", "+00:00"))
        except ValueError:
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return when < self._oldest

    def _is_article(self, url: str, source: SourcePlan) -> bool:
        patterns = self._patterns.get(source.id) or []
        return not patterns or any(p.search(url) for p in patterns)

    def parse_listing(
        self, response: Response, source: SourcePlan, kind: PageKind, depth: int
    ) -> Iterator[Item | Request]:
        if response.status == 304:
            yield NotModified(kind=kind, source_id=source.id, url=response.url)
            return
        if not isinstance(response, TextResponse):
            yield FetchFailed(
                kind=kind,
                source_id=source.id,
                url=response.url,
                error=f"{response.url}: not an HTML page",
                permanent=True,
            )
            return
        yield self._page(response, source, kind)
        patterns = self._patterns.get(source.id) or []
        extractor = LinkExtractor(allow=[p.pattern for p in patterns]) if patterns else None
        article_urls = set()
        if extractor is not None:
            for link in extractor.extract_links(response):
                article_urls.add(link.url)
                if request := self._article_request(link.url, source, link.text.strip()):
                    yield request
        if depth >= source.max_depth:
            return
        # The next page of this listing, found by what it is (rel=next, "Trang sau",
        # page numbers, ?page=N, /trang-N, -pN); each page is one more hop of depth.
        following = next_page(
            response.selector, response.url, is_article=lambda u: any(p.search(u) for p in patterns)
        )
        if following and (
            request := self._entry_request(
                following, "listing", source, self.parse_listing, depth + 1
            )
        ):
            yield request
        # Sub-sections: same-site links under one of the start pages (other pages of
        # this listing only in order, through next_page above).
        for link in LinkExtractor().extract_links(response):
            url = link.url
            if (
                url in article_urls
                or not same_site(url, response.url)
                or same_listing(url, response.url)
            ):
                continue
            if any(url.startswith(start) and url != start for start in source.start_urls) and (
                request := self._entry_request(
                    url, "listing", source, self.parse_listing, depth + 1
                )
            ):
                yield request

    def parse_article(
        self,
        response: Response,
        source: SourcePlan,
        kind: PageKind,
        title: str,
        published: dt.datetime | None,
        depth: int = 0,
    ) -> Iterator[Item]:
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        if content_type and not content_type.startswith(_HTML_TYPES):
            yield FetchFailed(
                kind="article",
                source_id=source.id,
                url=response.request.url if response.request else response.url,
                error=f"not HTML ({content_type.split(';')[0]})",
                status=response.status,
                permanent=True,
            )
            return
        page = self._page(response, source, "article")
        page.entry_title = title
        page.entry_published_at = published
        yield page

    def on_error(self, failure: Failure) -> Iterator[Item]:
        request = failure.request  # type: ignore[attr-defined]
        source: SourcePlan = request.cb_kwargs["source"]
        kind: PageKind = request.cb_kwargs["kind"]
        response = getattr(failure.value, "response", None)
        status = response.status if response is not None else None
        retry_after = None
        if response is not None and (value := response.headers.get(b"Retry-After")):
            retry_after = value.decode("latin-1")
        message = str(failure.value) or failure.type.__name__  # type: ignore[union-attr]
        text = f"{request.url}: {failure.type.__name__}: {message}"  # type: ignore[union-attr]
        if status is not None:
            text = f"{request.url}: HTTP {status}"
        # Over the size cap (also while decompressing: a gzip bomb) or a refused
        # redirect: the same bytes next time, so never retried.
        permanent = status in _PERMANENT_STATUS or any(
            marker in message
            for marker in ("robots.txt", "download max size", "DOWNLOAD_MAXSIZE", REFUSED)
        )
        logger.warning("fetch failed (%s): %s", kind, text)
        yield FetchFailed(
            kind=kind,
            source_id=source.id,
            url=request.url,
            error=text,
            status=status,
            permanent=permanent,
            retry_after=retry_after,
        )
