"""The library of answers, read side: what each narrative has been through.

A case repeats a narrative when an article of its story has, in its latest
analysis, a `narrative` label for it; an article rebuts a narrative when its
latest analysis has a `rebuttal` label for it (`analysis_labels`, written with
every analysis). From those two facts come a narrative's history (the cases it
opened, how each was closed and answered, how fast), the rebuttal articles an
answer can cite, and, for a new case, the answers given before to the same
narratives. Templates are stored by `storage.answer_templates`; `case_library`
gathers all of it for a case page.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, defer

from core.analysis import AnalysisResult
from storage.analyses import ListedArticle, is_latest_analysis, listed_article_fields, to_stored
from storage.answer_templates import ResponseTemplate, templates_for
from storage.cases import OPEN_STATUSES, case_row
from storage.models import (
    AnalysisLabelRow,
    AnalysisRow,
    ArticleRow,
    CaseEventRow,
    CaseRow,
    SourceRow,
)
from storage.trends import CaseTiming, case_timings

# How many rebuttal articles a page lists: the best, not every copy ever found.
REBUTTAL_LIMIT = 20
# The links of a response: http(s) up to whitespace, without a closing punctuation mark.
_LINK = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def response_links(response: str | None) -> list[str]:
    """The http(s) links in a response, in order, each once."""
    found: list[str] = []
    for link in _LINK.findall(response or ""):
        if link not in found:
            found.append(link)
    return found


@dataclass(frozen=True, kw_only=True, slots=True)
class AnsweredCase(CaseTiming):
    """A case in a narrative's history: how it ended, what the office said, how fast."""

    @property
    def links(self) -> list[str]:
        return response_links(self.case.response)


@dataclass(frozen=True, kw_only=True, slots=True)
class RebuttalArticle(ListedArticle):
    """An article that denies or debunks the narrative, with its best sentence."""

    narrative_id: str
    score: float
    sentence: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class NarrativeHistory:
    narrative_id: str
    cases: list[AnsweredCase]
    rebuttals: list[RebuttalArticle]


@dataclass(frozen=True, kw_only=True, slots=True)
class NarrativeSummary:
    """One line of the narratives list."""

    narrative_id: str
    cases: int
    open_cases: int
    last_answered_at: dt.datetime | None


def _case_labels(kind: str) -> Select[int, str]:
    """(case id, ref) for every `kind` label of the latest analyses of its story's articles."""
    return (
        select(CaseRow.id, AnalysisLabelRow.ref)
        .join(ArticleRow, ArticleRow.story_id == CaseRow.story_id)
        .join(AnalysisRow, is_latest_analysis(ArticleRow.id))
        .join(
            AnalysisLabelRow,
            and_(AnalysisLabelRow.analysis_id == AnalysisRow.id, AnalysisLabelRow.kind == kind),
        )
        .distinct()
    )


def _repeating(narrative_ids: list[str]) -> Select[int]:
    """The ids of the cases repeating any of the narratives."""
    labelled = _case_labels("narrative").where(AnalysisLabelRow.ref.in_(narrative_ids)).subquery()
    return select(labelled.c.id)


def case_narratives(session: Session, case_id: int) -> list[str]:
    """The narratives a case repeats, sorted."""
    rows = session.execute(_case_labels("narrative").where(CaseRow.id == case_id))
    return sorted({ref for _, ref in rows})


def _answered(session: Session, rows: list[CaseRow]) -> list[AnsweredCase]:
    # The periodic report's timings, so both say the same time to respond.
    return [
        AnsweredCase(case=t.case, narratives=t.narratives, first_response_at=t.first_response_at)
        for t in case_timings(session, rows)
    ]


def narrative_cases(session: Session, narrative_id: str) -> list[AnsweredCase]:
    """Every case that repeats the narrative, the latest opened first."""
    rows = session.scalars(
        select(CaseRow)
        .where(CaseRow.id.in_(_repeating([narrative_id])))
        .order_by(CaseRow.opened_at.desc(), CaseRow.id.desc())
    )
    return _answered(session, list(rows))


def rebuttal_articles(
    session: Session, narrative_id: str, limit: int = REBUTTAL_LIMIT
) -> list[RebuttalArticle]:
    """Articles whose latest analysis rebuts the narrative, surest first, then newest."""
    query = (
        select(ArticleRow, SourceRow, AnalysisRow, AnalysisLabelRow.score)
        .select_from(ArticleRow)
        .join(AnalysisRow, is_latest_analysis(ArticleRow.id))
        .join(
            AnalysisLabelRow,
            and_(
                AnalysisLabelRow.analysis_id == AnalysisRow.id,
                AnalysisLabelRow.kind == "rebuttal",
                AnalysisLabelRow.ref == narrative_id,
            ),
        )
        .outerjoin(SourceRow, SourceRow.id == ArticleRow.source_id)
        .order_by(AnalysisLabelRow.score.desc(), ArticleRow.fetched_at.desc(), ArticleRow.id)
        .limit(limit)
        .options(defer(ArticleRow.text), defer(ArticleRow.minhash))
    )
    found = []
    for article, source, row, score in session.execute(query):
        stored = to_stored(row)
        found.append(
            RebuttalArticle(
                **listed_article_fields(article, source, stored),
                narrative_id=narrative_id,
                score=float(score),
                sentence=_rebuttal_sentence(stored.result, narrative_id),
            )
        )
    return found


def _rebuttal_sentence(result: AnalysisResult, narrative_id: str) -> str | None:
    for match in result.rebuttals:
        if match.id == narrative_id:
            return match.sentence
    return None


def narrative_history(session: Session, narrative_id: str) -> NarrativeHistory:
    """What the narrative has been through: its cases and the articles that rebut it."""
    return NarrativeHistory(
        narrative_id=narrative_id,
        cases=narrative_cases(session, narrative_id),
        rebuttals=rebuttal_articles(session, narrative_id),
    )


def previous_answers_for_case(session: Session, case_id: int) -> list[AnsweredCase]:
    """Other closed cases repeating a narrative this case repeats, newest first, with
    their resolution and response: what the office said last time."""
    case_row(session, case_id)  # an unknown case is an error, not "no answers"
    mine = case_narratives(session, case_id)
    if not mine:
        return []
    rows = session.scalars(
        select(CaseRow)
        .where(CaseRow.id.in_(_repeating(mine)), CaseRow.id != case_id, CaseRow.status == "closed")
        .order_by(CaseRow.closed_at.desc(), CaseRow.id.desc())
    )
    return _answered(session, list(rows))


def narrative_summaries(session: Session) -> dict[str, NarrativeSummary]:
    """narrative id -> its number of cases, open ones, and when one was last answered
    (the latest first response among its cases), for every narrative with a case."""
    labelled = _case_labels("narrative").subquery()
    first_response = (
        select(CaseEventRow.case_id, func.min(CaseEventRow.at).label("at"))
        .where(CaseEventRow.action == "response")
        .group_by(CaseEventRow.case_id)
        .subquery()
    )
    rows = session.execute(
        select(labelled.c.ref, CaseRow.status, first_response.c.at)
        .join(CaseRow, CaseRow.id == labelled.c.id)
        .outerjoin(first_response, first_response.c.case_id == CaseRow.id)
    )
    counts: dict[str, list[int]] = {}
    last: dict[str, dt.datetime] = {}
    for ref, status, answered_at in rows:
        tally = counts.setdefault(ref, [0, 0])
        tally[0] += 1
        tally[1] += status in OPEN_STATUSES
        if answered_at is not None and (ref not in last or answered_at > last[ref]):
            last[ref] = answered_at
    return {
        ref: NarrativeSummary(
            narrative_id=ref, cases=total, open_cases=open_, last_answered_at=last.get(ref)
        )
        for ref, (total, open_) in counts.items()
    }


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseLibrary:
    """What a case page offers to reuse: the narratives it repeats, the answers given
    before to them, the articles that rebut them, and the templates for them and for
    the case's topics."""

    narratives: list[str]
    previous: list[AnsweredCase]
    rebuttals: list[RebuttalArticle]
    templates: list[ResponseTemplate]


def case_library(session: Session, case_id: int) -> CaseLibrary:
    row = case_row(session, case_id)
    mine = case_narratives(session, case_id)
    own = set(session.scalars(select(ArticleRow.id).where(ArticleRow.story_id == row.story_id)))
    rebuttals: dict[int, RebuttalArticle] = {}
    for narrative_id in mine:
        for article in rebuttal_articles(session, narrative_id):
            # The case's own articles are what it is about, not material for the answer.
            if article.id not in own and article.id not in rebuttals:
                rebuttals[article.id] = article
    subjects = [("narrative", n) for n in mine] + [("topic", t) for t in row.topics or []]
    return CaseLibrary(
        narratives=mine,
        previous=previous_answers_for_case(session, case_id),
        rebuttals=list(rebuttals.values()),
        templates=templates_for(session, subjects),
    )
