"""Scrapy settings for a crawl plan: politeness first (robots.txt, a user agent
that names the office, per-domain delay and concurrency, AutoThrottle), then
robustness (retries with backoff, timeouts, a size cap)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from crawlers.plan import CrawlPlan

# Scrapy 2.19's downloader, with no delay, starts every queued request of a slot
# in one pass (the slot's transfer count only grows once each task runs), so
# CONCURRENT_REQUESTS_PER_DOMAIN 1 sent 6 requests at once to one host
# (tests/pipeline/test_cluster_hosts.py). Any delay makes it start one per pass.
MIN_DELAY_SECONDS = 0.001


def _domains(urls: tuple[str, ...]) -> set[str]:
    return {urlsplit(url).hostname or "" for url in urls} - {""}


def scrapy_settings(plan: CrawlPlan, item_pipelines: dict[str, int]) -> dict[str, Any]:
    slots: dict[str, dict[str, Any]] = {}
    for source in plan.sources:
        if source.download_delay is None and source.concurrency is None:
            continue
        for domain in _domains(source.feeds + source.start_urls + source.sitemaps):
            slots[domain] = {
                "delay": max(
                    plan.download_delay if source.download_delay is None else source.download_delay,
                    MIN_DELAY_SECONDS,
                ),
                "concurrency": source.concurrency or plan.concurrency_per_domain,
            }
    return {
        "BOT_NAME": "presswatch",
        "USER_AGENT": plan.user_agent,
        # RFC 9110's From header: the address a site owner can write to about our crawler.
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Accept-Language": "vi,en;q=0.8",
            **({"From": plan.contact} if plan.contact else {}),
        },
        "ROBOTSTXT_OBEY": plan.obey_robots,
        "DOWNLOAD_DELAY": max(plan.download_delay, MIN_DELAY_SECONDS),
        "DOWNLOAD_DELAY_JITTER": 0.5 if plan.download_delay > 0 else 0.0,
        "DOWNLOAD_SLOTS": slots,
        "CONCURRENT_REQUESTS": 16,
        # Items are stored synchronously; Scrapy would otherwise start 100 asyncio
        # workers for every response's output (measured: ~100 tasks per page).
        "CONCURRENT_ITEMS": 4,
        "CONCURRENT_REQUESTS_PER_DOMAIN": plan.concurrency_per_domain,
        "AUTOTHROTTLE_ENABLED": plan.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(plan.download_delay, 0.5),
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(plan.concurrency_per_domain),
        "DOWNLOAD_TIMEOUT": plan.timeout_seconds,
        "DOWNLOAD_MAXSIZE": plan.max_page_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_ENABLED": plan.retries > 0,
        "RETRY_TIMES": plan.retries,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "PRESSWATCH_RETRY_BACKOFF": plan.retry_backoff_seconds,
        "DOWNLOADER_MIDDLEWARES": {
            "crawlers.middlewares.RetryBackoffMiddleware": 560,
            # Above RedirectMiddleware (600): sees a redirect before it is followed.
            "crawlers.redirects.RedirectPolicyMiddleware": 610,
        },
        "REDIRECT_MAX_TIMES": 5,
        "COOKIES_ENABLED": True,
        "ITEM_PIPELINES": item_pipelines,
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy checks each callback for a generator returning a value by reading its
        # source (inspect + ast); its cache is keyed weakly on the bound method, new for
        # every request, so it re-parsed the spider's source for every page (~1 ms a
        # page, the largest cost outside extraction). Our callbacks return no value.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        "LOG_LEVEL": "WARNING",
        "LOG_INSTALL_ROOT_HANDLER": False,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }
