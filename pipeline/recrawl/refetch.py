"""The recrawl (issue 15): fetch relevant articles again, conditionally, and record
what their outlets changed.

Per due refetch: the page is fetched and extracted outside any transaction,
then one transaction writes everything it led to: the new snapshot (stored
beside the original, never over it), version 1 from the crawl's text if
missing, the new version, the change events (`title`, `body`, `deleted`,
`restored`), the article's new text with its analyses set aside for
re-analysis, and the due row marked done. A kill -9 before the commit leaves
nothing and the rerun fetches again; after it, the row is done. Every write is
also idempotent on its own unique key.

Deleted means 404/410, or a redirect to a page that is no article: the home
page, a section above the article's path, a URL none of the source's article
patterns match. A later successful fetch is `restored`, a version of its own.
What counts as an edit is `pipeline.recrawl.diff`'s decision, against the
latest version, with the paragraphs of the source's other articles as the
site's boilerplate.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from core.record import Snapshot
from crawlers import dedup
from crawlers.urls import canonical_url
from pipeline.crawl.extraction import PageFields, extract_page
from pipeline.crawl.store import KIND_HEADER, body_problem
from pipeline.recrawl.diff import diff_texts, paragraphs
from pipeline.recrawl.fetch import Fetched, FetchProblem, PoliteClient
from pipeline.recrawl.schedule import schedule_due
from storage import versions
from storage.db import Database
from storage.models import utcnow
from storage.snapshots import content_hash, save_snapshot

if TYPE_CHECKING:
    from core.config import Settings, Source

logger = logging.getLogger(__name__)
# Stored with a refetched snapshot's headers: `reextract` rebuilds articles from the
# crawl's snapshots only, never from a refetched 404 or home page.
RECRAWL_KIND = "recrawl"
_GONE = {404, 410}


@dataclass
class RecrawlStats:
    scheduled: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    alerts: int = 0
    stopped: bool = False

    def __str__(self) -> str:
        done = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "nothing due"
        text = f"scheduled {self.scheduled}; {done}; {self.alerts} alert(s)"
        return text + (" (stopped early; the rest is done next run)" if self.stopped else "")


def looks_removed(url: str, final_url: str, article_patterns: list[str]) -> bool:
    """A redirect away from the article to a page that is none: the home page, a
    section above it, or (when the source has article patterns) a URL none matches."""
    if canonical_url(final_url) == canonical_url(url):
        return False
    old_path, new_path = urlsplit(url).path, urlsplit(final_url).path
    if not new_path.strip("/"):
        return True
    if article_patterns and not any(re.search(p, final_url) for p in article_patterns):
        return True
    if old_path.startswith(new_path.rstrip("/") + "/"):
        return True
    old_depth = len([s for s in old_path.split("/") if s])
    new_depth = len([s for s in new_path.split("/") if s])
    return new_depth < old_depth and len(new_path) < len(old_path) / 2


@dataclass(frozen=True, slots=True)
class _Job:
    article_id: int
    due_id: int | None
    due_at: dt.datetime | None


def run_recrawl(
    settings: Settings,
    database: Database,
    *,
    now: dt.datetime | None = None,
    everything: bool = False,
    limit: int | None = None,
    stop: threading.Event | None = None,
) -> RecrawlStats:
    """Schedule what became due, refetch up to `limit` (recrawl.max_per_run) of the
    due pages, then alert the assignees of open cases. `everything`: every
    relevant article and open-case article now, due or not."""
    from pipeline.recrawl.alerts import change_alerts

    now = now or utcnow()
    stats = RecrawlStats()
    with database.session() as session:
        stats.scheduled = schedule_due(session, settings.recrawl, now)
    bound = limit if limit is not None else settings.recrawl.max_per_run
    with database.read_session() as session:
        if everything:
            ids = [a for a, _ in versions.relevant_articles(session)]
            ids += versions.open_case_articles(session)
            jobs = [_Job(a, None, None) for a in dict.fromkeys(ids)]
        else:
            jobs = [
                _Job(d.article_id, d.id, d.due_at)
                for d in versions.due_recrawls(session, now, bound)
            ]
    done_now: set[int] = set()
    with PoliteClient(settings.crawl) as client:
        for job in jobs:
            if stop is not None and stop.is_set():
                stats.stopped = True
                break
            if job.article_id in done_now and job.due_id is not None:
                # Due twice at once (24 h and a case's daily): one fetch serves both.
                with database.session() as session:
                    versions.mark_recrawled(session, job.due_id, now)
                stats.outcomes["same_run"] += 1
                continue
            outcome = refetch(settings, database, client, job, now)
            done_now.add(job.article_id)
            stats.outcomes[outcome] += 1
    stats.alerts = change_alerts(settings, database, now)
    logger.info("recrawl: %s", stats)
    return stats


def _source(settings: Settings, source_id: str | None) -> Source | None:
    if source_id is None:
        return None
    try:
        return settings.source(source_id)
    except KeyError:
        return None


def refetch(
    settings: Settings, database: Database, client: PoliteClient, job: _Job, now: dt.datetime
) -> str:
    """Refetch one article and record what changed; returns the outcome's name."""
    with database.read_session() as session:
        target = versions.recrawl_target(session, job.article_id)
    if target is None:
        _finish(database, job, now)
        return "gone"
    source = _source(settings, target.source_id)
    try:
        # After a deletion, no validators: a 304 would not show the page is back.
        fetched = client.get(
            target.url,
            source=source,
            etag=None if target.deleted else target.etag,
            last_modified=None if target.deleted else target.last_modified,
        )
    except FetchProblem as problem:
        return _failed(
            database, job, now, str(problem), permanent=problem.permanent, settings=settings
        )
    patterns = list(source.article_patterns) if source else []
    removed = fetched.status in _GONE or (
        fetched.status == 200 and looks_removed(target.url, fetched.final_url, patterns)
    )
    if fetched.status == 304 or (
        fetched.status == 200
        and not removed
        and not target.deleted
        and content_hash(fetched.body) == target.last_hash
    ):
        _finish(database, job, now)
        return "not_modified" if fetched.status == 304 else "same_bytes"
    if not removed and fetched.status != 200:
        return _failed(
            database, job, now, f"{target.url}: HTTP {fetched.status}", settings=settings
        )
    snapshot = _snapshot(target.url, target.source_id, fetched, now)
    page = None
    if not removed:
        try:
            page = extract_page(
                fetched.body,
                fetched.final_url,
                content_type=fetched.headers.get("content-type"),
                timezone=settings.profile.timezone,
            )
        except Exception as exc:  # an extraction bug must not stop the recrawl
            logger.exception("extraction failed for %s", target.url)
            return _failed(
                database, job, now, f"{target.url}: extraction failed: {exc}", settings=settings
            )
    with database.session() as session:
        if job.due_id is not None and versions.is_recrawled(session, job.due_id):
            return "done_elsewhere"
        outcome = _record(settings, session, target, snapshot, page, now)
        if job.due_id is not None:
            versions.mark_recrawled(session, job.due_id, now)
    if outcome in ("edited", "deleted", "restored"):
        logger.info("recrawl %s: %s", outcome, target.url)
    return outcome


def _snapshot(url: str, source_id: str | None, fetched: Fetched, now: dt.datetime) -> Snapshot:
    return Snapshot(
        url=url,
        final_url=fetched.final_url,
        status=fetched.status,
        body=fetched.body,
        headers={**fetched.headers, KIND_HEADER: RECRAWL_KIND},
        fetched_at=now,
        source_id=source_id,
    )


def _record(
    settings: Settings,
    session: Session,
    target: versions.RecrawlTarget,
    snapshot: Snapshot,
    page: PageFields | None,
    now: dt.datetime,
) -> str:
    latest = versions.ensure_first_version(session, target.article_id)
    if page is None:  # removed by its outlet
        save_snapshot(session, snapshot)  # the 404 or home page: evidence of the removal
        if target.deleted:
            return "still_deleted"
        versions.record_change(
            session,
            target.article_id,
            "deleted",
            from_version=latest.version,
            to_version=latest.version,
            detected_at=now,
        )
        return "deleted"
    fields = page.extracted
    if body_problem(fields.text) is not None:
        # Kept as evidence; no text to compare (nor, after a deletion, to restore).
        save_snapshot(session, snapshot)
        return "extract_failed"
    title = fields.title or latest.title
    shared = [
        p
        for text in versions.site_texts(session, target.source_id, target.article_id)
        for p in paragraphs(text)
    ]
    title_edited = diff_texts(latest.title, title).changed_tokens > 0
    body_edited = diff_texts(latest.text, fields.text, shared).is_edit(
        settings.recrawl.min_changed_tokens
    )
    if not (title_edited or body_edited or target.deleted):
        # Changed bytes, same article (a rotating ad, whitespace): the snapshot is
        # kept, but no version, no change, no re-analysis.
        save_snapshot(session, snapshot)
        return "unchanged"
    snapshot_id = save_snapshot(session, snapshot)
    version = versions.add_version(
        session,
        target.article_id,
        snapshot_id=snapshot_id,
        title=title,
        text=fields.text,
        fetched_at=now,
        always=target.deleted,
    )
    kinds = [k for k, edited in (("title", title_edited), ("body", body_edited)) if edited]
    if target.deleted:
        kinds.insert(0, "restored")
    for kind in kinds:
        versions.record_change(
            session,
            target.article_id,
            kind,
            from_version=latest.version,
            to_version=version.version,
            detected_at=now,
        )
    if title_edited or body_edited:
        versions.take_new_text(
            session, version, content_hash=dedup.content_hash(fields.text), now=now
        )
        return "edited" if not target.deleted else "restored"
    return "restored"


def _finish(database: Database, job: _Job, now: dt.datetime) -> None:
    if job.due_id is None:
        return
    with database.session() as session:
        versions.mark_recrawled(session, job.due_id, now)


def _failed(
    database: Database,
    job: _Job,
    now: dt.datetime,
    error: str,
    *,
    settings: Settings,
    permanent: bool = False,
) -> str:
    """A failed refetch stays due (tried next run) unless asking again is useless:
    permanent, or past `recrawl.give_up_after`."""
    late = job.due_at is not None and now - job.due_at > settings.recrawl.give_up_after
    logger.warning("recrawl failed: %s%s", error, " (given up)" if permanent or late else "")
    if permanent or late:
        _finish(database, job, now)
        return "failed_given_up"
    return "failed"
