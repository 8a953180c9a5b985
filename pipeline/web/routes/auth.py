"""Logging in and out, and the user's own account (language, password)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pipeline.web.deps import csrf, current_user, flash, render, state, viewer
from pipeline.web.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password
from pipeline.web.security import APP_PREFIX, new_csrf_token, password_fingerprint
from storage.users import LANGUAGES, User, get_user, set_language, set_password

router = APIRouter(prefix=APP_PREFIX)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    if current_user(request) is not None:
        return RedirectResponse(f"{APP_PREFIX}/", status_code=303)
    return render(request, "login.html", {"failed": False, "throttled": False})


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(csrf)])
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    web = state(request)
    name = username.strip()
    if web.throttle.blocked(name):
        return render(request, "login.html", {"failed": False, "throttled": True}, status_code=429)
    with web.database.session() as session:
        user = get_user(session, name)
        ok = verify_password(user.password_hash if user else None, password)
        if ok and user is not None and not user.disabled and needs_rehash(user.password_hash):
            set_password(session, user.username, hash_password(password))
            user = get_user(session, user.username)
    if not ok or user is None or user.disabled:
        web.throttle.failed(name)
        return render(request, "login.html", {"failed": True, "throttled": False}, status_code=401)
    web.throttle.succeeded(name)
    # A fresh session: new CSRF token, nothing carried over from before login.
    request.session.clear()
    request.session["user"] = user.username
    request.session["pw"] = password_fingerprint(user.password_hash)
    request.session["csrf"] = new_csrf_token()
    return RedirectResponse(f"{APP_PREFIX}/", status_code=303)


@router.post("/logout", dependencies=[Depends(csrf)])
def logout(request: Request) -> Response:
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
        new_hash = hash_password(new)
        with state(request).database.session() as session:
            set_password(session, user.username, new_hash)
        # Other sessions of this user end; this one carries on with the new fingerprint.
        request.session["pw"] = password_fingerprint(new_hash)
        flash(request, "saved")
    return RedirectResponse(f"{APP_PREFIX}/account", status_code=303)
