"""The weekly CSV export: one row per relevant article collected that ISO week.

pandas writes it as UTF-8 with a byte-order mark, so Excel opens Vietnamese
correctly, and CRLF line ends (RFC 4180). Nothing in the file depends on when
it was written, so rerunning a week rewrites the same bytes. The columns are
documented in the README; EXPORT_COLUMNS is their order.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pipeline.reports import periods
from pipeline.reports.periods import week_bounds
from storage.db import Database
from storage.reports import ReportArticle, articles_fetched_between, record_export

if TYPE_CHECKING:
    from core.config import Settings

logger = logging.getLogger(__name__)

EXPORT_COLUMNS = [
    "article_id",
    "source_id",
    "source_name",
    "origin",
    "language",
    "url",
    "title",
    "published_at",
    "fetched_at",
    "topics",
    "stance",
    "stance_score",
    "distortion_score",
    "flagged",
    "narratives",
    "story_id",
    "case_id",
    "case_status",
    "case_resolution",
    "analyzer_version",
]


# A spreadsheet reads a cell starting with one of these as a formula: a crawled
# title "=HYPERLINK(...)" would run in the analyst's Excel (OWASP "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """A text cell a spreadsheet could take for a formula, prefixed with a single
    quote (OWASP's advice) so it shows as the text it is; numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralise_row(row: dict[str, Any]) -> dict[str, Any]:
    return {key: neutralise_cell(value) for key, value in row.items()}


@dataclass
class ExportResult:
    week: str
    path: Path
    rows: int


def export_path(settings: Settings, week: str) -> Path:
    return Path(settings.export.output_dir) / f"presswatch-{week}.csv"


def _local(value: dt.datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).isoformat(timespec="seconds") if value else ""


def _row(article: ReportArticle, zone: ZoneInfo, threshold: float) -> dict[str, Any]:
    analysis = article.analysis
    return {
        "article_id": article.id,
        "source_id": article.source_id or "",
        "source_name": article.source_name or "",
        "origin": article.origin or "",
        "language": article.language or "",
        "url": article.url,
        "title": article.title,
        "published_at": _local(article.published_at, zone),
        "fetched_at": _local(article.fetched_at, zone),
        "topics": ";".join(article.topic_ids(threshold)),
        "stance": analysis.stance.label if analysis else "",
        "stance_score": f"{analysis.stance.score:.2f}" if analysis else "",
        "distortion_score": (
            f"{article.distortion_score:.2f}" if article.distortion_score is not None else ""
        ),
        "flagged": "yes" if article.flagged else "no",
        "narratives": ";".join(analysis.narrative_ids() if analysis else []),
        "story_id": article.story_id if article.story_id is not None else "",
        "case_id": article.case_id if article.case_id is not None else "",
        "case_status": article.case_status or "",
        "case_resolution": article.case_resolution or "",
        "analyzer_version": article.analyzer_version or "",
    }


def previous_week(settings: Settings, now: dt.datetime | None = None) -> str:
    """The last complete ISO week in the office's timezone."""
    return periods.previous_week(settings.profile.timezone, now)


def run_export(settings: Settings, database: Database, week: str) -> ExportResult:
    import pandas as pd

    zone = ZoneInfo(settings.profile.timezone)
    start, end = week_bounds(week, settings.profile.timezone)
    threshold = settings.nlp.thresholds.topic_score
    with database.session() as session:
        articles = articles_fetched_between(session, start, end)
    frame = pd.DataFrame(
        [neutralise_row(_row(a, zone, threshold)) for a in articles], columns=EXPORT_COLUMNS
    )
    path = export_path(settings, week)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside, then rename: a crash never leaves half a file under the real name.
    partial = path.with_suffix(".csv.partial")
    frame.to_csv(partial, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    os.replace(partial, path)
    with database.session() as session:
        record_export(session, week, str(path), len(frame))
    logger.info("export %s: %d row(s) -> %s", week, len(frame), path)
    return ExportResult(week, path, len(frame))
