"""`presswatch db check`: find (and with --repair, undo) what an interrupted
older version left half-written.

Two kinds of orphan, both from SQLite savepoints that committed early before
real transactions were used (issue 13):

- a flagged analysis whose article's story has no case: the process stage
  stored the analysis, then died before opening the case, and reruns skip an
  analysed article. Repair deletes those analyses, so the next `process`
  redoes analysis and case together, as one unit.
- a relevant article with no story or no MinHash: the crawl stored the row,
  then died before clustering it, so a syndicated copy opens a second story.
  Repair is the crawl's own rebuild from the snapshot (`pipeline.crawl.repair`);
  this module only finds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session

from storage.models import AnalysisRow, ArticleRow, CaseRow


@dataclass
class CheckReport:
    flagged_without_case: list[int] = field(default_factory=list)  # article ids
    unclustered: list[int] = field(default_factory=list)  # crawled article ids

    @property
    def problems(self) -> int:
        return len(self.flagged_without_case) + len(self.unclustered)

    def lines(self) -> list[str]:
        def ids(values: list[int]) -> str:
            shown = ", ".join(str(v) for v in values[:20])
            return shown + (f" and {len(values) - 20} more" if len(values) > 20 else "")

        out = []
        if self.flagged_without_case:
            out.append(
                f"{len(self.flagged_without_case)} flagged article(s) with an analysis but no "
                f"case: {ids(self.flagged_without_case)}"
            )
        if self.unclustered:
            out.append(
                f"{len(self.unclustered)} relevant article(s) with no story or MinHash: "
                f"{ids(self.unclustered)}"
            )
        return out


def _no_case_for_story() -> object:
    return or_(
        ArticleRow.story_id.is_(None),
        ~exists().where(CaseRow.story_id == ArticleRow.story_id),
    )


def flagged_without_case(session: Session) -> list[int]:
    rows = session.scalars(
        select(ArticleRow.id)
        .where(
            exists().where(AnalysisRow.article_id == ArticleRow.id, AnalysisRow.flagged.is_(True)),
            _no_case_for_story(),  # type: ignore[arg-type]  # a boolean clause
        )
        .order_by(ArticleRow.id)
    )
    return list(rows)


def unclustered(session: Session) -> list[int]:
    """Crawled relevant articles lacking a story or a MinHash (articles added by
    other means, e.g. imports, have no snapshot to rebuild from and are left)."""
    rows = session.scalars(
        select(ArticleRow.id)
        .where(
            ArticleRow.relevant.is_(True),
            ArticleRow.snapshot_id.is_not(None),
            or_(ArticleRow.story_id.is_(None), ArticleRow.minhash.is_(None)),
        )
        .order_by(ArticleRow.id)
    )
    return list(rows)


def check(session: Session) -> CheckReport:
    return CheckReport(
        flagged_without_case=flagged_without_case(session), unclustered=unclustered(session)
    )


def forget_orphan_analyses(session: Session, article_ids: list[int]) -> int:
    """Delete every analysis of these articles whose story still has no case
    (checked again here, so a case opened meanwhile keeps its analysis): the
    next `process` then analyses them afresh and opens the case in one unit."""
    if not article_ids:
        return 0
    still = set(flagged_without_case(session)) & set(article_ids)
    if not still:
        return 0
    result = session.execute(
        delete(AnalysisRow)
        .where(AnalysisRow.article_id.in_(sorted(still)))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
