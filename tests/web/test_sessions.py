"""Server-side sessions: logout, a password change, disabling a user and an admin's
"sign out everywhere" end a session at once, and an ended session stays ended
(a replayed cookie is refused even after the user is re-enabled)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from pipeline.web.passwords import hash_password
from storage.db import Database
from storage.users import disable_user, live_session_count, set_password
from tests.web.conftest import log_in, token
from tests.web.seed import USERS


def _replay(app: FastAPI, cookies: dict[str, str]) -> int:
    """Status of the dashboard for a fresh client presenting `cookies` (a stolen copy)."""
    with TestClient(app, follow_redirects=False, cookies=cookies) as other:
        return other.get("/app/").status_code


def test_a_cookie_copied_before_logout_is_dead_after_it(
    app: FastAPI, client_for: Callable[[str], TestClient]
) -> None:
    client = client_for("analyst")
    copied = dict(client.cookies)
    assert _replay(app, copied) == 200
    assert client.post("/app/logout", data={"csrf_token": token(client)}).status_code == 303
    assert _replay(app, copied) == 303  # the signature is still valid; the session is not


def test_re_enabling_a_user_does_not_revive_old_sessions(
    app: FastAPI, client_for: Callable[[str], TestClient], database: Database
) -> None:
    client = client_for("analyst")
    copied = dict(client.cookies)
    with database.session() as session:
        disable_user(session, USERS["analyst"])
    with database.session() as session:
        disable_user(session, USERS["analyst"], disabled=False)
    assert _replay(app, copied) == 303
    log_in(client, USERS["analyst"])  # the account itself works again
    assert client.get("/app/").status_code == 200


def test_password_change_ends_the_other_sessions_only(
    app: FastAPI, client_for: Callable[[str], TestClient], database: Database
) -> None:
    laptop, phone = client_for("viewer"), client_for("viewer")
    from tests.web.seed import PASSWORD

    response = laptop.post(
        "/app/account/password",
        data={"current": PASSWORD, "new": "a brand new password", "csrf_token": token(laptop)},
    )
    assert response.status_code == 303
    assert laptop.get("/app/").status_code == 200
    assert phone.get("/app/").status_code == 303
    with database.session() as session:
        set_password(session, USERS["viewer"], hash_password("yet another password"))
    assert laptop.get("/app/").status_code == 303


def test_admin_signs_a_user_out_everywhere(
    app: FastAPI, client_for: Callable[[str], TestClient], database: Database
) -> None:
    first, second = client_for("analyst"), client_for("analyst")
    copied = dict(first.cookies)
    admin = client_for("admin")
    page = admin.get("/app/admin/users").text
    assert f"/app/admin/users/{USERS['analyst']}/signout" in page
    assert "Đăng xuất mọi nơi" in page and 'data-confirm="Khóa tài khoản này?' in page
    url = f"/app/admin/users/{USERS['analyst']}/signout"
    assert admin.post(url).status_code == 403  # CSRF like every other change
    assert second.post(url, data={"csrf_token": token(second)}).status_code == 403  # admins only
    response = admin.post(url, data={"csrf_token": token(admin, "/app/admin/users")})
    assert response.status_code == 303
    assert first.get("/app/").status_code == 303 and second.get("/app/").status_code == 303
    assert _replay(app, copied) == 303
    assert admin.get("/app/").status_code == 200  # the admin's own session is untouched
    with database.session() as session:
        assert live_session_count(session, USERS["analyst"]) == 0
    assert (
        admin.post("/app/admin/users/nobody/signout", data={"csrf_token": token(admin)}).status_code
        == 404
    )
