"""Repository functions for web accounts.

Storage keeps only the password *hash*; hashing and verifying belong to the web
layer (`pipeline.web.passwords`), so this module knows nothing about argon2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import UserRow

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


def _from_row(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        password_hash=row.password_hash,
        role=row.role,
        language=row.language,
        disabled=row.disabled,
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


def set_password(session: Session, username: str, password_hash: str) -> None:
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
    """Disable (or re-enable) an account; a disabled user's sessions stop working."""
    _row(session, username).disabled = disabled
    session.flush()
