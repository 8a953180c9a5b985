"""The crawl's child process: Twisted's reactor cannot be restarted, so every
crawl (from the CLI or the scheduler) runs Scrapy here, once, and exits.

    python -m pipeline.crawl.worker [--enqueue-analysis] SETTINGS_JSON REPORT_JSON [SOURCE_ID ...]

With --enqueue-analysis (cluster mode) every committed batch of pages carries the
job that analyses its new relevant articles, in the same transaction.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select

from core.config import Settings, Source
from crawlers.plan import CrawlPlan, SourcePlan
from crawlers.settings import scrapy_settings
from pipeline.crawl.child import die_with_parent
from pipeline.crawl.rendering import RenderFallback
from pipeline.crawl.run import ENQUEUE_ANALYSIS_FLAG
from pipeline.crawl.store import ArticleStore
from storage import crawl_state, job_queue
from storage.db import READ_ONLY_OPTION, Database
from storage.models import ArticleRow, FetchStateRow

logger = logging.getLogger(__name__)
MAX_FAILURES = 3
# Pages per storage transaction, and the longest a page waits uncommitted (and the
# SQLite write lock is held). A commit a page was the crawl's largest storage cost;
# a kill loses at most this batch, whose pages are fetched again.
BATCH_PAGES = 50
BATCH_SECONDS = 0.5


class StorePipeline:
    """Scrapy item pipeline handing every item to the ArticleStore of this crawl."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self._timer: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler)

    @property
    def store(self) -> ArticleStore:
        store: ArticleStore = self.crawler.spider.store
        return store

    def open_spider(self) -> None:
        from twisted.internet import task

        # Commits a batch that has aged while no page arrives (slow or delayed sites).
        self._timer = task.LoopingCall(self.store.flush_if_due)
        self._timer.start(self.store.batch_seconds / 2, now=False)

    def close_spider(self) -> None:
        # Also on a SIGTERM stop: the pages already handled are committed.
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self.store.flush()

    async def process_item(self, item: Any) -> Any:
        fallback: RenderFallback = self.crawler.spider.render_fallback
        if fallback.wants(item):
            await fallback.handle(item)  # stored once rendered, or as it is
        else:
            self.store.handle(item)
        return item


def build_plan(settings: Settings, sources: list[Source], database: Database) -> CrawlPlan:
    crawl = settings.crawl
    entry_urls = [u for s in sources for u in (*s.feeds, *s.start_urls, *s.sitemaps)]
    with database.session() as session:
        validators = crawl_state.validators(session, entry_urls)
        retry: dict[str, list[str]] = {}
        for url, source_id in crawl_state.retryable(session, [s.id for s in sources], MAX_FAILURES):
            if url not in entry_urls:
                retry.setdefault(source_id, []).append(url)

    # Asked once per discovered URL (thousands in a sitemap crawl): two Core
    # look-ups on a read-only connection instead of an ORM session each time
    # (a third of a millisecond a URL). Read-only: a plain BEGIN, so it neither
    # waits for nor takes the write lock the open batch of pages holds on SQLite.
    reader = database.engine.execution_options(**{READ_ONLY_OPTION: True})
    article_by_url = select(ArticleRow.id).where(ArticleRow.canonical_url == bindparam("key"))
    failures_of = select(FetchStateRow.last_error, FetchStateRow.failures).where(
        FetchStateRow.url == bindparam("key")
    )

    def is_done(key: str) -> bool:
        with reader.connect() as connection:
            if connection.execute(article_by_url, {"key": key}).first() is not None:
                return True
            failed = connection.execute(failures_of, {"key": key}).first()
        # crawl_state.should_skip's rule: failed for good, or too often.
        if failed is None or not failed.last_error:
            return False
        return failed.last_error.startswith(crawl_state.PERMANENT) or (
            (failed.failures or 0) >= MAX_FAILURES
        )

    return CrawlPlan(
        sources=[
            SourcePlan(
                id=s.id,
                feeds=tuple(s.feeds),
                start_urls=tuple(s.start_urls),
                sitemaps=tuple(s.sitemaps),
                warmup_urls=tuple(s.warmup_urls),
                article_patterns=tuple(s.article_patterns),
                max_depth=s.max_depth,
                redirect_domains=tuple(s.redirect_domains),
                download_delay=s.download_delay_seconds,
                concurrency=s.concurrency_per_domain,
                retry_urls=tuple(retry.get(s.id, ())),
            )
            for s in sources
        ],
        user_agent=crawl.user_agent,
        contact=crawl.contact,
        obey_robots=crawl.obey_robots,
        download_delay=crawl.download_delay_seconds,
        concurrency_per_domain=crawl.concurrency_per_domain,
        autothrottle=crawl.autothrottle,
        timeout_seconds=crawl.timeout_seconds,
        retries=crawl.retries,
        retry_backoff_seconds=min(2.0, crawl.timeout_seconds),
        max_page_bytes=crawl.max_page_bytes,
        max_articles_per_run=crawl.max_articles_per_run,
        max_age_days=crawl.max_age_days,
        validators=validators,
        is_done=is_done,
    )


def crawl(
    settings: Settings, source_ids: list[str], report_path: Path, *, enqueue_analysis: bool = False
) -> None:
    # Imported here, near the bottom of the stack, not by Scrapy deep inside its engine:
    # its deprecation shims call inspect.stack() on import, whose cost grows with the
    # depth (measured: 0.25 s of CPU off each crawl process's start).
    import scrapy.core.downloader.handlers.http11  # noqa: F401
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from crawlers.spider import NewsSpider

    sources = [settings.source(source_id) for source_id in source_ids]
    database = Database.open(settings.database_url)
    store = ArticleStore(settings, database, batch_pages=BATCH_PAGES, batch_seconds=BATCH_SECONDS)
    if enqueue_analysis:
        store.defer_analysis = job_queue.defer_analysis
    store.load_clusters()
    store.warm_up()
    plan = build_plan(settings, sources, database)
    process = CrawlerProcess(scrapy_settings(plan, {"pipeline.crawl.worker.StorePipeline": 300}))
    crawler = process.create_crawler(NewsSpider)
    closed: list[str] = []

    def on_closed(spider: Any, reason: str) -> None:
        closed.append(str(reason))

    # Scrapy holds receivers weakly: `on_closed` stays referenced here until the end.
    crawler.signals.connect(on_closed, signal=signals.spider_closed)
    fallback = RenderFallback(settings, store)
    process.crawl(crawler, plan=plan, store=store, render_fallback=fallback)
    process.start()
    store.flush()  # normally done at close_spider; a no-op then
    if closed == ["finished"]:
        store.finish()
    else:
        # Stopped early (SIGTERM): a feed's validators must not say "not modified"
        # while some of its entries were never fetched.
        logger.info("crawl stopped early (%s); feed validators not updated", closed)
    report = {
        source_id: {
            "counts": dict(tally.counts),
            "errors": tally.errors,
            "warnings": tally.warnings,
        }
        for source_id, tally in store.tallies.items()
    }
    report_path.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    database.dispose()


def _unreachable() -> tuple[type[BaseException], ...]:
    from scrapy.exceptions import CannotResolveHostError
    from twisted.internet.error import ConnectError
    from twisted.web._newclient import ResponseFailed

    return (OSError, ConnectError, CannotResolveHostError, ResponseFailed)


def _quiet_third_parties(record: logging.LogRecord) -> bool:
    ours = record.name.split(".")[0] in {"pipeline", "crawlers", "storage", "nlp"}
    error = record.exc_info[1] if record.exc_info else None
    if not ours and error is not None and isinstance(error, _unreachable()):
        # Scrapy logs a host it cannot reach (robots.txt, DNS, refused) with a 40-line
        # traceback; its message already names the URL and the cause, and the source's
        # failure is reported with it at the end of the crawl.
        record.exc_info, record.exc_text = None, None
    return ours or record.levelno >= logging.WARNING


def main(argv: list[str]) -> int:
    die_with_parent()
    enqueue_analysis = bool(argv) and argv[0] == ENQUEUE_ANALYSIS_FLAG
    settings_path, report_path, *source_ids = argv[1:] if enqueue_analysis else argv
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("scrapy", "twisted", "trafilatura", "htmldate", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Scrapy resets its loggers' levels when a crawl starts; filter at the handler instead.
    for handler in logging.getLogger().handlers:
        handler.addFilter(_quiet_third_parties)
    settings = Settings.model_validate_json(Path(settings_path).read_text(encoding="utf-8"))
    crawl(settings, source_ids, Path(report_path), enqueue_analysis=enqueue_analysis)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
