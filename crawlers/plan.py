"""What a crawl is asked to do, built by pipeline/ from config and storage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, kw_only=True, slots=True)
class SourcePlan:
    id: str
    feeds: tuple[str, ...] = ()
    start_urls: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    warmup_urls: tuple[str, ...] = ()
    article_patterns: tuple[str, ...] = ()
    # Article pages that failed for a passing reason last time: asked for again.
    retry_urls: tuple[str, ...] = ()
    max_depth: int = 1
    # Domains beyond the source's own that its redirects may lead to.
    redirect_domains: tuple[str, ...] = ()
    download_delay: float | None = None
    concurrency: int | None = None


def _never(url: str) -> bool:
    return False


@dataclass(kw_only=True)
class CrawlPlan:
    sources: list[SourcePlan]
    user_agent: str
    contact: str = ""
    obey_robots: bool = True
    download_delay: float = 2.0
    concurrency_per_domain: int = 1
    autothrottle: bool = True
    timeout_seconds: float = 30
    retries: int = 3
    retry_backoff_seconds: float = 2.0
    max_page_bytes: int = 5_000_000
    max_articles_per_run: int = 500
    max_age_days: int = 14
    # (ETag, Last-Modified) for feeds, sitemaps and section pages.
    validators: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    # Canonical article URL -> already stored, or not worth fetching again.
    is_done: Callable[[str], bool] = _never
