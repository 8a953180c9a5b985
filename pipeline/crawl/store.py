"""Where crawled pages become stored evidence and articles.

Per article page: extraction, relevance and dedup in memory, then one
unit with the snapshot, the article row and its story, so an article never
exists without its evidence or its cluster, and a crash before the commit
leaves nothing (the page is fetched again, once). Relevance is
`pipeline.process.relevance`'s decision, stored with its version.

The crawl child batches pages (`batch_pages` > 1, see `pipeline.crawl.batch`):
each page's unit is a savepoint in a transaction committed every few pages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import regex  # type: ignore[import-untyped]
from sqlalchemy.exc import OperationalError

from core.config import Settings
from core.record import Article, FeedPolled, FetchFailed, NotModified, Snapshot
from crawlers import dedup
from crawlers.urls import canonical_url
from pipeline.crawl import polling
from pipeline.crawl.batch import BatchedWrites, SourceTally
from pipeline.crawl.extraction import extract_page
from pipeline.process.relevance import Relevance
from storage import articles as article_repo
from storage import crawl_state
from storage.db import Database
from storage.snapshots import save_snapshot

logger = logging.getLogger(__name__)
# Near-duplicates are looked for among articles fetched this many days back.
CLUSTER_WINDOW_DAYS = 30
# Stored with each snapshot's headers: which snapshots `reextract` turns into articles.
KIND_HEADER = "x-presswatch-kind"


_NON_LETTERS = regex.compile(r"[^\p{L}]+")  # str.isalpha() is \p{L}
# Control (but not tab and line breaks), private-use and surrogate code points, U+FFFD.
_JUNK = re.compile("[\ufffd\ue000-\uf8ff\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def body_problem(text: str) -> str | None:
    """Why an extracted body is no article text (None when it is): empty, or
    mostly control characters, replacement characters and symbols (bytes that
    are not text, decoded anyway)."""
    stripped = text.strip()
    if not stripped:
        return "no article text extracted (empty page)"
    sample = stripped[:20_000]
    # Counted by regex in C: a per-character Python loop cost ~1 ms a page.
    letters = len(sample) - sum(map(len, _NON_LETTERS.findall(sample)))
    junk = len(_JUNK.findall(sample))
    if junk > len(sample) * 0.02 or letters < len(sample) * 0.4:
        return "extracted body is not text (binary or garbled bytes)"
    return None


@dataclass(frozen=True, slots=True)
class Built:
    """What building an article from a snapshot did."""

    outcome: str  # "stored", "duplicate" or "extract_failed"
    article_id: int | None = None
    relevant: bool = False


class ArticleStore(BatchedWrites):
    """Turns fetched pages into snapshots and articles; also used by reextract and
    by the process stage to rebuild articles whose relevance is re-decided."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        *,
        batch_pages: int = 1,
        batch_seconds: float = 0.5,
    ) -> None:
        self.settings = settings
        self.database = database
        self.batch_pages = batch_pages
        self.batch_seconds = batch_seconds
        self._batch = None
        self.relevance = Relevance(settings.watch)
        self.index = dedup.NearDuplicateIndex()
        self.story_of: dict[Hashable, int] = {}
        self.tallies: dict[str, SourceTally] = {}
        # Validators are written only when the crawl finishes: a crash midway
        # must not leave a feed "not modified" whose entries were never fetched.
        self.pending_validators: dict[str, tuple[str | None, int, str | None, str | None]] = {}
        # Feed polls answered, for adaptive polling; written with the validators.
        self.pending_polls: dict[str, tuple[FeedPolled, dt.datetime]] = {}

    def warm_up(self) -> None:
        """Load the lazily loaded models now (language id, jusText stoplists: ~100 MB)
        so memory does not step up in the middle of a crawl."""
        from trafilatura.external import jt_stoplist_init

        from nlp.normalize import detect_language

        detect_language("The province said on Tuesday that the road would reopen.")
        jt_stoplist_init()

    def load_clusters(self) -> None:
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=CLUSTER_WINDOW_DAYS)
        with self.database.session() as session:
            rows = article_repo.recent_signatures(session, since)
        for article_id, story_id, signature in rows:
            self.index.add(article_id, dedup.from_bytes(signature))
            self.story_of[article_id] = story_id

    # --- the crawl's items --------------------------------------------------------------

    def handle(self, item: Any) -> None:
        try:
            self._handle(item)
        except OperationalError as exc:
            # Disk full, database locked or gone: the page's unit rolled back (with the
            # rest of its batch). It is a failure of the crawl (counted, named, exit 1),
            # never "failed pages 0".
            self._storage_failed(getattr(item, "source_id", None) or "", exc)
            logger.error("cannot store %s: %s", getattr(item, "url", item), exc)

    def _handle(self, item: Any) -> None:
        if isinstance(item, Snapshot):
            if item.kind == "article":
                self.store_page(item)
            else:
                # Its own short transaction: the open batch holds the write lock.
                self.flush()
                self._entry_fetched(item)
        elif isinstance(item, NotModified):
            self.tally(item.source_id).counts["not_modified"] += 1
            self.pending_validators[item.url] = (item.source_id, 304, None, None)
            if item.kind == "feed":  # nothing new at all
                polled = FeedPolled(source_id=item.source_id, url=item.url)
                self.pending_polls[item.url] = (polled, dt.datetime.now(dt.UTC))
        elif isinstance(item, FeedPolled):
            self.pending_polls[item.url] = (item, dt.datetime.now(dt.UTC))
        elif isinstance(item, FetchFailed):
            self.flush()
            self._failed(item)

    def _entry_fetched(self, page: Snapshot) -> None:
        tally = self.tally(page.source_id)
        tally.counts[f"{page.kind}_fetched"] += 1
        # Feeds and section pages are evidence too; identical bytes are stored once.
        with self.database.session() as session:
            save_snapshot(session, self._snapshot(page))
        if page.warning:
            tally.warnings.append(page.warning)
        self.pending_validators[page.url] = (
            page.source_id,
            page.status,
            page.headers.get("etag"),
            page.headers.get("last-modified"),
        )

    def _failed(self, item: FetchFailed) -> None:
        tally = self.tally(item.source_id)
        tally.counts[f"{item.kind}_failed"] += 1
        if item.kind != "article":
            tally.errors.append(item.error)
        key = canonical_url(item.url) if item.kind == "article" else item.url
        with self.database.session() as session:
            if item.kind == "feed":
                self._feed_failed(session, item)
            crawl_state.record_failure(
                session,
                key,
                source_id=item.source_id,
                error=item.error,
                status=item.status,
                permanent=item.permanent,
            )

    def _poll_state(self, session: Any, url: str) -> polling.PollState:
        known = crawl_state.entry_schedules(session, [url]).get(url)
        if known is None:
            return polling.PollState()
        return polling.PollState(
            period_minutes=known.poll_minutes,
            polls_ok=known.polls_ok,
            failures=known.failures,
            last_new_at=known.last_new_at,
        )

    def _interval(self, source_id: str) -> int:
        return self.settings.source(source_id).interval_minutes

    def _feed_failed(self, session: Any, item: FetchFailed) -> None:
        now = dt.datetime.now(dt.UTC)
        decision = polling.after_failure(
            self._poll_state(session, item.url),
            now=now,
            cap=self._interval(item.source_id),
            error=item.error,
            retry_after=polling.retry_after_delay(item.retry_after, now),
        )
        if decision.disabled_reason:
            self.tally(item.source_id).errors.append(f"{item.url}: {decision.disabled_reason}")
        self._record_poll(session, item.url, item.source_id, decision)

    @staticmethod
    def _record_poll(
        session: Any, url: str, source_id: str, decision: polling.PollDecision
    ) -> None:
        crawl_state.record_poll(
            session,
            url,
            source_id=source_id,
            period_minutes=decision.period_minutes,
            next_poll_at=decision.next_poll_at,
            polls_ok=decision.polls_ok,
            last_new_at=decision.last_new_at,
            disabled_reason=decision.disabled_reason,
        )

    def finish(self) -> None:
        self.flush()
        with self.database.session() as session:
            for url, (source_id, status, etag, last_modified) in self.pending_validators.items():
                crawl_state.record_fetch(
                    session,
                    url,
                    source_id=source_id,
                    status=status,
                    etag=etag,
                    last_modified=last_modified,
                )
            for url, (polled, at) in self.pending_polls.items():
                decision = polling.after_success(
                    self._poll_state(session, url),
                    now=at,
                    cap=self._interval(polled.source_id),
                    entries=polled.entries,
                    seen=polled.seen,
                    advertised_minutes=polled.advertised_minutes,
                )
                self._record_poll(session, url, polled.source_id, decision)
        self.pending_validators.clear()
        self.pending_polls.clear()

    # --- article pages ------------------------------------------------------------------

    @staticmethod
    def _snapshot(page: Snapshot) -> Snapshot:
        # The kind travels in the stored headers, so reextract can pick article pages.
        return dataclasses.replace(page, headers={**page.headers, KIND_HEADER: page.kind})

    def store_page(self, page: Snapshot) -> None:
        tally = self.tally(page.source_id)
        tally.counts["pages"] += 1
        # The snapshot is written in the article's own transaction (one commit a page).
        self.build_article(
            self._snapshot(page),
            entry_title=page.entry_title,
            entry_published_at=page.entry_published_at,
        )
        self._page_done()

    @staticmethod
    def _keep(session: Any, snapshot: Snapshot) -> None:
        """The snapshot first, in the transaction that writes what was made of it."""
        if snapshot.id is None:
            save_snapshot(session, snapshot)

    def build_article(
        self,
        snapshot: Snapshot,
        *,
        entry_title: str = "",
        entry_published_at: dt.datetime | None = None,
        replace: bool = False,
    ) -> Built:
        """Extract, decide relevance, cluster and store, with the snapshot if it is
        not stored yet: a crash before the commit leaves nothing, and the page is
        fetched again."""
        tally = self.tally(snapshot.source_id)
        try:
            page = extract_page(
                snapshot.body,
                snapshot.final_url,
                content_type=snapshot.headers.get("content-type"),
                timezone=self.settings.profile.timezone,
            )
        except Exception as exc:  # an extraction bug must not stop the crawl; the snapshot stays
            logger.exception("extraction failed for %s", snapshot.url)
            tally.errors.append(f"{snapshot.url}: extraction failed: {exc}")
            with self._unit(snapshot.source_id) as session:
                self._keep(session, snapshot)
            self._counts(snapshot.source_id)["extract_failed"] += 1
            return Built("extract_failed")
        fields = page.extracted
        problem = body_problem(fields.text)
        if problem is not None and not replace:
            # Random bytes served as text/html extract to nothing (or to noise): a
            # failed page, never an article. Permanent: the same bytes come back.
            with self._unit(snapshot.source_id) as session:
                self._keep(session, snapshot)
                crawl_state.record_failure(
                    session,
                    canonical_url(snapshot.url),
                    source_id=snapshot.source_id,
                    error=problem,
                    status=snapshot.status,
                    permanent=True,
                )
            self._counts(snapshot.source_id)["article_failed"] += 1
            return Built("extract_failed")
        title = fields.title or entry_title
        decision = self.relevance.decide(title, fields.text)
        is_relevant = decision.relevant
        article = Article(
            url=snapshot.url,
            canonical_url=canonical_url(snapshot.url),
            source_id=snapshot.source_id,
            snapshot_id=snapshot.id,
            title=title,
            lead=fields.lead if is_relevant else "",
            # Irrelevant articles are kept as metadata only; the snapshot keeps the text.
            text=fields.text if is_relevant else "",
            authors=fields.authors,
            published_at=fields.published_at or entry_published_at,
            language=page.language,
            content_hash=dedup.content_hash(fields.text),
            relevant=is_relevant,
            places=decision.places(),
        )
        signature = dedup.article_minhash(title, fields.text) if is_relevant else None
        version = self.relevance.version
        duplicate = False
        with self._unit(snapshot.source_id) as session:
            self._keep(session, snapshot)
            article.snapshot_id = snapshot.id
            if replace:
                article_id = article_repo.replace_article(
                    session, article, relevance_version=version
                )
            else:
                try:
                    article_id = article_repo.add_article(
                        session, article, relevance_version=version
                    )
                except article_repo.DuplicateArticle:
                    duplicate = True  # the snapshot is kept: the unit still commits
            story_id = None
            if signature is not None and not duplicate:
                story_id = self._cluster(session, article_id, article, signature)
            if is_relevant and not duplicate and not replace:
                self.queue_analysis(article_id)
        counts = self._counts(snapshot.source_id)
        if duplicate:
            counts["duplicates"] += 1
            return Built("duplicate")
        if signature is not None and story_id is not None:
            self.index.add(article_id, signature)
            self.story_of[article_id] = story_id
            if self._batch is not None:
                self._batch.indexed.append(article_id)
        counts["articles"] += 1
        counts["relevant"] += int(is_relevant)
        return Built("stored", article_id, is_relevant)

    def _cluster(self, session: Any, article_id: int, article: Article, signature: Any) -> int:
        existing = article_repo.get_article(session, article_id).story_id
        if existing is not None:
            story_id = existing
        else:
            story_id = 0
            if article.text:
                story_id = article_repo.story_of_content(session, article.content_hash) or 0
            if not story_id:
                match = self.index.match(signature)
                story_id = self.story_of[match[0]] if match else 0
            if not story_id:
                story_id = article_repo.new_story(session, article.title)
            article_repo.assign_story(session, article_id, story_id)
        article_repo.set_minhash(session, article_id, dedup.to_bytes(signature))
        return story_id
