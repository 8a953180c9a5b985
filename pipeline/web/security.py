"""Sessions, CSRF, evidence tokens and security headers.

Design, in one place:

* The app lives under ``/app``. The session cookie (Starlette's signed cookie,
  itsdangerous underneath) is set with ``Path=/app; HttpOnly; SameSite=Strict``,
  so the browser never sends it anywhere else.
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

import hashlib
import hmac
import secrets
import time
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
# Generated reports (digest HTML) may carry inline CSS and data: images, nothing else.
REPORT_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


class CsrfError(Exception):
    """The request's CSRF token is missing or wrong, or it comes from another site."""


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the stored hash: changing the password ends old sessions."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


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
    """Pure ASGI middleware adding the security headers a route did not set itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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
                if not str(scope.get("path", "")).startswith("/static/"):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class LoginThrottle:
    """Refuse logins to an account after `limit` failures within `window` seconds.

    In memory, per process: it slows online password guessing against one name;
    the lock lifts by itself as old failures age out of the window.
    """

    def __init__(self, limit: int = 10, window: float = 900.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, list[float]] = {}

    def _recent(self, username: str, now: float) -> list[float]:
        key = username.strip().lower()
        recent = [t for t in self._failures.get(key, []) if now - t < self.window]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        return recent

    def blocked(self, username: str, now: float | None = None) -> bool:
        return len(self._recent(username, time.monotonic() if now is None else now)) >= self.limit

    def failed(self, username: str, now: float | None = None) -> None:
        moment = time.monotonic() if now is None else now
        recent = self._recent(username, moment)
        recent.append(moment)
        self._failures[username.strip().lower()] = recent[-self.limit :]

    def succeeded(self, username: str) -> None:
        self._failures.pop(username.strip().lower(), None)
