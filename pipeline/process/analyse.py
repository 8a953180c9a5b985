"""The process stage: re-decide relevance where the watch list changed
(`pipeline.process.redecide`), analyse what has no analysis of the current
analyzer version, and flag into cases.

Work comes from storage ("relevant articles without an analysis of version
V"), in batches. Each batch's analyses and case changes commit together, so a
crash loses at most the batch in hand and a rerun does exactly the rest: no
article is analysed twice, no case opened twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core.errors import StorageError
from core.record import Article
from pipeline.process import flag as cases
from pipeline.process.redecide import RedecideStats, redecide_relevance
from pipeline.process.story_links import StoryLinker
from pipeline.review.deadlines import refresh_cases as refresh_deadlines
from storage.analyses import StoredAnalysis, articles_needing_analysis, save_analysis
from storage.db import Database
from storage.job_queue import queue_present
from storage.models import utcnow

if TYPE_CHECKING:
    from core.analysis import AnalysisResult, Document
    from core.config import Settings

logger = logging.getLogger(__name__)


class Analyzer(Protocol):
    """What the process stage needs from nlp.analyzer (see nlp/types.py)."""

    @property
    def version(self) -> str: ...

    def analyze(self, docs: Sequence[Document]) -> list[AnalysisResult]: ...


@dataclass
class ProcessStats:
    analysed: int = 0
    flagged: int = 0
    cases_opened: int = 0
    cases_updated: int = 0
    already_done: int = 0
    failed: int = 0
    stopped: bool = False
    relevance: RedecideStats = field(default_factory=RedecideStats)
    # Cases opened or updated, for refreshing only those (a cluster job's run).
    case_ids: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        text = (
            f"analysed {self.analysed} article(s), flagged {self.flagged}, "
            f"opened {self.cases_opened} case(s), updated {self.cases_updated}"
        )
        if self.failed:
            text += f", {self.failed} failed (retried next run)"
        if self.relevance.decided or self.relevance.failed:
            text += f"; {self.relevance}"
        if self.stopped:
            text += " (stopped early; the rest is done next run)"
        return text


def to_document(article: Article) -> Document:
    from core.analysis import Document

    origin = article.origin if article.origin in ("domestic", "foreign") else None
    return Document(
        id=str(article.id),
        title=article.title,
        text=article.text,
        url=article.url,
        language=article.language,
        source=article.source_id,
        origin=origin,  # type: ignore[arg-type]  # narrowed by the check above
    )


def _analyse(analyzer: Analyzer, batch: list[Article]) -> list[AnalysisResult | None]:
    """Analyse a batch; on failure, one by one, so one bad article blocks no others."""
    try:
        results = analyzer.analyze([to_document(a) for a in batch])
        if len(results) != len(batch):
            raise RuntimeError(f"analyzer returned {len(results)} results for {len(batch)}")
        return list(results)
    except Exception:
        logger.exception("analysing a batch of %d failed; retrying one by one", len(batch))
    single: list[AnalysisResult | None] = []
    for article in batch:
        try:
            single.append(analyzer.analyze([to_document(article)])[0])
        except Exception as exc:
            logger.error("cannot analyse article %s (%s): %s", article.id, article.url, exc)
            single.append(None)
    return single


def run_process(
    settings: Settings,
    database: Database,
    analyzer: Analyzer | None = None,
    *,
    batch_size: int = 32,
    limit: int | None = None,
    stop: threading.Event | None = None,
    now: dt.datetime | None = None,
    article_ids: Sequence[int] | None = None,
) -> ProcessStats:
    """Analyse what needs it; with `article_ids` (a cluster analysis job) only those.
    Without, articles a live cluster job holds are left to it (PostgreSQL only)."""
    stats = ProcessStats()
    skip_queued = False
    if article_ids is None:
        # First, so an article the current watch list makes relevant is analysed below.
        stats.relevance = redecide_relevance(settings, database, stop=stop)
        with database.session() as session:
            skip_queued = queue_present(session)
    if analyzer is None:
        from nlp.registry import build_analyzer

        analyzer = build_analyzer(settings.analysis())
    after_id = 0
    threshold = settings.nlp.thresholds.topic_score
    linker = StoryLinker(settings.watch)
    while limit is None or stats.analysed + stats.failed < limit:
        if stop is not None and stop.is_set():
            stats.stopped = True
            break
        size = (
            batch_size if limit is None else min(batch_size, limit - stats.analysed - stats.failed)
        )
        with database.session() as session:
            batch = articles_needing_analysis(
                session,
                analyzer.version,
                limit=size,
                after_id=after_id,
                among=article_ids,
                skip_queued=skip_queued,
            )
        if not batch:
            break
        # The slow part runs outside any transaction; the writes then commit as one.
        results = _analyse(analyzer, batch)
        before = dataclasses.replace(stats)
        try:
            with database.session() as session:
                for article, result in zip(batch, results, strict=True):
                    if result is None:
                        stats.failed += 1
                        continue
                    _store(
                        session,
                        analyzer.version,
                        article,
                        result,
                        threshold,
                        stats,
                        now or utcnow(),
                        linker=linker,
                    )
        except OperationalError as exc:
            # Disk full, database locked or gone: the batch rolled back as one unit, so
            # the counts go back too; the run stops (the next batch would fail alike).
            stats = dataclasses.replace(before, failed=before.failed + len(batch))
            from storage.db import describe_storage_error

            logger.error("process: %s; stopped after %s", exc, stats)
            raise StorageError(
                f"process stopped, {len(batch)} article(s) of the batch in hand not stored "
                f"(done before it: {stats.analysed} analysed): "
                f"{describe_storage_error(database.engine, exc)}"
            ) from None
        after_id = max(a.id or 0 for a in batch)
    with database.session() as session:
        if article_ids is None:
            cases.refresh_priorities(session, now or utcnow())
            # New cases show their due times at once, not at the next alerts run.
            refresh_deadlines(settings, session, now or utcnow())
        elif stats.case_ids:
            # A cluster job: only its own cases, as jobs run side by side (every open
            # case from each would lock the same rows); the periodic sweep re-ranks.
            refresh_deadlines(settings, session, now or utcnow(), sorted(set(stats.case_ids)))
    logger.info("process: %s", stats)
    return stats


def _store(
    session: Session,
    version: str,
    article: Article,
    result: AnalysisResult,
    threshold: float,
    stats: ProcessStats,
    now: dt.datetime,
    *,
    linker: StoryLinker | None = None,
) -> None:
    assert article.id is not None
    stored = StoredAnalysis(
        article_id=article.id,
        analyzer_version=version,
        backend=result.backend,
        model_version=result.model_version,
        result=result,
    )
    if not save_analysis(session, stored):
        stats.already_done += 1  # a concurrent run analysed it first
        return
    stats.analysed += 1
    if linker is not None:
        linked = linker.link(session, article.id)
        if linked is not None:
            article.story_id = linked  # so flagging joins the other version's case
    if not stored.flagged:
        return
    stats.flagged += 1
    outcome = cases.flag_article(
        session,
        article,
        score=stored.distortion_score,
        topics=result.topic_ids(threshold),
        now=now,
    )
    stats.case_ids.append(outcome.case_id)
    if outcome.opened:
        stats.cases_opened += 1
    else:
        stats.cases_updated += 1
