"""The crawl's rendered fetch (`render: fallback` on a source): an article page whose
static HTML has no article body is fetched again in the system Chromium, with its
scripts, and the article is extracted from the rendered DOM.

Only on that fallback: a page of a source without the option, or whose static HTML
extracts to a body (text, MIN_STATIC_BODY_CHARS or more), goes to the store as it
is and is never rendered. Renders run in threads, at most `crawl.render_concurrency`
at once across the crawl (Chromium costs a few hundred MB each), each within
`crawl.render_timeout_seconds`, while the crawl goes on fetching.

Both pages are kept: the static snapshot as the server sent it, then the rendered
HTML as a snapshot of its own, marked by RENDERED_HEADER (the Chromium that made
it) and STATIC_HASH_HEADER (the static bytes it was rendered after); the article
points to the rendered one. Stored in that order, so `presswatch reextract`, which
goes through snapshots oldest first, ends on the rendered page.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import logging

from core.config import Settings
from core.record import FetchFailed, Snapshot
from crawlers.chromium import ChromiumError, render_live
from pipeline.crawl.extraction import extract_page
from pipeline.crawl.store import KIND_HEADER, ArticleStore, body_problem
from pipeline.evidence.capture import chromium_version
from pipeline.evidence.render import find_chromium
from storage.snapshots import save_snapshot

logger = logging.getLogger(__name__)
# A static extraction shorter than this is no article body: what a script-built page
# leaves is a "loading" line or a "turn on JavaScript" notice, not an article.
MIN_STATIC_BODY_CHARS = 200
RENDERED_HEADER = "x-presswatch-rendered"
STATIC_HASH_HEADER = "x-presswatch-static-sha256"


class RenderFallback:
    """Decides which article pages are rendered, renders them and hands the result
    to the crawl's store."""

    def __init__(self, settings: Settings, store: ArticleStore) -> None:
        self.settings = settings
        self.store = store
        self.sources = {s.id for s in settings.sources if s.render == "fallback"}
        self.chromium = find_chromium(settings.evidence) if self.sources else None
        # Created in the crawl's event loop, on the first page that needs it.
        self._slots: asyncio.Semaphore | None = None

    def wants(self, item: object) -> bool:
        """An article page of a source that opted in."""
        return (
            isinstance(item, Snapshot) and item.kind == "article" and item.source_id in self.sources
        )

    def has_body(self, page: Snapshot) -> bool:
        try:
            fields = extract_page(
                page.body,
                page.final_url,
                content_type=page.headers.get("content-type"),
                timezone=self.settings.profile.timezone,
            )
        except Exception:  # the store extracts again and reports the failure
            return True
        text = fields.extracted.text
        return body_problem(text) is None and len(text) >= MIN_STATIC_BODY_CHARS

    async def handle(self, page: Snapshot) -> None:
        if page.status != 200 or self.has_body(page):
            self.store.handle(page)
            return
        if self.chromium is None:
            reason = f"no Chromium found as {self.settings.evidence.chromium!r} (evidence.chromium)"
            self._not_rendered(page, reason)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.settings.crawl.render_concurrency)
        crawl = self.settings.crawl
        async with self._slots:
            try:
                dom = await asyncio.to_thread(
                    render_live,
                    page.final_url,
                    chromium=self.chromium,
                    timeout=crawl.render_timeout_seconds,
                    user_agent=crawl.user_agent,
                    max_bytes=crawl.max_page_bytes,
                )
            except ChromiumError as exc:
                self._not_rendered(page, str(exc))
                return
        self._keep_static(page)
        self.store.tally(page.source_id).counts["rendered"] += 1
        self.store.handle(self._rendered(page, dom))

    def _rendered(self, page: Snapshot, dom: bytes) -> Snapshot:
        assert self.chromium is not None
        return Snapshot(
            url=page.url,
            final_url=page.final_url,
            status=page.status,
            body=dom,
            headers={
                # Chromium writes the DOM as UTF-8 whatever the page was sent in.
                "content-type": "text/html; charset=utf-8",
                RENDERED_HEADER: chromium_version(self.chromium),
                STATIC_HASH_HEADER: hashlib.sha256(page.body).hexdigest(),
            },
            fetched_at=dt.datetime.now(dt.UTC),
            source_id=page.source_id,
            kind="article",
            entry_title=page.entry_title,
            entry_published_at=page.entry_published_at,
        )

    def _keep_static(self, page: Snapshot) -> None:
        # Its own short transaction after the open batch: that batch holds the write lock.
        self.store.flush()
        with self.store.database.session() as session:
            save_snapshot(
                session, dataclasses.replace(page, headers={**page.headers, KIND_HEADER: "article"})
            )

    def _not_rendered(self, page: Snapshot, reason: str) -> None:
        """The static page is kept; the URL is tried again next crawl (not a permanent
        failure: a render that timed out may well work next time)."""
        error = f"{page.url}: no article body in the static page; not rendered: {reason}"
        logger.warning("%s", error)
        self._keep_static(page)
        self.store.tally(page.source_id).warnings.append(error)
        self.store.handle(
            FetchFailed(
                kind="article",
                source_id=page.source_id or "",
                url=page.url,
                error=error,
                status=page.status,
            )
        )
