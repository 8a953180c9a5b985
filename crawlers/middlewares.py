"""Downloader middleware: exponential backoff before each retry.

Scrapy's RetryMiddleware re-queues a failed request at once; a server that
answered 5xx or timed out deserves a pause first (base, 2x base, 4x base...).
"""

from __future__ import annotations

import asyncio

from scrapy.crawler import Crawler
from scrapy.http import Request


class RetryBackoffMiddleware:
    def __init__(self, base_seconds: float) -> None:
        self.base_seconds = base_seconds

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryBackoffMiddleware:
        return cls(crawler.settings.getfloat("PRESSWATCH_RETRY_BACKOFF", 2.0))

    async def process_request(self, request: Request) -> None:
        tries = int(request.meta.get("retry_times", 0))
        if tries and self.base_seconds > 0:
            await asyncio.sleep(min(self.base_seconds * 2 ** (tries - 1), 120.0))
