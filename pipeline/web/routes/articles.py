"""Article search and the article page with its analysis and its versions."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from core.analysis import AnalysisResult, Reason
from pipeline.recrawl.view import case_versions
from pipeline.web.deps import Id, reading, render, state, viewer
from pipeline.web.filters import PERIODS, STANCES, ArticleFilters, article_filters
from pipeline.web.paging import PER_PAGE, Page, page_number, page_url
from pipeline.web.security import APP_PREFIX
from pipeline.web.templating import highlight, marked
from storage import fulltext, version_views, web_queries
from storage.users import User

router = APIRouter(prefix=APP_PREFIX)


def _found(title: str, words: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """The whole title with the search words found in it."""
    text, spans = fulltext.snippet_spans(title, words, width=len(title) + 1)
    return (text, spans) if spans else (title, [])


@router.get("/articles", response_class=HTMLResponse)
def articles(
    request: Request,
    user: Annotated[User, Depends(viewer)],
    filters: Annotated[ArticleFilters, Depends(article_filters)],
    page: str = "1",
) -> Response:
    web = state(request)
    number = page_number(page)
    query = replace(filters.query(web.settings), limit=PER_PAGE, offset=(number - 1) * PER_PAGE)
    with reading(request) as session:
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
            "periods": PERIODS,
            "form": filters.form(),
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


def place_names(analysis: AnalysisResult | None, known: dict[str, str]) -> list[str]:
    """Each place the article mentions, once, in order of first mention: by the
    configured name where the place is configured, else as the text wrote it."""
    names: dict[str, str] = {}
    for mention in analysis.places if analysis else ():
        key = mention.name or mention.surface
        names.setdefault(key, known.get(key) or mention.surface or mention.name)
    return list(dict.fromkeys(names.values()))


def highlighted_text(text: str, reasons: list[NumberedReason]) -> Any:
    return highlight(text, [(r.sentence, r.n) for r in reasons if r.sentence])


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(
    request: Request, user: Annotated[User, Depends(viewer)], article_id: Id
) -> Response:
    web = state(request)
    with reading(request) as session:
        detail = web_queries.article_detail(session, article_id)
        histories = version_views.article_histories(session, article_id)
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
            "places": place_names(
                detail.facts.analysis,
                {p.id: p.names[0] for p in web.settings.watch.all_places() if p.names},
            ),
            "body": highlighted_text(detail.text, reasons),
            "evidence_url": evidence_url,
            "versions": case_versions(histories),
        },
    )
