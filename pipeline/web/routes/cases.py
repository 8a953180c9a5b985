"""The review queue and the case page. Every change goes through storage.cases,
which writes the audit trail, under the logged-in user's name."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from pipeline import i18n
from pipeline.recrawl.view import case_versions
from pipeline.review import workflow
from pipeline.review.deadlines import refresh_case
from pipeline.web.deadline_view import SORTS, by_nearest_due, deadline_view, deadline_views
from pipeline.web.deps import MAX_ID, Id, analyst, csrf, flash, reading, render, state, viewer
from pipeline.web.filters import PRIORITY_BANDS, QueueFilters, queue_filters
from pipeline.web.paging import PER_PAGE, Page, page_number, page_url
from pipeline.web.routes.articles import flagged_sentences, highlighted_text
from pipeline.web.security import APP_PREFIX
from storage import answers, notifications, version_views, web_queries
from storage import cases as case_store
from storage.users import User, list_users

router = APIRouter(prefix=APP_PREFIX)


def _assignable(session: Session) -> list[str]:
    return [u.username for u in list_users(session) if u.role != "viewer" and not u.disabled]


def _assign(session: Session, case_id: int, assignee: str | None, actor: str) -> None:
    """Assign through the workflow and tell the people it concerns, in one transaction."""
    row = case_store.case_row(session, case_id)
    before, title = row.assignee, row.title
    workflow.assign_case(session, case_id, assignee, actor)
    notifications.notify_assignment(
        session, case_id, before=before, after=assignee, actor=actor, title=title
    )


@router.get("/queue", response_class=HTMLResponse)
def queue(
    request: Request,
    user: Annotated[User, Depends(viewer)],
    filters: Annotated[QueueFilters, Depends(queue_filters)],
    page: str = "1",
    sort: str = "priority",
) -> Response:
    web = state(request)
    with reading(request) as session:
        found = filters.cases(session)
        people = _assignable(session)
    deadlines = deadline_views(web.settings, found)
    if sort == "due":
        found = by_nearest_due(found, deadlines)
    # The whole filtered list is read (an office has hundreds of cases, not millions)
    # and one page of it shown, so the priority order is the one SQL gives.
    shown = Page(page_number(page), len(found), PER_PAGE)
    return render(
        request,
        "queue.html",
        {
            "cases": found[shown.offset : shown.offset + shown.size],
            "page": shown,
            "page_url": lambda n: page_url(request, n),
            "form": filters.form(),
            "statuses": case_store.STATUSES,
            "topics": web.settings.topics,
            "people": people,
            "priority_bands": PRIORITY_BANDS,
            "deadlines": deadlines,
            "sort": sort if sort in SORTS else "priority",
            "sorts": SORTS,
            "next": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        },
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, user: Annotated[User, Depends(viewer)], case_id: Id) -> Response:
    web = state(request)
    with reading(request) as session:
        try:
            detail = case_store.get_case(session, case_id)
        except workflow.CaseError:
            raise HTTPException(404) from None
        bodies = web_queries.article_bodies(session, [a.id for a in detail.articles])
        people = _assignable(session)
        library = answers.case_library(session, case_id)
        histories = version_views.case_histories(session, case_id)
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
            "answers": library,
            "deadline": deadline_view(web.settings, detail.case),
            "versions": case_versions(histories),
        },
    )


@router.post("/cases/{case_id}/evidence.zip", dependencies=[Depends(csrf)])
def evidence_bundle(
    request: Request, user: Annotated[User, Depends(viewer)], case_id: Id
) -> Response:
    """The case's evidence bundle (pipeline.evidence.bundle) as a ZIP, for anyone who
    may read the case, exported under their name. A POST with the CSRF token, as it
    may start Chromium: no other site can make a browser run that."""
    from pipeline.evidence.bundle import build_bundle

    web = state(request)
    folder = Path(tempfile.mkdtemp(prefix="presswatch-bundle-"))
    try:
        bundle = build_bundle(
            web.settings, web.database, case_id, folder, user.username, make_zip=True
        )
    except workflow.CaseError:
        shutil.rmtree(folder, ignore_errors=True)
        raise HTTPException(404) from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    assert bundle.zip_path is not None
    return FileResponse(
        bundle.zip_path,
        media_type="application/zip",
        filename=f"presswatch-case-{case_id}-evidence.zip",
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
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
    case_id: Id,
    next: Annotated[str, Form()] = "",
    takeover: Annotated[str, Form()] = "",
) -> Response:
    """One click: assign the case to whoever is logged in. A colleague's case is
    taken over only when the form says the user was asked (`takeover` names the
    colleague shown), so nobody takes a case silently or on stale information;
    the audit trail records who had it."""
    try:
        with state(request).database.session() as session:
            holder = case_store.case_row(session, case_id).assignee
    except workflow.CaseError:
        raise HTTPException(404) from None
    if holder and holder != user.username and takeover != holder:
        flash(request, "takeover_needs_confirm", "error", holder)
        return _back(case_id, next)
    return _apply(
        request,
        case_id,
        lambda s: _assign(s, case_id, user.username, user.username),
        next,
    )


@router.post("/cases/{case_id}/assign", dependencies=[Depends(csrf)])
def assign(
    request: Request,
    user: Annotated[User, Depends(analyst)],
    case_id: Id,
    assignee: Annotated[str, Form()] = "",
) -> Response:
    with state(request).database.session() as session:
        if assignee and assignee not in _assignable(session):
            raise HTTPException(400, "unknown assignee")
    return _apply(
        request,
        case_id,
        lambda s: _assign(s, case_id, assignee or None, user.username),
    )


@router.post("/cases/{case_id}/status", dependencies=[Depends(csrf)])
def status(
    request: Request,
    user: Annotated[User, Depends(analyst)],
    case_id: Id,
    status: Annotated[str, Form()],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    settings = state(request).settings

    def change(session: Session) -> None:
        workflow.set_status(session, case_id, status, user.username, reason=reason)
        refresh_case(settings, session, case_id)  # a wait that ended moves the due times

    return _apply(request, case_id, change)


@router.post("/cases/{case_id}/note", dependencies=[Depends(csrf)])
def note(
    request: Request, user: Annotated[User, Depends(analyst)], case_id: Id, note: Text
) -> Response:
    return _apply(request, case_id, lambda s: workflow.add_note(s, case_id, note, user.username))


@router.post("/cases/{case_id}/response", dependencies=[Depends(csrf)])
def response(
    request: Request, user: Annotated[User, Depends(analyst)], case_id: Id, response: Text
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
    case_id: Id,
    resolution: Annotated[str, Form()],
    response: Text = "",
    note: Text = "",
) -> Response:
    """One form closes a case: the result, the office's response (text or link) when
    it responded, and an optional note, all in one transaction."""
    answer, remark = response.strip(), note.strip()
    stored: str | None = answer
    if not answer:
        try:
            with state(request).database.session() as session:
                stored = case_store.case_row(session, case_id).response
        except workflow.CaseError:
            raise HTTPException(404) from None
    if resolution == "responded" and not stored:
        # Checked here, before anything changes, so the analyst reads why in their
        # own language rather than the workflow's English message.
        flash(request, "close_needs_response", "error")
        return _back(case_id, "")

    def change(session: Session) -> None:
        if remark:
            workflow.add_note(session, case_id, remark, user.username)
        workflow.close_case(session, case_id, resolution, user.username, response=answer or None)

    return _apply(request, case_id, change)


BULK_ACTIONS = ("assign_me", "triaged", "in_progress", "false_positive")


@router.post("/queue/bulk", dependencies=[Depends(csrf)])
async def bulk(request: Request, user: Annotated[User, Depends(analyst)]) -> Response:
    """One action on the ticked cases: take them, set a status, or close them as
    false positives. Each case is its own transaction through the workflow (the
    audit trail and training labels as for one case); a case that cannot take the
    action (already closed, say: bulk never reopens) is skipped and counted."""
    form = await request.form()
    action = str(form.get("action", ""))
    next_url = str(form.get("next", ""))
    ids = [int(v) for v in form.getlist("case_id") if isinstance(v, str) and v.isdigit()]
    ids = [i for i in ids if 0 < i <= MAX_ID][:200]
    if action not in BULK_ACTIONS or not ids:
        flash(request, "bulk_nothing", "error")
        return _back_to_queue(next_url)
    # As for one case: a colleague's case is taken over only when the form names
    # the colleague shown ("<case id>:<holder>", added once the user confirmed).
    confirmed = {v for v in form.getlist("takeover") if isinstance(v, str)}
    done = skipped = 0
    unconfirmed: list[str] = []
    for case_id in ids:
        try:
            with state(request).database.session() as session:
                if action == "assign_me":
                    holder = case_store.case_row(session, case_id).assignee
                    if (
                        holder
                        and holder != user.username
                        and f"{case_id}:{holder}" not in confirmed
                    ):
                        unconfirmed.append(f"#{case_id} ({holder})")
                        raise workflow.CaseError(f"case #{case_id} is held by {holder}")
                    _assign(session, case_id, user.username, user.username)
                elif action == "false_positive":
                    workflow.close_case(session, case_id, "false_positive", user.username)
                elif case_store.case_row(session, case_id).status == "closed":
                    # Reopening is a decision about one case, never a side effect.
                    raise workflow.CaseError(f"case #{case_id} is closed")
                else:
                    workflow.set_status(session, case_id, action, user.username)
            done += 1
        except workflow.CaseError:
            skipped += 1
    flash(request, "bulk_done", "ok", f"{done}/{done + skipped}")
    if unconfirmed:
        flash(request, "bulk_takeover_needs_confirm", "error", ", ".join(unconfirmed))
    return _back_to_queue(next_url)


def _back_to_queue(next_url: str) -> RedirectResponse:
    queue = f"{APP_PREFIX}/queue"
    target = next_url if next_url.startswith(queue) and "//" not in next_url else queue
    return RedirectResponse(target, status_code=303)
