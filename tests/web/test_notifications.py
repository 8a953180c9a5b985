"""The in-app notification list: assignments, takeovers and new urgent cases,
unread first, marked read one by one or all at once, each user's own."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import update

from pipeline.web.passwords import hash_password
from storage import notifications as store
from storage.db import Database
from storage.models import CaseRow, UserRow, utcnow
from storage.users import add_user
from tests.web.conftest import log_in, token
from tests.web.seed import PASSWORD, USERS, Seeded


def _unread(client: TestClient) -> int:
    found = re.search(r'id="unread-count"[^>]*>(\d+)<', client.get("/app/account").text)
    return int(found.group(1)) if found else 0


def _calm(database: Database) -> None:
    """No case counts as urgent, so only the notifications a test makes are there."""
    with database.session() as session:
        session.execute(update(CaseRow).values(distortion_score=0.1))


def test_takeover_tells_the_previous_assignee_who_took_it(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    _calm(database)
    with database.session() as session:
        add_user(session, "binh", hash_password(PASSWORD), "analyst")
    anh = client_for("analyst")
    anh.post(f"/app/cases/{seeded.case_id}/take", data={"csrf_token": token(anh)})
    assert _unread(anh) == 0  # taking a case yourself tells nobody
    binh = TestClient(anh.app, follow_redirects=False)
    log_in(binh, "binh")
    binh.post(
        f"/app/cases/{seeded.case_id}/take",
        data={"csrf_token": token(binh), "takeover": USERS["analyst"]},
    )
    assert _unread(anh) == 1
    page = anh.get("/app/notifications").text
    assert f"binh đã nhận xử lý vụ việc #{seeded.case_id}" in page
    assert _unread(binh) == 0


def test_assigning_tells_the_assignee_and_the_list_marks_read(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    _calm(database)
    root, anh = client_for("admin"), client_for("analyst")
    for case_id in (seeded.case_id, seeded.payload_case):
        root.post(
            f"/app/cases/{case_id}/assign",
            data={"csrf_token": token(root), "assignee": USERS["analyst"]},
        )
    assert _unread(anh) == 2
    page = anh.get("/app/notifications").text
    assert page.count("đã giao cho bạn vụ việc") == 2
    assert "&lt;script&gt;" in page or "<script>window" not in page  # titles are escaped
    first = re.findall(r'data-notice="(\d+)"', page)
    # Someone else's notification id marks nothing of theirs.
    vera = client_for("viewer")
    vera.post(f"/app/notifications/{first[0]}/read", data={"csrf_token": token(vera)})
    assert _unread(anh) == 2
    opened = anh.post(f"/app/notifications/{first[0]}/open", data={"csrf_token": token(anh)})
    assert opened.headers["location"].startswith("/app/cases/")
    assert _unread(anh) == 1
    page = anh.get("/app/notifications").text
    # Unread first: the one left unread leads the list.
    assert re.findall(r'data-notice="(\d+)"', page)[0] == first[1]
    anh.post("/app/notifications/read-all", data={"csrf_token": token(anh)})
    assert _unread(anh) == 0
    assert 'id="read-all"' not in anh.get("/app/notifications").text


def test_a_new_urgent_case_is_told_once_to_analysts_and_admins(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    with database.session() as session:
        # Accounts made before the cases, so the cases are news to them.
        session.execute(update(UserRow).values(created_at=utcnow().replace(year=2020)))
        session.execute(update(CaseRow).values(distortion_score=0.1))
        session.execute(
            update(CaseRow).where(CaseRow.id == seeded.case_id).values(distortion_score=0.9)
        )
    anh, root, vera = client_for("analyst"), client_for("admin"), client_for("viewer")
    assert _unread(anh) == 1 and _unread(root) == 1
    assert _unread(vera) == 0  # a viewer cannot work on a case
    assert _unread(anh) == 1  # looking again tells nothing twice
    assert f"Vụ việc khẩn mới #{seeded.case_id}" in anh.get("/app/notifications").text
    with database.read_session() as session:
        rows = store.list_for_user(session, _user_id(database))
    assert [n.kind for n in rows] == [store.URGENT]


def _user_id(database: Database) -> int:
    with database.read_session() as session:
        found = session.query(UserRow.id).filter(UserRow.username == USERS["analyst"]).scalar()
    assert isinstance(found, int)
    return found
