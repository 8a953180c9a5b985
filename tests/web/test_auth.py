"""Logging in, sessions, cookies, headers and the per-user language."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from pipeline.web.passwords import hash_password, verify_password
from storage.db import Database
from storage.users import disable_user, get_user, set_password
from tests.web.conftest import log_in, token
from tests.web.seed import PASSWORD, USERS, csrf_from


def test_anonymous_is_sent_to_login(anon: TestClient) -> None:
    for path in (
        "/app/",
        "/app/queue",
        "/app/cases/1",
        "/app/articles",
        "/app/reports",
        "/app/admin/users",
        "/app/account",
    ):
        response = anon.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/app/login"
    assert anon.get("/").headers["location"] == "/app/"


def test_login_page_is_vietnamese_and_wrong_password_fails(anon: TestClient) -> None:
    page = anon.get("/app/login")
    assert page.status_code == 200
    assert 'lang="vi"' in page.text and "Đăng nhập" in page.text
    response = anon.post(
        "/app/login",
        data={
            "username": USERS["analyst"],
            "password": "wrong password!",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in response.text
    unknown = anon.post(
        "/app/login",
        data={"username": "nobody", "password": PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    assert unknown.status_code == 401
    assert anon.get("/app/").status_code == 303


def test_login_without_csrf_token_is_refused(anon: TestClient) -> None:
    anon.get("/app/login")
    response = anon.post("/app/login", data={"username": USERS["admin"], "password": PASSWORD})
    assert response.status_code == 403
    assert anon.get("/app/").status_code == 303


def test_session_cookie_is_scoped_httponly_strict(anon: TestClient) -> None:
    page = anon.get("/app/login")
    response = anon.post(
        "/app/login",
        data={
            "username": USERS["viewer"],
            "password": PASSWORD,
            "csrf_token": csrf_from(page.text),
        },
    )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("presswatch_session=")
    lowered = cookie.lower()
    assert "path=/app" in lowered and "httponly" in lowered and "samesite=strict" in lowered
    # The cookie jar honours the path: /evidence and /static never get the cookie.
    request = anon.build_request("GET", "/evidence/1")
    assert "presswatch_session" not in request.headers.get("cookie", "")
    assert "presswatch_session" in anon.build_request("GET", "/app/").headers.get("cookie", "")


def test_login_rotates_the_csrf_token(anon: TestClient) -> None:
    before = csrf_from(anon.get("/app/login").text)
    log_in(anon, USERS["viewer"])
    assert token(anon) != before


def test_security_headers_on_pages(client_for: Callable[[str], TestClient]) -> None:
    response = client_for("viewer").get("/app/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("style-src")[0]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["cache-control"] == "no-store"


def test_logout_needs_csrf_and_ends_the_session(client_for: Callable[[str], TestClient]) -> None:
    client = client_for("analyst")
    assert client.post("/app/logout").status_code == 403
    assert client.get("/app/").status_code == 200
    response = client.post("/app/logout", data={"csrf_token": token(client)})
    assert response.status_code == 303
    assert client.get("/app/").status_code == 303


def test_disabling_a_user_ends_their_session(
    client_for: Callable[[str], TestClient], database: Database
) -> None:
    client = client_for("analyst")
    assert client.get("/app/").status_code == 200
    with database.session() as session:
        disable_user(session, USERS["analyst"])
    assert client.get("/app/").status_code == 303
    page = client.get("/app/login")
    response = client.post(
        "/app/login",
        data={
            "username": USERS["analyst"],
            "password": PASSWORD,
            "csrf_token": csrf_from(page.text),
        },
    )
    assert response.status_code == 401


def test_password_change_elsewhere_ends_the_session(
    client_for: Callable[[str], TestClient], database: Database
) -> None:
    client = client_for("viewer")
    with database.session() as session:
        set_password(session, USERS["viewer"], hash_password("another password"))
    assert client.get("/app/").status_code == 303


def test_own_password_change(client_for: Callable[[str], TestClient], database: Database) -> None:
    client = client_for("viewer")
    wrong = client.post(
        "/app/account/password",
        data={"current": "not it at all", "new": "new password 1", "csrf_token": token(client)},
    )
    assert wrong.status_code == 303
    assert "Mật khẩu hiện tại không đúng" in client.get("/app/account").text
    ok = client.post(
        "/app/account/password",
        data={"current": PASSWORD, "new": "new password 1", "csrf_token": token(client)},
    )
    assert ok.status_code == 303
    assert client.get("/app/").status_code == 200  # this session carries on
    with database.session() as session:
        user = get_user(session, USERS["viewer"])
    assert user is not None and verify_password(user.password_hash, "new password 1")
    assert user.password_hash.startswith("$argon2id$")


def test_english_is_selectable_per_user(client_for: Callable[[str], TestClient]) -> None:
    client = client_for("viewer")
    assert "Tổng quan" in client.get("/app/").text
    response = client.post(
        "/app/account/language", data={"language": "en", "csrf_token": token(client)}
    )
    assert response.status_code == 303
    page = client.get("/app/").text
    assert 'lang="en"' in page and "Dashboard" in page and "Tổng quan" not in page
    other = client_for("analyst")
    assert "Tổng quan" in other.get("/app/").text  # per user, not global
