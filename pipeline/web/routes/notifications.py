"""The user's own notification list: unread first, mark read, open the case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pipeline.i18n import Translator
from pipeline.web.deps import Id, csrf, reading, render, state, viewer
from pipeline.web.notices import notice_text
from pipeline.web.paging import PER_PAGE, Page, page_number, page_url
from pipeline.web.security import APP_PREFIX
from storage import notifications as store
from storage.users import User

router = APIRouter(prefix=APP_PREFIX)
LIST = f"{APP_PREFIX}/notifications"


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(
    request: Request, user: Annotated[User, Depends(viewer)], page: str = "1"
) -> Response:
    with reading(request) as session:
        shown = Page(page_number(page), store.count_for_user(session, user.id), PER_PAGE)
        found = store.list_for_user(session, user.id, limit=PER_PAGE, offset=shown.offset)
    t = Translator(user.language)
    return render(
        request,
        "notifications.html",
        {
            "notices": [(n, notice_text(t, n)) for n in found],
            "page": shown,
            "page_url": lambda n: page_url(request, n),
        },
    )


@router.post("/notifications/{notice_id}/read", dependencies=[Depends(csrf)])
def read_one(request: Request, user: Annotated[User, Depends(viewer)], notice_id: Id) -> Response:
    with state(request).database.session() as session:
        store.mark_read(session, user.id, notice_id)
    return RedirectResponse(LIST, status_code=303)


@router.post("/notifications/{notice_id}/open", dependencies=[Depends(csrf)])
def open_one(request: Request, user: Annotated[User, Depends(viewer)], notice_id: Id) -> Response:
    """Mark it read and go to its case (its own only: another user's id opens nothing)."""
    with state(request).database.session() as session:
        store.mark_read(session, user.id, notice_id)
        case_id = store.case_of(session, user.id, notice_id)
    target = f"{APP_PREFIX}/cases/{case_id}" if case_id is not None else LIST
    return RedirectResponse(target, status_code=303)


@router.post("/notifications/read-all", dependencies=[Depends(csrf)])
def read_all(request: Request, user: Annotated[User, Depends(viewer)]) -> Response:
    with state(request).database.session() as session:
        store.mark_all_read(session, user.id)
    return RedirectResponse(LIST, status_code=303)
