"""Every route under every role: viewers read, analysts work cases, admins manage users.

A refused request must change nothing: the tests compare the audit trail and
the accounts before and after.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from storage.cases import get_case
from storage.db import Database
from storage.users import list_users
from tests.web.conftest import token
from tests.web.seed import USERS, Seeded

RANK = {"viewer": 0, "analyst": 1, "admin": 2}


def get_routes(s: Seeded) -> list[tuple[str, str]]:
    return [
        ("/app/", "viewer"),
        ("/app/?days=1", "viewer"),
        ("/app/?days=30", "viewer"),
        ("/app/queue", "viewer"),
        ("/app/queue?status=all&topic=disaster&origin=foreign", "viewer"),
        (f"/app/cases/{s.case_id}", "viewer"),
        (f"/app/cases/{s.payload_case}", "viewer"),
        ("/app/articles", "viewer"),
        ("/app/articles?q=Quảng&stance=critical&topic=disaster", "viewer"),
        (f"/app/articles/{s.flagged_article}", "viewer"),
        (f"/app/articles/{s.payload_article}", "viewer"),
        ("/app/reports", "viewer"),
        ("/app/account", "viewer"),
        ("/app/admin/users", "admin"),
        ("/app/admin/sources", "admin"),
    ]


def post_routes(s: Seeded) -> list[tuple[str, dict[str, str], str]]:
    case = f"/app/cases/{s.case_id}"
    return [
        (f"{case}/take", {}, "analyst"),
        (f"{case}/assign", {"assignee": ""}, "analyst"),
        (f"{case}/status", {"status": "in_progress"}, "analyst"),
        (f"{case}/assign", {"assignee": USERS["analyst"]}, "analyst"),
        (f"{case}/note", {"note": "đã liên hệ tòa soạn"}, "analyst"),
        (f"{case}/response", {"response": "https://quangtri.gov.vn/cai-chinh"}, "analyst"),
        (f"{case}/close", {"resolution": "no_action"}, "analyst"),
        (
            "/app/admin/users",
            {"username": "newbie", "password": "long enough 1", "role": "viewer", "language": "en"},
            "admin",
        ),
        (f"/app/admin/users/{USERS['viewer']}/role", {"role": "analyst"}, "admin"),
        (f"/app/admin/users/{USERS['viewer']}/password", {"password": "reset password 1"}, "admin"),
        (f"/app/admin/users/{USERS['viewer']}/disable", {"confirm": USERS["viewer"]}, "admin"),
        (f"/app/admin/users/{USERS['viewer']}/enable", {}, "admin"),
    ]


def _state(database: Database, case_id: int) -> tuple[object, ...]:
    with database.session() as session:
        detail = get_case(session, case_id)
        users = list_users(session)
    return (detail.case.status, detail.case.assignee, len(detail.events), tuple(users))


@pytest.mark.parametrize("role", ["viewer", "analyst", "admin"])
def test_get_routes_by_role(
    role: str, client_for: Callable[[str], TestClient], seeded: Seeded
) -> None:
    client = client_for(role)
    for path, needed in get_routes(seeded):
        response = client.get(path)
        expected = 200 if RANK[role] >= RANK[needed] else 403
        assert response.status_code == expected, (role, path, response.text[:500])
        assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("role", ["viewer", "analyst", "admin"])
def test_post_routes_by_role(
    role: str, client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    client = client_for(role)
    for path, data, needed in post_routes(seeded):
        before = _state(database, seeded.case_id)
        response = client.post(path, data={**data, "csrf_token": token(client)})
        if RANK[role] >= RANK[needed]:
            assert response.status_code == 303, (role, path, response.text[:500])
            assert "flash-error" not in client.get("/app/account").text, (role, path)
            assert _state(database, seeded.case_id) != before, (role, path)
        else:
            assert response.status_code == 403, (role, path)
            assert _state(database, seeded.case_id) == before, (role, path)


def test_viewer_sees_no_forms_on_a_case(
    client_for: Callable[[str], TestClient], seeded: Seeded
) -> None:
    page = client_for("viewer").get(f"/app/cases/{seeded.case_id}").text
    assert "/take" not in page and "form-close" not in page
    assert "chỉ đọc" in page
    analyst_page = client_for("analyst").get(f"/app/cases/{seeded.case_id}").text
    assert "form-close" in analyst_page and "/take" in analyst_page


def test_admin_cannot_lock_themselves_out(
    client_for: Callable[[str], TestClient], database: Database
) -> None:
    client = client_for("admin")
    me = USERS["admin"]
    client.post(f"/app/admin/users/{me}/disable", data={"csrf_token": token(client)})
    client.post(f"/app/admin/users/{me}/role", data={"role": "viewer", "csrf_token": token(client)})
    assert client.get("/app/admin/users").status_code == 200


def test_admin_user_form_rejects_bad_input_visibly(
    client_for: Callable[[str], TestClient], database: Database
) -> None:
    client = client_for("admin")
    for form in (
        {"username": "bad/name", "password": "long enough 1", "role": "viewer"},
        {"username": USERS["viewer"], "password": "long enough 1", "role": "viewer"},
        {"username": "shorty", "password": "short", "role": "viewer"},
    ):
        response = client.post("/app/admin/users", data={**form, "csrf_token": token(client)})
        assert response.status_code == 303
        assert "flash-error" in client.get("/app/admin/users").text
    assert (
        client.post(
            "/app/admin/users",
            data={
                "username": "x",
                "password": "long enough 1",
                "role": "boss",
                "csrf_token": token(client),
            },
        ).status_code
        == 400
    )
    with database.session() as session:
        assert {u.username for u in list_users(session)} == set(USERS.values())
