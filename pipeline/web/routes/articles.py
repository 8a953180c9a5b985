"""Article search and the article page with its analysis."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from core.analysis import AnalysisResult, Reason
from pipeline.web.deps import render, state, viewer
from pipeline.web.security import APP_PREFIX
from pipeline.web.templating import highlight
from storage import web_queries
from storage.users import User

router = APIRouter(prefix=APP_PREFIX)

STANCES = ("supportive", "neutral", "critical")


def _date(value: str, tz: ZoneInfo, *, end: bool = False) -> dt.datetime | None:
    """A YYYY-MM-DD form value as the local midnight starting (or, if end, after) that day."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    if end:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)


@router.get("/articles", response_class=HTMLResponse)
def articles(
    request: Request,
    user: Annotated[User, Depends(viewer)],
    q: str = "",
    source: str = "",
    topic: str = "",
    stance: str = "",
    date_from: str = "",
    date_to: str = "",
    scope: str = "relevant",
) -> Response:
    web = state(request)
    tz = ZoneInfo(web.settings.profile.timezone)
    query = web_queries.ArticleQuery(
        text=q[:200],
        source_id=source or None,
        topic=topic or None,
        stance=stance if stance in STANCES else None,
        date_from=_date(date_from, tz),
        date_to=_date(date_to, tz, end=True),
        relevant_only=scope != "all",
        topic_threshold=web.settings.nlp.thresholds.topic_score,
    )
    with web.database.session() as session:
        result = web_queries.search_articles(session, query)
        sources = web_queries.source_choices(session)
    form = {
        "q": q,
        "source": source,
        "topic": topic,
        "stance": stance,
        "date_from": date_from,
        "date_to": date_to,
        "scope": scope,
    }
    return render(
        request,
        "articles.html",
        {
            "result": result,
            "sources": sources,
            "topics": web.settings.topics,
            "stances": STANCES,
            "form": form,
            "topic_threshold": web.settings.nlp.thresholds.topic_score,
        },
    )


@dataclass(frozen=True, slots=True)
class NumberedReason:
    """A distortion reason with the number its sentence is marked with in the text."""

    n: int
    reason: Reason

    @property
    def kind(self) -> str:
        return self.reason.kind

    @property
    def weight(self) -> float:
        return self.reason.weight

    @property
    def detail(self) -> str:
        return self.reason.detail

    @property
    def sentence(self) -> str | None:
        return self.reason.sentence


def flagged_sentences(analysis: AnalysisResult | None) -> list[NumberedReason]:
    """The distortion reasons, numbered from 1, each with the sentence behind it (if any)."""
    reasons = analysis.distortion.reasons if analysis else ()
    return [NumberedReason(n, reason) for n, reason in enumerate(reasons, start=1)]


def highlighted_text(text: str, reasons: list[NumberedReason]) -> Any:
    return highlight(text, [(r.sentence, r.n) for r in reasons if r.sentence])


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(
    request: Request, user: Annotated[User, Depends(viewer)], article_id: int
) -> Response:
    web = state(request)
    with web.database.session() as session:
        detail = web_queries.article_detail(session, article_id)
    if detail is None:
        raise HTTPException(404)
    reasons = flagged_sentences(detail.facts.analysis)
    evidence_url = (
        f"/evidence/{detail.snapshot_id}?token={web.evidence.mint(detail.snapshot_id)}"
        if detail.snapshot_id is not None
        else None
    )
    return render(
        request,
        "article.html",
        {
            "a": detail,
            "analysis": detail.facts.analysis,
            "reasons": reasons,
            "body": highlighted_text(detail.text, reasons),
            "evidence_url": evidence_url,
        },
    )
