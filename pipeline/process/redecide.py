"""Re-applying relevance: the first step of the process stage.

Stored articles whose relevance was decided under another version than the
current one (`pipeline.process.relevance`), or under none, are decided again,
in batches, so changing the watch list needs no `reextract`:

* an article kept as metadata only (irrelevant when built, no text stored) is
  rebuilt from its snapshot by the crawl store, as `reextract` does, and
  clustered if it is relevant now;
* an article whose text is stored is decided again on that text.

The analysis step that follows takes relevant articles, so one that became
relevant is analysed in the same run and one that no longer is is not
analysed again; it keeps its text, story, analyses and cases. Articles
without a snapshot (never crawled) keep the relevance they were given.

Each decision commits with its version, so a crash loses at most the batch in
hand and a rerun decides only the rest, each article once.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from core.config import Settings
from core.record import Article
from pipeline.crawl.store import ArticleStore
from pipeline.process.relevance import Relevance
from storage import articles as article_repo
from storage.db import Database
from storage.snapshots import load_snapshot

logger = logging.getLogger(__name__)
BATCH_SIZE = 200


@dataclass
class RedecideStats:
    decided: int = 0
    rebuilt: int = 0
    now_relevant: int = 0
    no_longer_relevant: int = 0
    failed: int = 0
    stopped: bool = False

    def __str__(self) -> str:
        text = (
            f"relevance re-decided for {self.decided} article(s): {self.now_relevant} now "
            f"relevant, {self.no_longer_relevant} no longer"
        )
        if self.failed:
            text += f", {self.failed} could not be rebuilt (kept as they were)"
        return text

    def count(self, before: bool, after: bool) -> None:
        self.decided += 1
        self.now_relevant += int(after and not before)
        self.no_longer_relevant += int(before and not after)


def redecide_relevance(
    settings: Settings,
    database: Database,
    *,
    batch_size: int = BATCH_SIZE,
    stop: threading.Event | None = None,
) -> RedecideStats:
    """Decide again every crawled article not decided under the current version."""
    relevance = Relevance(settings.watch)
    stats = RedecideStats()
    store: ArticleStore | None = None
    after_id = 0
    while True:
        if stop is not None and stop.is_set():
            stats.stopped = True
            break
        with database.session() as session:
            batch = article_repo.articles_to_redecide(
                session, relevance.version, limit=batch_size, after_id=after_id
            )
        if not batch:
            break
        with database.session() as session:
            for article in batch:
                if article.text:
                    assert article.id is not None
                    decision = relevance.decide(article.title, article.text)
                    article_repo.set_relevance(
                        session,
                        article.id,
                        relevant=decision.relevant,
                        places=decision.places(),
                        version=relevance.version,
                    )
                    stats.count(article.relevant, decision.relevant)
        for article in batch:
            if not article.text:
                if store is None:
                    store = ArticleStore(settings, database)
                    store.load_clusters()
                _rebuild(store, database, article, stats)
        after_id = max(a.id or 0 for a in batch)
    if stats.decided or stats.failed:
        logger.info("process: %s", stats)
    return stats


def _rebuild(
    store: ArticleStore, database: Database, article: Article, stats: RedecideStats
) -> None:
    """Rebuild an article kept as metadata only from its snapshot (its own transaction)."""
    assert article.id is not None and article.snapshot_id is not None
    with database.session() as session:
        snapshot = load_snapshot(session, article.snapshot_id)
    built = store.build_article(
        snapshot,
        entry_title=article.title,
        entry_published_at=article.published_at,
        replace=True,
    )
    if built.article_id == article.id:
        stats.rebuilt += 1
        stats.count(article.relevant, built.relevant)
        return
    # Extraction failed, or the snapshot's URL now canonicalises to another
    # article: keep this one as it was, under the current version, so it is not
    # retried on every run (`reextract` after a fix rebuilds it).
    logger.warning(
        "article %s (%s): cannot rebuild from snapshot %s (%s); relevance kept",
        article.id,
        article.url,
        article.snapshot_id,
        built.outcome,
    )
    stats.failed += 1
    with database.session() as session:
        article_repo.set_relevance(
            session,
            article.id,
            relevant=article.relevant,
            places=article.places,
            version=store.relevance.version,
        )
