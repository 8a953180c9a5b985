"""Repository functions for web accounts.

Storage keeps only the password *hash*; hashing and verifying belong to the web
layer (`pipeline.web.passwords`), so this module knows nothing about argon2.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import LoginAttemptRow, UserRow, WebSessionRow, utcnow

USERNAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
ROLES = ("viewer", "analyst", "admin")
LANGUAGES = ("vi", "en")


class UserExists(Exception):
    """A user with this name is already stored."""


class UnknownUser(KeyError):
    """No user with this name."""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    password_hash: str
    role: str
    language: str
    disabled: bool
    # Their own channels for deadline alerts (storage.deadlines.set_contact).
    email: str | None = None
    telegram_chat_id: str | None = None


def _from_row(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        password_hash=row.password_hash,
        role=row.role,
        language=row.language,
        disabled=row.disabled,
        email=row.email,
        telegram_chat_id=row.telegram_chat_id,
    )


def _check(role: str | None = None, language: str | None = None) -> None:
    if role is not None and role not in ROLES:
        raise ValueError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}: choose one of {', '.join(LANGUAGES)}")


def _row(session: Session, username: str) -> UserRow:
    row = session.scalar(select(UserRow).where(UserRow.username == username))
    if row is None:
        raise UnknownUser(username)
    return row


def add_user(
    session: Session, username: str, password_hash: str, role: str, language: str = "vi"
) -> User:
    """Insert a user; raise UserExists if the name is taken (savepoint keeps the session usable)."""
    _check(role, language)
    username = username.strip()
    if not USERNAME.fullmatch(username):
        raise ValueError(
            "a username needs 1 to 64 characters: letters, digits, dot, dash, underscore, @"
        )
    row = UserRow(
        username=username,
        password_hash=password_hash,
        role=role,
        language=language,
        disabled=False,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise UserExists(username) from None
    return _from_row(row)


def get_user(session: Session, username: str) -> User | None:
    row = session.scalar(select(UserRow).where(UserRow.username == username))
    return _from_row(row) if row is not None else None


def list_users(session: Session) -> list[User]:
    return [_from_row(row) for row in session.scalars(select(UserRow).order_by(UserRow.username))]


def set_password(
    session: Session, username: str, password_hash: str, *, keep_session: str | None = None
) -> None:
    """Store a new hash and end the user's sessions, except `keep_session` (the token
    of the browser that changed it, which carries on)."""
    row = _row(session, username)
    row.password_hash = password_hash
    session.flush()
    end_user_sessions(session, username, "password", keep=keep_session)


def rehash_password(session: Session, username: str, password_hash: str) -> None:
    """Same password, stronger hash parameters: its sessions carry on."""
    _row(session, username).password_hash = password_hash
    session.flush()


def set_role(session: Session, username: str, role: str) -> None:
    _check(role=role)
    _row(session, username).role = role
    session.flush()


def set_language(session: Session, username: str, language: str) -> None:
    _check(language=language)
    _row(session, username).language = language
    session.flush()


def disable_user(session: Session, username: str, disabled: bool = True) -> None:
    """Disable (or re-enable) an account. Disabling ends its sessions for good:
    re-enabling does not bring them back."""
    _row(session, username).disabled = disabled
    session.flush()
    if disabled:
        end_user_sessions(session, username, "disabled")


# -- server-side sessions ------------------------------------------------------------


def _key(token: str) -> str:
    # Only a digest is stored: a copy of the table does not hand out live cookies.
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, username: str, token: str, lifetime: dt.timedelta) -> None:
    row = _row(session, username)
    now = utcnow()
    session.add(
        WebSessionRow(key=_key(token), user_id=row.id, created_at=now, expires_at=now + lifetime)
    )
    session.flush()


def session_user(session: Session, token: str) -> User | None:
    """The enabled user of a live (not ended, not expired) session, else None."""
    found = session.execute(
        select(UserRow)
        .join(WebSessionRow, WebSessionRow.user_id == UserRow.id)
        .where(
            WebSessionRow.key == _key(token),
            WebSessionRow.ended_at.is_(None),
            WebSessionRow.expires_at > utcnow(),
            UserRow.disabled.is_(False),
        )
    ).scalar_one_or_none()
    return _from_row(found) if found is not None else None


def end_session(session: Session, token: str, reason: str = "logout") -> None:
    session.execute(
        update(WebSessionRow)
        .where(WebSessionRow.key == _key(token), WebSessionRow.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )


def end_user_sessions(
    session: Session, username: str, reason: str, *, keep: str | None = None
) -> int:
    """End every live session of `username` (but `keep`); returns how many ended."""
    condition = [
        WebSessionRow.user_id == _row(session, username).id,
        WebSessionRow.ended_at.is_(None),
    ]
    if keep is not None:
        condition.append(WebSessionRow.key != _key(keep))
    result = session.execute(
        update(WebSessionRow).where(*condition).values(ended_at=utcnow(), end_reason=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def live_session_count(session: Session, username: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(WebSessionRow)
            .where(
                WebSessionRow.user_id == _row(session, username).id,
                WebSessionRow.ended_at.is_(None),
                WebSessionRow.expires_at > utcnow(),
            )
        )
        or 0
    )


# -- login attempts (the throttle's counters) ------------------------------------------


@dataclass(frozen=True, slots=True)
class AttemptCounts:
    """Failures since `since`: from the address, and from the address for this name;
    the newest failure of each; `known` says the address has signed
    this name in before (within the retention period)."""

    address_failures: int
    address_last: dt.datetime | None
    pair_failures: int
    pair_last: dt.datetime | None
    known: bool


def record_attempt(session: Session, address: str, username: str, ok: bool) -> None:
    session.add(
        LoginAttemptRow(address=address[:64], username=username.lower()[:64], ok=ok, at=utcnow())
    )
    session.flush()


def attempt_counts(
    session: Session, address: str, username: str, since: dt.datetime
) -> AttemptCounts:
    name = username.lower()[:64]
    address = address[:64]
    last_ok = session.scalar(
        select(func.max(LoginAttemptRow.at)).where(
            LoginAttemptRow.address == address,
            LoginAttemptRow.username == name,
            LoginAttemptRow.ok.is_(True),
        )
    )
    # A success from this address for this name wipes the pair's slate.
    pair_since = max(since, last_ok) if last_ok is not None else since
    pair = session.execute(
        select(func.count(), func.max(LoginAttemptRow.at)).where(
            LoginAttemptRow.address == address,
            LoginAttemptRow.username == name,
            LoginAttemptRow.ok.is_(False),
            LoginAttemptRow.at > pair_since,
        )
    ).one()
    by_address = session.execute(
        select(func.count(), func.max(LoginAttemptRow.at)).where(
            LoginAttemptRow.address == address,
            LoginAttemptRow.ok.is_(False),
            LoginAttemptRow.at > since,
        )
    ).one()
    return AttemptCounts(
        address_failures=int(by_address[0] or 0),
        address_last=by_address[1],
        pair_failures=int(pair[0] or 0),
        pair_last=pair[1],
        known=last_ok is not None,
    )


def forget_attempts(session: Session, before: dt.datetime) -> None:
    """Drop attempts older than `before` (the table would otherwise grow forever)."""
    session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.at < before))
