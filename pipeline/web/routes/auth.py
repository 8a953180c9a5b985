"""Logging in and out, and the user's own account (language, password)."""

from __future__ import annotations

import datetime as dt
import math
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pipeline.web.deps import csrf, current_user, flash, render, session_token, state, viewer
from pipeline.web.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password
from pipeline.web.security import APP_PREFIX, SESSION_MAX_AGE, new_csrf_token
from storage.users import (
    LANGUAGES,
    User,
    end_session,
    get_user,
    rehash_password,
    set_language,
    set_password,
    start_session,
)

router = APIRouter(prefix=APP_PREFIX)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    if current_user(request) is not None:
        return RedirectResponse(f"{APP_PREFIX}/", status_code=303)
    return render(request, "login.html", {"failed": False, "throttled": False})


def client_address(request: Request) -> str:
    """The peer's address (the app is not told to trust proxy headers)."""
    return request.client.host if request.client is not None else "unknown"


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(csrf)])
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    web = state(request)
    name = username.strip()
    address = client_address(request)
    with web.database.session() as session:
        verdict = web.throttle.before(session, address, name)
    if verdict.refuse_for > 0:
        response = render(
            request, "login.html", {"failed": False, "throttled": True}, status_code=429
        )
        response.headers["Retry-After"] = str(math.ceil(verdict.refuse_for))
        return response
    web.throttle.pause(verdict)
    token = secrets.token_urlsafe(32)
    with web.database.session() as session:
        user = get_user(session, name)
        ok = verify_password(user.password_hash if user else None, password)
        ok = ok and user is not None and not user.disabled
        web.throttle.after(session, address, name, ok)
        if ok and user is not None:
            if needs_rehash(user.password_hash):
                rehash_password(session, user.username, hash_password(password))
            start_session(session, user.username, token, dt.timedelta(seconds=SESSION_MAX_AGE))
    if not ok or user is None:
        return render(request, "login.html", {"failed": True, "throttled": False}, status_code=401)
    # A fresh session: new CSRF token, nothing carried over from before login.
    request.session.clear()
    request.session["sid"] = token
    request.session["csrf"] = new_csrf_token()
    return RedirectResponse(f"{APP_PREFIX}/", status_code=303)


@router.post("/logout", dependencies=[Depends(csrf)])
def logout(request: Request) -> Response:
    token = session_token(request)
    if token is not None:
        with state(request).database.session() as session:
            end_session(session, token, "logout")
    request.session.clear()
    return RedirectResponse(f"{APP_PREFIX}/login", status_code=303)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, user: Annotated[User, Depends(viewer)]) -> Response:
    return render(request, "account.html", {"languages": LANGUAGES, "min_length": MIN_LENGTH})


@router.post("/account/language", dependencies=[Depends(csrf)])
def change_language(
    request: Request,
    user: Annotated[User, Depends(viewer)],
    language: Annotated[str, Form()],
) -> Response:
    if language in LANGUAGES:
        with state(request).database.session() as session:
            set_language(session, user.username, language)
        flash(request, "saved")
    return RedirectResponse(f"{APP_PREFIX}/account", status_code=303)


@router.post("/account/password", dependencies=[Depends(csrf)])
def change_password(
    request: Request,
    user: Annotated[User, Depends(viewer)],
    current: Annotated[str, Form(max_length=1024)],
    new: Annotated[str, Form(max_length=1024)],
) -> Response:
    if not verify_password(user.password_hash, current):
        flash(request, "wrong_password", "error")
    elif len(new) < MIN_LENGTH:
        flash(request, "password_too_short", "error")
    else:
        # Other sessions of this user end; this one carries on.
        with state(request).database.session() as session:
            set_password(
                session, user.username, hash_password(new), keep_session=session_token(request)
            )
        flash(request, "saved")
    return RedirectResponse(f"{APP_PREFIX}/account", status_code=303)
