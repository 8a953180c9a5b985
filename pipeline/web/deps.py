"""Request-scoped helpers: the app's state, who is logged in, role checks, rendering."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Path, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session
from starlette.templating import Jinja2Templates

from core.config import Settings
from pipeline.i18n import DEFAULT_LANGUAGE, Translator, narrative_statement, topic_label
from pipeline.web import audit, notices
from pipeline.web.security import CSRF_FIELD, EvidenceTokens, check_csrf, csrf_token
from pipeline.web.templating import period_label
from pipeline.web.throttle import LoginThrottle
from storage.db import Database
from storage.users import User, session_user

ROLE_RANK = {"viewer": 0, "analyst": 1, "admin": 2}

# Every id in a path fits a 64-bit key; a longer one names nothing, and a path
# that fails validation is answered 404 (see the app's error handlers), never 500.
MAX_ID = 2**63 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class LoginRequired(Exception):
    """No valid session: send the browser to the login page."""


class Forbidden(Exception):
    """Logged in, but the role does not allow this."""


@dataclass
class WebState:
    settings: Settings
    database: Database
    templates: Jinja2Templates
    evidence: EvidenceTokens
    throttle: LoginThrottle = field(default_factory=LoginThrottle)


def state(request: Request) -> WebState:
    web = request.app.state.web
    assert isinstance(web, WebState)
    return web


@contextmanager
def reading(request: Request) -> Iterator[Session]:
    """A read-only session for a GET page (`Database.read_session`: on SQLite it
    waits for no writer). It ends in a rollback, which would expire the rows it
    loaded; they are detached first, so a template can still show them."""
    with state(request).database.read_session() as session:
        yield session
        session.expunge_all()


def session_token(request: Request) -> str | None:
    token = request.session.get("sid")
    return token if isinstance(token, str) and token else None


def current_user(request: Request) -> User | None:
    """The user of the session's server-side row, re-read on every request, so an
    ended session, a disabled account or a changed role takes effect at once."""
    if hasattr(request.state, "user"):
        cached: User | None = request.state.user
        return cached
    user: User | None = None
    token = session_token(request)
    if token is not None:
        with state(request).database.read_session() as session:
            user = session_user(session, token)
        if user is None:
            request.session.clear()
    request.state.user = user
    return user


def _require(request: Request, role: str) -> User:
    user = current_user(request)
    if user is None:
        raise LoginRequired()
    if ROLE_RANK.get(user.role, -1) < ROLE_RANK[role]:
        raise Forbidden(f"{user.username} is a {user.role}, this needs {role}")
    return user


def viewer(request: Request) -> User:
    return _require(request, "viewer")


def analyst(request: Request) -> User:
    return _require(request, "analyst")


def admin(request: Request) -> User:
    return _require(request, "admin")


async def csrf(request: Request) -> None:
    """Dependency for every POST: refuse before anything changes."""
    await check_csrf(request)


def flash(request: Request, key: str, kind: str = "ok", detail: str = "") -> None:
    """A message for the next page; `key` is translated, `detail` shown as is (escaped)."""
    messages = list(request.session.get("flash") or [])
    messages.append([kind, key, detail[:300]])
    request.session["flash"] = messages[-5:]


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    web = state(request)
    user = current_user(request) if "session" in request.scope else None
    language = user.language if user is not None else DEFAULT_LANGUAGE
    tz = ZoneInfo(web.settings.profile.timezone)
    has_session = "session" in request.scope
    t = Translator(language)
    full: dict[str, Any] = {
        "user": user,
        "lang": language,
        "t": t,
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request) if has_session else "",
        "flashes": request.session.pop("flash", []) if has_session else [],
        "fmt_dt": lambda value: format_datetime(value, tz, language),
        "topic_label": lambda topic_id: topic_label(web.settings, topic_id, language),
        "narrative_statement": lambda narrative_id: narrative_statement(
            web.settings, narrative_id, language
        ),
        "reason_sentence": lambda reason: audit.reason_sentence(web.settings, reason, language),
        "change_text": lambda e: audit.change_text(t, e.field, e.old_value, e.new_value),
        "note_text": lambda e: audit.note_text(t, e.action, e.note),
        "period_label": lambda key: period_label(t, key),
        "profile_name": web.settings.profile.name,
        "can_work": user is not None and ROLE_RANK.get(user.role, -1) >= ROLE_RANK["analyst"],
        "is_admin": user is not None and user.role == "admin",
        "unread_notices": notices.unread_count(web.settings, web.database, user) if user else 0,
    }
    full.update(context or {})
    return web.templates.TemplateResponse(request, name, full, status_code=status_code)


def format_datetime(value: dt.datetime | dt.date | None, tz: ZoneInfo, language: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        local = (
            value.astimezone(tz) if value.tzinfo else value.replace(tzinfo=dt.UTC).astimezone(tz)
        )
        return local.strftime("%d/%m/%Y %H:%M" if language == "vi" else "%Y-%m-%d %H:%M")
    return value.strftime("%d/%m/%Y" if language == "vi" else "%Y-%m-%d")
