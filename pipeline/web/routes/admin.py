"""Administration: user accounts and the state of the sources."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pipeline.web.deps import admin, csrf, flash, reading, render, state
from pipeline.web.passwords import MIN_LENGTH, hash_password
from pipeline.web.security import APP_PREFIX
from storage.sources import list_sources
from storage.users import (
    LANGUAGES,
    ROLES,
    UnknownUser,
    User,
    UserExists,
    add_user,
    disable_user,
    end_user_sessions,
    list_users,
    set_password,
    set_role,
)

router = APIRouter(prefix=f"{APP_PREFIX}/admin")
USERS = f"{APP_PREFIX}/admin/users"
SOURCES = f"{APP_PREFIX}/admin/sources"


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, user: Annotated[User, Depends(admin)]) -> Response:
    with reading(request) as session:
        users = list_users(session)
    return render(
        request,
        "users.html",
        {"users": users, "roles": ROLES, "languages": LANGUAGES, "min_length": MIN_LENGTH},
    )


@router.post("/users", dependencies=[Depends(csrf)])
def create_user(
    request: Request,
    user: Annotated[User, Depends(admin)],
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    role: Annotated[str, Form()],
    language: Annotated[str, Form()] = "vi",
) -> Response:
    if role not in ROLES or language not in LANGUAGES:
        raise HTTPException(400)
    if len(password) < MIN_LENGTH:
        flash(request, "password_too_short", "error")
        return RedirectResponse(USERS, status_code=303)
    try:
        with state(request).database.session() as session:
            add_user(session, username, hash_password(password), role, language)
    except UserExists:
        flash(request, "user_exists", "error")
    except ValueError as exc:  # a name with characters we do not allow
        flash(request, "error", "error", str(exc))
    else:
        flash(request, "saved")
    return RedirectResponse(USERS, status_code=303)


def _change(request: Request, action: str, username: str, value: str | None) -> None:
    try:
        with state(request).database.session() as session:
            if action == "role" and value in ROLES:
                set_role(session, username, value)
            elif action == "disable":
                disable_user(session, username, True)
            elif action == "enable":
                disable_user(session, username, False)
            elif action == "signout":
                end_user_sessions(session, username, "admin")
            elif action == "password" and value is not None:
                set_password(session, username, hash_password(value))
            else:
                raise HTTPException(400)
    except UnknownUser:
        raise HTTPException(404) from None


@router.post("/users/{username}/role", dependencies=[Depends(csrf)])
def change_role(
    request: Request,
    user: Annotated[User, Depends(admin)],
    username: str,
    role: Annotated[str, Form()],
) -> Response:
    if username == user.username and role != "admin":
        flash(request, "forbidden", "error")  # never lock the office out of its own admin
        return RedirectResponse(USERS, status_code=303)
    _change(request, "role", username, role)
    flash(request, "saved")
    return RedirectResponse(USERS, status_code=303)


@router.post("/users/{username}/disable", dependencies=[Depends(csrf)])
def disable(
    request: Request,
    user: Annotated[User, Depends(admin)],
    username: str,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Disabling ends the user's sessions, so it is asked first: the form says the
    admin confirmed by naming the account (as taking over a case names the holder)."""
    if username == user.username:
        flash(request, "cannot_disable_self", "error")
        return RedirectResponse(USERS, status_code=303)
    if confirm != username:
        flash(request, "disable_needs_confirm", "error", username)
        return RedirectResponse(USERS, status_code=303)
    _change(request, "disable", username, None)
    flash(request, "saved")
    return RedirectResponse(USERS, status_code=303)


@router.post("/users/{username}/enable", dependencies=[Depends(csrf)])
def enable(request: Request, user: Annotated[User, Depends(admin)], username: str) -> Response:
    _change(request, "enable", username, None)
    flash(request, "saved")
    return RedirectResponse(USERS, status_code=303)


@router.post("/users/{username}/signout", dependencies=[Depends(csrf)])
def sign_out_everywhere(
    request: Request, user: Annotated[User, Depends(admin)], username: str
) -> Response:
    """End every open session of the user (a lost phone, a shared computer)."""
    _change(request, "signout", username, None)
    flash(request, "signed_out_everywhere")
    return RedirectResponse(USERS, status_code=303)


@router.post("/users/{username}/password", dependencies=[Depends(csrf)])
def reset_password(
    request: Request,
    user: Annotated[User, Depends(admin)],
    username: str,
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    if len(password) < MIN_LENGTH:
        flash(request, "password_too_short", "error")
        return RedirectResponse(USERS, status_code=303)
    _change(request, "password", username, password)
    flash(request, "saved")
    return RedirectResponse(USERS, status_code=303)


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request, user: Annotated[User, Depends(admin)]) -> Response:
    with reading(request) as session:
        sources = list_sources(session)
    return render(
        request, "sources.html", {"sources": sources, "cluster_jobs": _failed_jobs(request)}
    )


def _failed_jobs(request: Request) -> list[Any] | None:
    """The cluster's failed jobs; None when there is no cluster queue (SQLite, or
    PostgreSQL before `presswatch db upgrade`), so the section is not shown."""
    from pipeline.cluster.ops import failed_jobs, queue_schema_present

    if not queue_schema_present(state(request).database):
        return None
    with _queue(request) as queue:
        return list(failed_jobs(queue))


@contextmanager
def _queue(request: Request) -> Iterator[Any]:
    """The cluster's queue in the web app's own database (its schema included)."""
    from pipeline.cluster.app import cluster_app

    url = state(request).database.engine.url.render_as_string(hide_password=False)
    with cluster_app(url, sync=True) as app:
        yield app


def _queue_or_404(request: Request) -> None:
    from pipeline.cluster.ops import queue_schema_present

    if not queue_schema_present(state(request).database):
        raise HTTPException(404)


@router.post("/jobs/{job_id}/retry", dependencies=[Depends(csrf)])
def retry_job(request: Request, user: Annotated[User, Depends(admin)], job_id: int) -> Response:
    from pipeline.cluster.ops import JobNotRetried, retry_failed

    _queue_or_404(request)
    with _queue(request) as queue:
        try:
            retry_failed(queue, job_id)
        except JobNotRetried as exc:
            flash(request, "cluster_job_not_changed", "error", str(exc))
        else:
            flash(request, "cluster_job_retried", "ok", str(job_id))
    return RedirectResponse(f"{SOURCES}#jobs", status_code=303)


@router.post("/jobs/{job_id}/discard", dependencies=[Depends(csrf)])
def discard_job(request: Request, user: Annotated[User, Depends(admin)], job_id: int) -> Response:
    from pipeline.cluster.ops import discard

    _queue_or_404(request)
    with _queue(request) as queue:
        if discard(queue, job_id):
            flash(request, "cluster_job_discarded", "ok", str(job_id))
        else:
            flash(request, "cluster_job_not_changed", "error", f"job {job_id} is running or gone")
    return RedirectResponse(f"{SOURCES}#jobs", status_code=303)
