"""The refetch of one article page, as politely as the crawl fetches it.

The crawl runs Scrapy in a child process for hundreds of pages; a recrawl asks
for a few dozen known URLs, one at a time, so it uses httpx with the crawl's
own politeness (`crawl:` in config.yaml): its user agent and From address,
robots.txt (parsed by protego, Scrapy's own parser), the per-domain delay
(a source's override first), the timeout and the page-size cap. Redirects are
followed one hop at a time and each hop passes the crawl's redirect policy
(crawlers.redirects: the source's domains only, no private addresses).

A conditional GET sends the validators of the bytes last stored, so an
unchanged page costs a 304.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import httpx

from crawlers.plan import SourcePlan
from crawlers.redirects import redirect_problem

if TYPE_CHECKING:
    from protego import Protego

    from core.config import Crawl, Source

logger = logging.getLogger(__name__)
MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}


class FetchProblem(Exception):
    """A refetch that says nothing about the article: network error, server error,
    robots.txt, a refused redirect, an oversized page. `permanent`: asking again
    gives the same answer."""

    def __init__(self, url: str, reason: str, *, permanent: bool = False) -> None:
        super().__init__(f"{url}: {reason}")
        self.permanent = permanent


@dataclass(frozen=True, kw_only=True, slots=True)
class Fetched:
    status: int
    final_url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def source_plan(source: Source) -> SourcePlan:
    """The part of a source the redirect policy reads."""
    return SourcePlan(
        id=source.id,
        feeds=tuple(source.feeds),
        start_urls=tuple(source.start_urls),
        sitemaps=tuple(source.sitemaps),
        redirect_domains=tuple(source.redirect_domains),
    )


class PoliteClient:
    """One httpx client for a recrawl run: robots.txt read once per host, the
    delay kept per host."""

    def __init__(self, crawl: Crawl) -> None:
        self.crawl = crawl
        headers = {
            "User-Agent": crawl.user_agent,
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Accept-Language": "vi,en;q=0.8",
        }
        if crawl.contact:
            headers["From"] = crawl.contact
        self.client = httpx.Client(
            timeout=crawl.timeout_seconds, headers=headers, follow_redirects=False
        )
        self._robots: dict[str, Protego | None] = {}
        self._last_request: dict[str, float] = {}

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.client.close()

    def _wait(self, url: str, source: Source | None) -> None:
        host = urlsplit(url).netloc
        delay = self.crawl.download_delay_seconds
        if source is not None and source.download_delay_seconds is not None:
            delay = source.download_delay_seconds
        last = self._last_request.get(host)
        if last is not None and delay > 0:
            pause = last + delay - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        self._last_request[host] = time.monotonic()

    def _robots_for(self, url: str, source: Source | None) -> Protego | None:
        from protego import Protego

        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        if key not in self._robots:
            self._wait(url, source)
            try:
                answer = self.client.get(f"{key}/robots.txt", follow_redirects=True)
            except httpx.HTTPError as exc:
                # Unreachable robots.txt: the page request will fail and say so.
                logger.warning("%s/robots.txt: %s", key, exc)
                answer = None
            self._robots[key] = (
                Protego.parse(answer.text)
                if answer is not None and answer.status_code == 200
                else None
            )
        return self._robots[key]

    def _allowed(self, url: str, source: Source | None) -> bool:
        if not self.crawl.obey_robots:
            return True
        robots = self._robots_for(url, source)
        return robots is None or bool(robots.can_fetch(url, self.crawl.user_agent))

    def get(
        self,
        url: str,
        *,
        source: Source | None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Fetched:
        """The page at `url` after its redirects; 304 when the validators still hold."""
        conditional: dict[str, str] = {}
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            if not self._allowed(current, source):
                raise FetchProblem(current, "forbidden by robots.txt", permanent=True)
            self._wait(current, source)
            status, headers, body = self._one(current, conditional)
            location = headers.get("location")
            if status not in _REDIRECTS or not location:
                return Fetched(status=status, final_url=current, body=body, headers=headers)
            target = urljoin(current, location)
            # A source gone from config: its article's own domain is the only one allowed.
            plan = source_plan(source) if source else SourcePlan(id="", start_urls=(url,))
            problem = redirect_problem(plan, target)
            if problem is not None:
                raise FetchProblem(url, problem, permanent=True)
            current, conditional = target, {}
        raise FetchProblem(url, f"more than {MAX_REDIRECTS} redirects", permanent=True)

    def _one(self, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        cap = self.crawl.max_page_bytes
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > cap:
                        raise FetchProblem(url, f"page over the {cap}-byte cap", permanent=True)
                    chunks.append(chunk)
                found = {k.lower(): v for k, v in response.headers.items()}
                return response.status_code, found, b"".join(chunks)
        except httpx.HTTPError as exc:
            raise FetchProblem(url, f"{type(exc).__name__}: {exc}") from None
