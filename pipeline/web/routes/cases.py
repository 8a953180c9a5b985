"""The review queue and the case page. Every change goes through storage.cases,
which writes the audit trail, under the logged-in user's name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from pipeline import i18n
from pipeline.review import workflow
from pipeline.web.deps import analyst, csrf, flash, render, state, viewer
from pipeline.web.routes.articles import flagged_sentences, highlighted_text
from pipeline.web.security import APP_PREFIX
from storage import cases as case_store
from storage import web_queries
from storage.users import User, list_users

router = APIRouter(prefix=APP_PREFIX)


def _assignable(session: Session) -> list[str]:
    return [u.username for u in list_users(session) if u.role != "viewer" and not u.disabled]


@router.get("/queue", response_class=HTMLResponse)
def queue(
    request: Request,
    user: Annotated[User, Depends(viewer)],
    status: str = "open",
    topic: str = "",
    origin: str = "",
    assignee: str = "",
) -> Response:
    web = state(request)
    if status not in (*case_store.STATUSES, "open", "all"):
        status = "open"
    if origin not in ("", "domestic", "foreign"):
        origin = ""
    with web.database.session() as session:
        found = case_store.list_cases(
            session,
            status=None if status == "all" else status,
            topic=topic or None,
            origin=origin or None,
            assignee=assignee or None,
        )
        people = _assignable(session)
    form = {"status": status, "topic": topic, "origin": origin, "assignee": assignee}
    return render(
        request,
        "queue.html",
        {
            "cases": found,
            "form": form,
            "statuses": case_store.STATUSES,
            "topics": web.settings.topics,
            "people": people,
            "next": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        },
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, user: Annotated[User, Depends(viewer)], case_id: int) -> Response:
    web = state(request)
    with web.database.session() as session:
        try:
            detail = case_store.get_case(session, case_id)
        except workflow.CaseError:
            raise HTTPException(404) from None
        bodies = web_queries.article_bodies(session, [a.id for a in detail.articles])
        people = _assignable(session)
    items: list[dict[str, Any]] = []
    evidence_url = None
    for article in detail.articles:
        reasons = flagged_sentences(article.analysis)
        body = bodies.get(article.id)
        snapshot_id = body.snapshot_id if body else None
        url = (
            f"/evidence/{snapshot_id}?token={web.evidence.mint(snapshot_id)}"
            if snapshot_id is not None
            else None
        )
        if url and evidence_url is None and (article.flagged or not items):
            evidence_url = url
        items.append(
            {
                "a": article,
                "reasons": reasons,
                "evidence_url": url,
                "body": highlighted_text(body.text if body else "", reasons),
            }
        )
    return render(
        request,
        "case.html",
        {
            "detail": detail,
            "c": detail.case,
            "items": items,
            "evidence_url": evidence_url,
            "people": people,
            "open_statuses": case_store.OPEN_STATUSES,
            "resolutions": workflow.RESOLUTIONS,
            "event_keys": {key for key in i18n.all_keys() if key.startswith("event_")},
        },
    )


def _back(case_id: int, next_url: str) -> RedirectResponse:
    # Only our own pages: never an open redirect.
    target = next_url if next_url.startswith(f"{APP_PREFIX}/") and "//" not in next_url else ""
    return RedirectResponse(target or f"{APP_PREFIX}/cases/{case_id}", status_code=303)


def _apply(
    request: Request, case_id: int, change: Callable[[Session], object], next_url: str = ""
) -> Response:
    try:
        with state(request).database.session() as session:
            change(session)
    except workflow.CaseError as exc:
        flash(request, "error", "error", str(exc))
        return _back(case_id, next_url)
    flash(request, "saved")
    return _back(case_id, next_url)


Text = Annotated[str, Form(max_length=20000)]


@router.post("/cases/{case_id}/take", dependencies=[Depends(csrf)])
def take(
    request: Request,
    user: Annotated[User, Depends(analyst)],
    case_id: int,
    next: Annotated[str, Form()] = "",
) -> Response:
    """One click: assign the case to whoever is logged in."""
    return _apply(
        request,
        case_id,
        lambda s: workflow.assign_case(s, case_id, user.username, user.username),
        next,
    )


@router.post("/cases/{case_id}/assign", dependencies=[Depends(csrf)])
def assign(
    request: Request,
    user: Annotated[User, Depends(analyst)],
    case_id: int,
    assignee: Annotated[str, Form()] = "",
) -> Response:
    with state(request).database.session() as session:
        if assignee and assignee not in _assignable(session):
            raise HTTPException(400, "unknown assignee")
    return _apply(
        request,
        case_id,
        lambda s: workflow.assign_case(s, case_id, assignee or None, user.username),
    )


@router.post("/cases/{case_id}/status", dependencies=[Depends(csrf)])
def status(
    request: Request,
    user: Annotated[User, Depends(analyst)],
    case_id: int,
    status: Annotated[str, Form()],
) -> Response:
    return _apply(
        request, case_id, lambda s: workflow.set_status(s, case_id, status, user.username)
    )


@router.post("/cases/{case_id}/note", dependencies=[Depends(csrf)])
def note(
    request: Request, user: Annotated[User, Depends(analyst)], case_id: int, note: Text
) -> Response:
    return _apply(request, case_id, lambda s: workflow.add_note(s, case_id, note, user.username))


@router.post("/cases/{case_id}/response", dependencies=[Depends(csrf)])
def response(
    request: Request, user: Annotated[User, Depends(analyst)], case_id: int, response: Text
) -> Response:
    return _apply(
        request,
        case_id,
        lambda s: workflow.set_response(s, case_id, response.strip(), user.username),
    )


@router.post("/cases/{case_id}/close", dependencies=[Depends(csrf)])
def close(
    request: Request,
    user: Annotated[User, Depends(analyst)],
    case_id: int,
    resolution: Annotated[str, Form()],
    response: Text = "",
) -> Response:
    return _apply(
        request,
        case_id,
        lambda s: workflow.close_case(
            s, case_id, resolution, user.username, response=response.strip() or None
        ),
    )
