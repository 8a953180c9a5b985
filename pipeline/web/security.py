"""Sessions, CSRF, evidence tokens and security headers.

Design, in one place:

* The app lives under ``/app``. The session cookie (Starlette's signed cookie,
  itsdangerous underneath) is set with ``Path=/app; HttpOnly; SameSite=Strict``,
  so the browser never sends it anywhere else. It carries a random session
  token whose digest is a row in ``web_sessions``: the row, not the signature,
  says whether the session is alive, so logout, a password change, disabling
  the user or an admin's "sign out everywhere" end it at once, for good.
* Logins are throttled per client address and per (address, name) with the
  counters in the database (`pipeline.web.throttle`).
* Only the configured host names (``web.allowed_hosts``) are answered, so a
  forged Host header never reaches a redirect or a page.
* Stored snapshots are served from ``/evidence/...`` -- outside the cookie's
  path -- with ``Content-Security-Policy: sandbox; default-src 'none'`` (no
  scripts, an opaque origin, no network). As the cookie cannot reach that path,
  access is granted by a short-lived signed token in the URL that a logged-in
  page minted for one snapshot (`EvidenceTokens`).
* Every state change is a POST carrying the session's CSRF token in a hidden
  field (`check_csrf`), compared in constant time; a cross-site Origin header
  is refused as well. SameSite=Strict is a second, independent layer.
* Every page carries a strict CSP (scripts only from our own /static), nosniff,
  frame-ancestors/X-Frame-Options, no-store, and Referrer-Policy same-origin:
  links out to outlets leak nothing, while our own forms still carry a real
  Origin header ("no-referrer" would make Chromium send `Origin: null`).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

APP_PREFIX = "/app"
EVIDENCE_PREFIX = "/evidence"
SESSION_COOKIE = "presswatch_session"
SESSION_MAX_AGE = 12 * 3600
CSRF_FIELD = "csrf_token"

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
# Snapshots: no script, opaque origin, nothing fetched; only our own pages may frame them.
EVIDENCE_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
)
# Nothing on our pages needs a device or a browser feature beyond the page itself.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), browsing-topics=()"
)
HSTS = "max-age=31536000; includeSubDomains"
# Generated reports (digest HTML) may carry inline CSS and data: images, nothing else.
REPORT_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


class CsrfError(Exception):
    """The request's CSRF token is missing or wrong, or it comes from another site."""


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (also for anonymous sessions)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = new_csrf_token()
        request.session["csrf"] = token
    return token


def check_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin is None:
        return
    if origin == "null" or urlsplit(origin).netloc != request.headers.get("host", ""):
        raise CsrfError(f"cross-site request from {origin!r}")


async def check_csrf(request: Request) -> None:
    """Raise CsrfError unless the form carries this session's token."""
    check_origin(request)
    expected = request.session.get("csrf")
    form = await request.form()
    given = form.get(CSRF_FIELD)
    if (
        not isinstance(expected, str)
        or not expected
        or not isinstance(given, str)
        or not hmac.compare_digest(expected.encode(), given.encode())
    ):
        raise CsrfError("missing or invalid CSRF token")


class EvidenceTokens:
    """Signed, expiring capabilities for one snapshot each (the cookie never reaches them)."""

    def __init__(self, secret_key: str, max_age: int = 3600) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="presswatch-evidence")
        self.max_age = max_age

    def mint(self, snapshot_id: int) -> str:
        return self._serializer.dumps({"s": snapshot_id})

    def check(self, token: str, snapshot_id: int) -> bool:
        try:
            data = self._serializer.loads(token, max_age=self.max_age)
        except (SignatureExpired, BadSignature):
            return False
        return isinstance(data, dict) and data.get("s") == snapshot_id


class SecurityHeaders:
    """Pure ASGI middleware adding the security headers a route did not set itself.

    It is the outermost layer, so every answer carries them: a page, a 404, the
    Host check's 400, and the 500 it writes itself when the app raises (Starlette's
    own error page sits further out and would otherwise go out bare). HSTS is sent
    only when the app is served over HTTPS (`--secure-cookies`)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", PAGE_CSP)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
                headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                if not str(scope.get("path", "")).startswith("/static/"):
                    headers.setdefault("Cache-Control", "no-store")
                started.append(True)
            await send(message)

        started: list[bool] = []
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            logger.exception("error answering %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                }
            )
            await send({"type": "http.response.body", "body": b"internal error"})
