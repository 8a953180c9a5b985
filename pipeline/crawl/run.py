"""The crawl stage as the CLI and the scheduler call it.

    report = run_crawl(settings, source_ids=None)

Scrapy runs in a child process (`pipeline.crawl.worker`) because Twisted's
reactor cannot be restarted inside one process. This parent syncs the
configured sources, starts the child, reads its per-source tallies and records
each source's success or failure for the dashboard.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import Settings
from core.errors import PresswatchError
from pipeline.crawl.child import crawl_dir, supervise
from pipeline.crawl.due import due_plan
from storage.db import Database
from storage.sources import record_crawl_outcome, sync_sources

logger = logging.getLogger(__name__)
# The crawl child's option: queue an analysis job with each batch of new articles.
ENQUEUE_ANALYSIS_FLAG = "--enqueue-analysis"


@dataclass(kw_only=True)
class SourceReport:
    source_id: str
    ok: bool
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def new_articles(self) -> int:
        return self.counts.get("articles", 0)

    @property
    def relevant_articles(self) -> int:
        return self.counts.get("relevant", 0)


@dataclass(kw_only=True)
class CrawlReport:
    sources: list[SourceReport]
    started_at: dt.datetime
    seconds: float
    exit_code: int = 0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and all(source.ok for source in self.sources)

    @property
    def new_articles(self) -> int:
        return sum(source.new_articles for source in self.sources)

    def summary_lines(self) -> list[str]:
        lines = []
        for s in self.sources:
            c = s.counts
            fetched = sum(v for k, v in c.items() if k.endswith("_fetched") and k != "article")
            lines.append(
                f"{s.source_id:<24} {'ok  ' if s.ok else 'FAIL'} entry pages {fetched} "
                f"(not modified {c.get('not_modified', 0)}), articles new {s.new_articles} "
                f"relevant {s.relevant_articles} duplicates {c.get('duplicates', 0)}, "
                f"failed pages {c.get('article_failed', 0) + c.get('storage_failed', 0)}"
                + (f", rendered {c['rendered']}" if c.get("rendered") else "")
            )
            lines.extend(f"    error: {e}" for e in s.errors[:5])
            lines.extend(f"    warning: {w}" for w in s.warnings[:5])
        lines.append(
            f"crawl {'ok' if self.ok else 'had failures'}: {len(self.sources)} sources, "
            f"{self.new_articles} new articles in {self.seconds:.1f} s"
        )
        return lines


def worker_command(
    settings_path: Path,
    report_path: Path,
    source_ids: list[str],
    *,
    enqueue_analysis: bool = False,
) -> list[str]:
    """The child process a crawl runs in (exposed for tests that kill it midway)."""
    return [
        sys.executable,
        "-m",
        "pipeline.crawl.worker",
        *([ENQUEUE_ANALYSIS_FLAG] if enqueue_analysis else []),
        str(settings_path),
        str(report_path),
        *source_ids,
    ]


def _selected(settings: Settings, source_ids: list[str] | None) -> list[str]:
    known = {s.id for s in settings.sources}
    if source_ids:
        unknown = [s for s in source_ids if s not in known]
        if unknown:
            raise PresswatchError(
                f"unknown source(s) {', '.join(unknown)}; configured: {', '.join(sorted(known))}"
            )
        return list(dict.fromkeys(source_ids))
    return [s.id for s in settings.sources if s.enabled]


def run_crawl(
    settings: Settings,
    source_ids: list[str] | None = None,
    *,
    timeout: float | None = None,
    stop: threading.Event | None = None,
    due_only: bool = False,
    enqueue_analysis: bool = False,
) -> CrawlReport:
    """Crawl the given (default: all enabled) sources once; store and report.

    With `due_only` (the scheduler's ticks) only entry pages whose polling
    period has passed are fetched, and a tick with none due starts nothing.
    Never raises for a failing source: each one's outcome is in the report and
    in the sources table (last_crawl_ok, last_error). With `enqueue_analysis`
    (cluster mode, PostgreSQL) each batch of new relevant articles commits with
    the job that analyses it (storage.job_queue).
    """
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    database = Database.open(settings.database_url)
    try:
        with database.session() as session:
            sync_sources(session, settings.sources)
        wanted = _selected(settings, source_ids)
        plan = due_plan(settings, database, wanted, started if due_only else None)
        due, disabled = plan.sources, plan.disabled
        selected = [source.id for source in due]
        exit_code, interrupted = 0, False
        raw: dict[str, Any] = {}
        if selected:
            crawled = settings.model_copy(update={"sources": due})
            exit_code, interrupted, raw = _crawl_in_child(
                crawled, selected, timeout, stop, enqueue_analysis=enqueue_analysis
            )
        report = CrawlReport(
            sources=[],
            started_at=started,
            seconds=time.perf_counter() - clock,
            exit_code=exit_code,
        )
        with database.session() as session:
            for source_id in wanted:
                if source_id not in selected and source_id not in disabled:
                    continue  # nothing due on this tick
                notes = [
                    f"feed {url} is not polled: {reason} (`presswatch feeds enable {url}`)"
                    for url, reason in disabled.get(source_id, [])
                ]
                data = raw.get(source_id, {})
                errors = list(data.get("errors", []))
                if source_id not in selected:
                    errors.extend(notes)  # every entry page it has is disabled
                elif interrupted:
                    errors.append("crawl stopped before it finished; the next crawl does the rest")
                elif not raw:
                    errors.append(f"crawl process failed (exit code {exit_code}); see its log")
                failed_writes = data.get("counts", {}).get("storage_failed", 0)
                if failed_writes:
                    errors.append(f"{failed_writes} page(s) not stored because of storage errors")
                source_report = SourceReport(
                    source_id=source_id,
                    ok=not errors,
                    counts=data.get("counts", {}),
                    errors=errors,
                    warnings=list(data.get("warnings", []))
                    + (notes if source_id in selected else []),
                )
                report.sources.append(source_report)
                record_crawl_outcome(
                    session,
                    source_id,
                    ok=source_report.ok,
                    error="; ".join(errors)[:2000] or None,
                    at=started,
                )
        return report
    finally:
        database.dispose()


def _crawl_in_child(
    settings: Settings,
    source_ids: list[str],
    timeout: float | None,
    stop: threading.Event | None,
    *,
    enqueue_analysis: bool = False,
) -> tuple[int, bool, dict[str, Any]]:
    """(exit code, interrupted, per-source tallies) of one crawl process."""
    with crawl_dir() as tmp:
        settings_path = Path(tmp, "settings.json")
        report_path = Path(tmp, "report.json")
        settings_path.write_text(settings.model_dump_json(), encoding="utf-8")
        # The child follows this process: kill -9 here ends it too (pipeline.crawl.child).
        exit_code, interrupted = supervise(
            worker_command(
                settings_path, report_path, source_ids, enqueue_analysis=enqueue_analysis
            ),
            timeout=timeout,
            stop=stop,
        )
        raw = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else {}
    return exit_code, interrupted, raw


def reextract_snapshots(
    settings: Settings, database: Database, source_ids: list[str] | None = None
) -> dict[str, int]:
    """Rebuild every article from its stored snapshots with today's extraction
    and watch list; story clusters stay attached."""
    from collections import Counter

    from pipeline.crawl.store import KIND_HEADER, ArticleStore
    from storage.snapshots import snapshot_batch

    store = ArticleStore(settings, database)
    store.load_clusters()
    wanted = set(source_ids) if source_ids else None
    counts: Counter[str] = Counter()
    last_id = 0
    while True:
        with database.session() as session:
            batch = snapshot_batch(session, last_id)
        if not batch:
            break
        last_id = batch[-1].id or last_id
        for snapshot in batch:
            if snapshot.headers.get(KIND_HEADER, "article") != "article":
                continue
            if wanted is None or snapshot.source_id in wanted:
                counts[store.build_article(snapshot, replace=True).outcome] += 1
    counts["snapshots"] = sum(counts.values())
    return dict(counts)
