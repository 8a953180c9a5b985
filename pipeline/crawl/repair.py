"""Rebuild articles an interrupted older crawl left without a story or MinHash
(`presswatch db check --repair`), through the crawl's own article building so
they cluster exactly as a fresh crawl would."""

from __future__ import annotations

from core.config import Settings
from storage import articles as article_repo
from storage.db import Database
from storage.snapshots import load_snapshot


def rebuild_unclustered(settings: Settings, database: Database, article_ids: list[int]) -> int:
    """Re-extract and cluster each article from its snapshot; returns how many were rebuilt."""
    from pipeline.crawl.store import ArticleStore

    if not article_ids:
        return 0
    store = ArticleStore(settings, database)
    store.load_clusters()
    rebuilt = 0
    for article_id in article_ids:
        with database.session() as session:
            snapshot_id = article_repo.get_article(session, article_id).snapshot_id
            if snapshot_id is None:
                continue
            snapshot = load_snapshot(session, snapshot_id)
        if store.build_article(snapshot, replace=True).outcome == "stored":
            rebuilt += 1
    return rebuilt
