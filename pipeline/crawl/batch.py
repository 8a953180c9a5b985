"""Batched storage writes for the crawl: several pages per transaction, each
page's writes (snapshot, article, story, MinHash) still all or nothing.

Each page's unit is a savepoint inside a transaction committed every
`batch_pages` pages or `batch_seconds`, whichever comes first. A commit a
page (BEGIN IMMEDIATE, a WAL write, a new session) was a large share of a
crawled page's storage cost. A kill now loses the uncommitted batch, whose
pages are all fetched again, and never part of one page. Tallies and the
near-duplicate index follow the commit: a batch that fails to commit counts
all its pages as not stored and leaves the index as it was.

In cluster mode (`defer_analysis` set) the new relevant articles of the batch
(or of the page, unbatched) are queued for analysis by one job written just
before the commit, in the same transaction: no article without its job, no job
without its articles.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from crawlers import dedup
from storage.db import Database

logger = logging.getLogger(__name__)


@dataclass
class SourceTally:
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Batch:
    """Pages written in one open transaction, and what to undo if it never commits."""

    session: Any
    started: float
    # Pages per source, counted as storage_failed if the commit fails.
    pages: Counter[str] = field(default_factory=Counter)
    # Outcome counts (articles, relevant, duplicates...) per source, applied at commit.
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    # Articles put into the near-duplicate index before the commit (so a copy later
    # in the same batch joins their story); taken out again on a failed commit.
    indexed: list[int] = field(default_factory=list)
    # New relevant articles of the pages written so far, queued for analysis at commit.
    to_analyse: list[int] = field(default_factory=list)


class BatchedWrites:
    """The batching half of `ArticleStore` (which sets these attributes)."""

    database: Database
    index: dedup.NearDuplicateIndex
    story_of: dict[Hashable, int]
    tallies: dict[str, SourceTally]
    # 1 = a transaction a page (reextract, redecide, tests); the crawl child batches.
    batch_pages: int = 1
    # Bounds how long the write lock is held (other writers wait on SQLite).
    batch_seconds: float = 0.5
    _batch: _Batch | None = None
    # Cluster mode: writes the analysis job of these articles in this session.
    defer_analysis: Callable[[Session, Sequence[int]], object] | None = None
    # New relevant articles of the page being written (see `queue_analysis`).
    _unit_analyse: list[int]

    def tally(self, source_id: str | None) -> SourceTally:
        return self.tallies.setdefault(source_id or "", SourceTally())

    def _storage_failed(self, source_id: str, exc: Exception, *, pages: int = 1) -> None:
        """Count `pages` of `source_id` not stored, plus every page of the open batch."""
        failed = Counter({source_id: pages}) if pages else Counter()
        failed.update(self._discard_batch())
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        for failed_source, n in failed.items():
            tally = self.tally(failed_source)
            first = tally.counts["storage_failed"] == 0
            tally.counts["storage_failed"] += n
            if first:
                tally.errors.append(f"storage error, pages not stored: {detail}")

    @contextmanager
    def _unit(self, source_id: str | None) -> Iterator[Any]:
        """One page's writes, all or nothing: its own transaction, or a savepoint in
        the open batch (rolled back alone when the page raises)."""
        self._unit_analyse = []
        if self.batch_pages <= 1:
            with self.database.session() as session:
                yield session
                self._defer_analysis(session, self._unit_analyse)
            return
        if self._batch is None:
            # Configured as Database's own sessions (storage/db.py's sessionmaker).
            session = Session(self.database.engine, expire_on_commit=False)
            self._batch = _Batch(session=session, started=time.monotonic())
        batch = self._batch
        with batch.session.begin_nested():
            yield batch.session
        batch.pages[source_id or ""] += 1
        # Only once the page's savepoint holds: a page rolled back queues nothing.
        batch.to_analyse.extend(self._unit_analyse)

    def queue_analysis(self, article_id: int) -> None:
        """In a page's unit: analyse this new article (cluster mode), in its commit."""
        if self.defer_analysis is not None:
            self._unit_analyse.append(article_id)

    def _defer_analysis(self, session: Session, article_ids: list[int]) -> None:
        if self.defer_analysis is not None and article_ids:
            self.defer_analysis(session, article_ids)

    def _counts(self, source_id: str | None) -> Counter[str]:
        """Where a page's outcome is counted: its tally, or the batch until it commits."""
        if self._batch is None or self.batch_pages <= 1:
            return self.tally(source_id).counts
        return self._batch.counts.setdefault(source_id or "", Counter())

    def _page_done(self) -> None:
        batch = self._batch
        if batch is None:
            return
        if (
            sum(batch.pages.values()) >= self.batch_pages
            or time.monotonic() - batch.started >= self.batch_seconds
        ):
            self.flush()

    def flush_if_due(self) -> None:
        """Commit a batch older than `batch_seconds` (called on a timer: a slow site
        must not keep pages uncommitted, nor the write lock, while nothing arrives)."""
        if self._batch is not None and time.monotonic() - self._batch.started >= self.batch_seconds:
            self.flush()

    def flush(self) -> None:
        """Commit the open batch (if any); its counts go to the tallies only now.
        A storage error is recorded here (every page of the batch not stored), not
        raised: the crawl goes on and fails at its end, as for a single page."""
        batch = self._batch
        if batch is None:
            return
        try:
            self._defer_analysis(batch.session, batch.to_analyse)
            batch.session.commit()
        except OperationalError as exc:
            self._storage_failed("", exc, pages=0)
            logger.error("cannot store a batch of %d pages: %s", sum(batch.pages.values()), exc)
            return
        except BaseException:
            self._discard_batch()
            raise
        self._batch = None
        batch.session.close()
        for source_id, counts in batch.counts.items():
            self.tally(source_id).counts.update(counts)

    def _discard_batch(self) -> Counter[str]:
        """Roll the open batch back; its pages per source (none are stored)."""
        batch = self._batch
        if batch is None:
            return Counter()
        self._batch = None
        # The database may be gone (that is often why): closing is enough then.
        with contextlib.suppress(OperationalError):
            batch.session.rollback()
        batch.session.close()
        for article_id in batch.indexed:
            self.index.remove(article_id)
            self.story_of.pop(article_id, None)
        return batch.pages
