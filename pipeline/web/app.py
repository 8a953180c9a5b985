"""The FastAPI app factory. See `pipeline.web.security` for the security design."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from core.config import Settings
from pipeline.web.deps import Forbidden, LoginRequired, WebState, render
from pipeline.web.routes import admin as routes_admin
from pipeline.web.routes import articles as routes_articles
from pipeline.web.routes import auth as routes_auth
from pipeline.web.routes import cases as routes_cases
from pipeline.web.routes import contacts as routes_contacts
from pipeline.web.routes import downloads as routes_downloads
from pipeline.web.routes import main as routes_main
from pipeline.web.routes import narrative_edit as routes_narrative_edit
from pipeline.web.routes import narratives as routes_narratives
from pipeline.web.routes import notifications as routes_notifications
from pipeline.web.routes import trends as routes_trends
from pipeline.web.security import (
    APP_PREFIX,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    CsrfError,
    EvidenceTokens,
    SecurityHeaders,
)
from pipeline.web.templating import make_templates
from storage.db import Database

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).with_name("static")
SECRET_FILE_NAME = "web_secret_key"


def secret_key_for(settings: Settings) -> str:
    """The key that signs sessions: from the environment variable the config names,
    else a random key generated once and kept (mode 0600) in the data directory,
    so sessions survive restarts."""
    from_env = os.environ.get(settings.web.secret_key_env)
    if from_env:
        return from_env
    path = settings.data_dir / SECRET_FILE_NAME
    if path.exists():
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    logger.info("generated a web secret key in %s", path)
    return key


def allowed_hosts(settings: Settings) -> list[str]:
    """`web.allowed_hosts`, plus the address the server binds to when it names one."""
    hosts = list(settings.web.allowed_hosts)
    bind = settings.web.host
    # A wildcard bind names no host; the office lists its real names in web.allowed_hosts.
    if bind not in ("0.0.0.0", "::", "") and bind not in hosts:
        hosts.append(bind)
    return hosts


def create_app(
    settings: Settings,
    database: Database,
    secret_key: str | None = None,
    *,
    secure_cookies: bool = False,
) -> FastAPI:
    """The web app over `database`. `secure_cookies` adds the Secure flag (behind HTTPS)."""
    key = secret_key or secret_key_for(settings)
    app = FastAPI(
        title="presswatch",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.web = WebState(
        settings=settings,
        database=database,
        templates=make_templates(),
        evidence=EvidenceTokens(key),
    )
    # The cookie's Path is /app: /evidence and /static never receive it.
    app.add_middleware(
        SessionMiddleware,
        secret_key=key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        path=APP_PREFIX,
        same_site="strict",
        https_only=secure_cookies,
    )
    # Only our own host names are answered: a forged Host never reaches a redirect.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings))
    app.add_middleware(SecurityHeaders, hsts=secure_cookies)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    app.include_router(routes_auth.router)
    app.include_router(routes_main.router)
    app.include_router(routes_cases.router)
    app.include_router(routes_downloads.router)
    app.include_router(routes_articles.router)
    app.include_router(routes_admin.router)
    app.include_router(routes_contacts.router)
    app.include_router(routes_narrative_edit.router)
    app.include_router(routes_notifications.router)
    app.include_router(routes_trends.router)
    app.include_router(routes_narratives.router)
    app.include_router(routes_main.evidence_router)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(f"{APP_PREFIX}/", status_code=303)

    @app.get(APP_PREFIX, include_in_schema=False)
    def app_root() -> RedirectResponse:
        return RedirectResponse(f"{APP_PREFIX}/", status_code=303)

    _install_error_handlers(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"{APP_PREFIX}/login", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return _error_page(request, 403, "forbidden")

    @app.exception_handler(CsrfError)
    async def csrf_failed(request: Request, exc: CsrfError) -> Response:
        logger.warning("refused %s %s: %s", request.method, request.url.path, exc)
        return _error_page(request, 403, "csrf_failed")

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        # A path that does not validate (an id too long or not a number) names nothing.
        if any(error.get("loc", ("",))[0] == "path" for error in exc.errors()):
            return await http_error(request, StarletteHTTPException(404, "not found"))
        if "session" not in request.scope:
            return Response("bad request", status_code=400, media_type="text/plain")
        return _error_page(request, 400, "error")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not request.url.path.startswith(APP_PREFIX + "/") or "session" not in request.scope:
            return Response(str(exc.detail), status_code=exc.status_code, media_type="text/plain")
        key = "not_found" if exc.status_code == 404 else "error"
        return _error_page(request, exc.status_code, key)


def _error_page(request: Request, status: int, message_key: str) -> HTMLResponse:
    context: dict[str, Any] = {"message_key": message_key, "status": status}
    return render(request, "error.html", context, status_code=status)
