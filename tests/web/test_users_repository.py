"""storage.users on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from storage.db import Database
from storage.users import (
    UnknownUser,
    UserExists,
    add_user,
    disable_user,
    get_user,
    list_users,
    set_language,
    set_password,
    set_role,
)


def test_users_repository(database: Database) -> None:
    with database.session() as session:
        add_user(session, "lan", "hash-1", "analyst")
        with pytest.raises(UserExists):
            add_user(session, "lan", "hash-2", "viewer")
        add_user(session, "an", "hash-3", "viewer", "en")  # the session survived the duplicate
        for bad in ({"role": "boss"}, {"language": "fr"}):
            with pytest.raises(ValueError):
                add_user(session, "x", "h", bad.get("role", "viewer"), bad.get("language", "vi"))
        with pytest.raises(ValueError):
            add_user(session, "has space", "h", "viewer")
    with database.session() as session:
        set_password(session, "lan", "hash-9")
        set_role(session, "lan", "admin")
        set_language(session, "lan", "en")
        disable_user(session, "an")
        with pytest.raises(UnknownUser):
            disable_user(session, "ghost")
    with database.session() as session:
        lan = get_user(session, "lan")
        assert lan is not None and (lan.password_hash, lan.role, lan.language) == (
            "hash-9",
            "admin",
            "en",
        )
        assert [u.username for u in list_users(session)] == ["an", "lan"]
        assert [u.disabled for u in list_users(session)] == [True, False]
        assert get_user(session, "ghost") is None
