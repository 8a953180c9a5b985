"""Read and bookkeeping queries for the digest and the weekly export.

Reports window articles by `fetched_at` (when presswatch collected them), so
every article falls into exactly one day and one week even when an outlet
publishes late or back-dates. An article's analysis is its latest row
(`storage.analyses.latest_analysis_id`). `articles_fetched_between` is the one
query of a period's articles: the digest, the export, the alerts and the web
dashboard all count through it, with bounds from `pipeline.reports.periods`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from storage.analyses import ListedArticle, is_latest_analysis, listed_article_fields, to_stored
from storage.models import AnalysisRow, ArticleRow, CaseRow, DigestRow, ExportRow, SourceRow, utcnow


@dataclass(frozen=True, kw_only=True, slots=True)
class ReportArticle(ListedArticle):
    story_id: int | None
    analyzer_version: str | None
    case_id: int | None
    case_status: str | None
    case_resolution: str | None


def articles_fetched_between(
    session: Session, start: dt.datetime, end: dt.datetime, *, relevant_only: bool = True
) -> list[ReportArticle]:
    """Articles fetched in [start, end), oldest id first, with their latest analysis
    and their story's case."""
    query = (
        select(ArticleRow, SourceRow, CaseRow, AnalysisRow)
        .outerjoin(SourceRow, SourceRow.id == ArticleRow.source_id)
        .outerjoin(CaseRow, CaseRow.story_id == ArticleRow.story_id)
        .outerjoin(AnalysisRow, is_latest_analysis(ArticleRow.id))
        .where(ArticleRow.fetched_at >= start, ArticleRow.fetched_at < end)
        .order_by(ArticleRow.id)
        .options(defer(ArticleRow.text), defer(ArticleRow.minhash))
    )
    if relevant_only:
        query = query.where(ArticleRow.relevant.is_(True))
    found = []
    for article, source, case, row in session.execute(query):
        analysis = to_stored(row) if row is not None else None
        found.append(
            ReportArticle(
                **listed_article_fields(article, source, analysis),
                story_id=article.story_id,
                analyzer_version=analysis.analyzer_version if analysis else None,
                case_id=case.id if case else None,
                case_status=case.status if case else None,
                case_resolution=case.resolution if case else None,
            )
        )
    return found


def record_export(session: Session, iso_week: str, path: str, rows: int) -> None:
    row = session.scalar(select(ExportRow).where(ExportRow.iso_week == iso_week))
    if row is None:
        session.add(ExportRow(iso_week=iso_week, path=path, rows=rows))
    else:
        row.path, row.rows, row.created_at = path, rows, utcnow()
    session.flush()


def export_done(session: Session, iso_week: str) -> bool:
    return session.scalar(select(ExportRow.id).where(ExportRow.iso_week == iso_week)) is not None


def _digest_row(session: Session, day: dt.date, language: str) -> DigestRow | None:
    return session.scalar(
        select(DigestRow).where(DigestRow.day == day, DigestRow.language == language)
    )


def record_digest(
    session: Session, day: dt.date, language: str, html_path: str, text_path: str
) -> None:
    row = _digest_row(session, day, language)
    if row is None:
        session.add(DigestRow(day=day, language=language, html_path=html_path, text_path=text_path))
    else:
        row.html_path, row.text_path, row.created_at = html_path, text_path, utcnow()
    session.flush()


def digest_state(session: Session, day: dt.date, language: str) -> tuple[bool, bool]:
    """(written, sent) for the digest of `day` in `language`."""
    row = _digest_row(session, day, language)
    return (row is not None, row is not None and row.sent_at is not None)


def mark_digest_sent(session: Session, day: dt.date, language: str) -> None:
    row = _digest_row(session, day, language)
    if row is None:
        raise KeyError(f"no digest for {day} ({language})")
    row.sent_at = utcnow()


# The scheduled periodic report shares the digests table (no migration): its rows
# carry "rw-<language>" (week) or "rm-<language>" (month) in `language`, the
# period's first day in `day`, the DOCX in `html_path` and the PDF in `text_path`.
# Digest languages are two letters, so the two kinds never meet.
DIGEST_LANGUAGES = ("vi", "en")


def periodic_kind(period_kind: str, language: str) -> str:
    return f"r{period_kind[0]}-{language}"


def periodic_state(
    session: Session, period_kind: str, first_day: dt.date, language: str
) -> tuple[str, str, bool] | None:
    """None when the report of the period is not recorded, else (docx, pdf, sent)."""
    row = _digest_row(session, first_day, periodic_kind(period_kind, language))
    return None if row is None else (row.html_path, row.text_path, row.sent_at is not None)


def record_periodic(
    session: Session, period_kind: str, first_day: dt.date, language: str, docx: str, pdf: str
) -> None:
    record_digest(session, first_day, periodic_kind(period_kind, language), docx, pdf)


def mark_periodic_sent(
    session: Session, period_kind: str, first_day: dt.date, language: str
) -> None:
    mark_digest_sent(session, first_day, periodic_kind(period_kind, language))


def cases_opened_between(session: Session, start: dt.datetime, end: dt.datetime) -> list[int]:
    return list(
        session.scalars(
            select(CaseRow.id)
            .where(CaseRow.opened_at >= start, CaseRow.opened_at < end)
            .order_by(CaseRow.priority.desc(), CaseRow.id)
        )
    )
