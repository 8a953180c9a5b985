"""Article search and the article page with its analysis."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from core.analysis import AnalysisResult, Reason
from core.config import Settings
from pipeline.web.deps import Id, render, state, viewer
from pipeline.web.paging import PER_PAGE, Page, page_number, page_url
from pipeline.web.security import APP_PREFIX
from pipeline.web.templating import highlight, marked
from storage import fulltext, web_queries
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


def article_query(
    settings: Settings,
    q: str,
    source: str,
    topic: str,
    stance: str,
    date_from: str,
    date_to: str,
    scope: str,
    sort: str,
) -> web_queries.ArticleQuery:
    """The search the form's values ask for (the page and the CSV download share it)."""
    tz = ZoneInfo(settings.profile.timezone)
    return web_queries.ArticleQuery(
        text=q[:200],
        source_id=source or None,
        topic=topic or None,
        stance=stance if stance in STANCES else None,
        date_from=_date(date_from, tz),
        date_to=_date(date_to, tz, end=True),
        relevant_only=scope != "all",
        topic_threshold=settings.nlp.thresholds.topic_score,
        sort="relevance" if sort == "relevance" else "date",
    )


def _found(title: str, words: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """The whole title with the search words found in it."""
    text, spans = fulltext.snippet_spans(title, words, width=len(title) + 1)
    return (text, spans) if spans else (title, [])


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
    sort: str = "date",
    page: str = "1",
) -> Response:
    web = state(request)
    number = page_number(page)
    query = replace(
        article_query(web.settings, q, source, topic, stance, date_from, date_to, scope, sort),
        limit=PER_PAGE,
        offset=(number - 1) * PER_PAGE,
    )
    with web.database.session() as session:
        result = web_queries.search_articles(session, query)
        if not result.items and result.total:  # asked past the end: show the last page
            last = Page(number, result.total, PER_PAGE)
            query = replace(query, offset=last.offset)
            result = web_queries.search_articles(session, query)
        sources = web_queries.source_choices(session)
        words = fulltext.terms(query.text)
        bodies = web_queries.article_bodies(session, [a.id for a in result.items]) if words else {}
    titles = {a.id: marked(*_found(a.title, words)) for a in result.items} if words else {}
    snippets = {i: marked(*fulltext.snippet_spans(b.text, words)) for i, b in bodies.items()}
    form = {
        "q": q,
        "source": source,
        "topic": topic,
        "stance": stance,
        "date_from": date_from,
        "date_to": date_to,
        "scope": scope,
        "sort": query.sort,
    }
    return render(
        request,
        "articles.html",
        {
            "result": result,
            "page": Page(number, result.total, PER_PAGE),
            "titles": titles,
            "snippets": snippets,
            "page_url": lambda n: page_url(request, n),
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

    @property
    def ref(self) -> str | None:
        return self.reason.ref


def flagged_sentences(analysis: AnalysisResult | None) -> list[NumberedReason]:
    """The distortion reasons, numbered from 1, each with the sentence behind it (if any)."""
    reasons = analysis.distortion.reasons if analysis else ()
    return [NumberedReason(n, reason) for n, reason in enumerate(reasons, start=1)]


def highlighted_text(text: str, reasons: list[NumberedReason]) -> Any:
    return highlight(text, [(r.sentence, r.n) for r in reasons if r.sentence])


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(
    request: Request, user: Annotated[User, Depends(viewer)], article_id: Id
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
