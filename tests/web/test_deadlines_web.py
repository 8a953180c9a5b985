"""Deadlines in the web app: the queue sorts by nearest due time and colours rows by
deadline state, the case page shows both due times, `waiting` needs a reason and
pauses them, and people set their own alert channels (admins anyone's)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from core.config import Settings
from core.desk_settings import Desk
from pipeline.review.deadlines import refresh_cases
from storage.db import Database
from storage.models import CaseRow
from storage.notifications import notify
from storage.users import get_user
from tests.web.conftest import token
from tests.web.seed import USERS, Seeded


@pytest.fixture
def settings(settings: Settings) -> Settings:
    desk = Desk.model_validate(
        {
            "enabled": True,
            "default": {"id": "default", "triage": "2h", "respond": "24h", "business_hours": False},
            "warn_before": "30m",
        }
    )
    return settings.model_copy(update={"desk": desk})


def _due(database: Database, settings: Settings, opened: dict[int, dt.timedelta]) -> None:
    now = dt.datetime.now(dt.UTC)
    with database.session() as session:
        for case_id, ago in opened.items():
            session.execute(
                update(CaseRow).where(CaseRow.id == case_id).values(opened_at=now - ago)
            )
        refresh_cases(settings, session, now)


def _post(client: TestClient, path: str, page: str = "/app/account", **data: str) -> str:
    response = client.post(path, data={**data, "csrf_token": token(client, page)})
    assert response.status_code == 303, response.text
    return client.get(response.headers["location"]).text


def test_the_queue_sorts_by_nearest_deadline_and_colours_rows(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database, settings: Settings
) -> None:
    # The lower-priority case is past its triage deadline; the other is an hour in.
    _due(
        database,
        settings,
        {
            seeded.case_id: dt.timedelta(hours=1, minutes=45),
            seeded.payload_case: dt.timedelta(hours=3),
        },
    )
    client = client_for("viewer")
    by_priority = client.get("/app/queue").text
    assert by_priority.index(f'data-case="{seeded.case_id}"') < by_priority.index(
        f'data-case="{seeded.payload_case}"'
    )
    by_due = client.get("/app/queue?sort=due").text
    assert by_due.index(f'data-case="{seeded.payload_case}"') < by_due.index(
        f'data-case="{seeded.case_id}"'
    )
    assert (
        f'data-case="{seeded.payload_case}" data-deadline="missed" class="deadline-missed"'
        in by_due
    )
    assert f'data-case="{seeded.case_id}" data-deadline="soon" class="deadline-soon"' in by_due
    assert "Quá hạn" in by_due and "Sắp quá hạn" in by_due and "Hạn gần nhất" in by_due

    page = client.get(f"/app/cases/{seeded.payload_case}").text
    assert "Hạn phân loại" in page and "Hạn phản hồi" in page
    assert 'id="case-due-triage" data-deadline="missed"' in page
    assert 'id="case-due-respond" data-deadline="ok"' in page


def test_waiting_needs_a_reason_and_pauses_the_deadlines(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database, settings: Settings
) -> None:
    _due(database, settings, {seeded.case_id: dt.timedelta(hours=3)})
    client = client_for("analyst")
    case = f"/app/cases/{seeded.case_id}"
    page = client.get(case).text
    assert '<option value="waiting"' in page and 'name="reason"' in page
    refused = _post(client, f"{case}/status", case, status="waiting")
    assert "flash-error" in refused and 'id="case-waiting"' not in refused
    shown = _post(
        client, f"{case}/status", case, status="waiting", reason="Chờ Sở Ngoại vụ trả lời"
    )
    assert "Chờ bên ngoài" in shown and "Chờ Sở Ngoại vụ trả lời" in shown
    assert 'id="case-due-respond" data-deadline="paused"' in shown
    assert 'data-deadline="paused"' in client.get("/app/queue?status=waiting").text
    # Moving on ends the wait; the response deadline runs again, pushed back by it.
    with database.session() as session:
        row = session.get(CaseRow, seeded.case_id)
        assert row is not None and row.respond_due_at is not None
        before = row.respond_due_at
    resumed = _post(client, f"{case}/status", case, status="in_progress")
    assert 'id="case-waiting"' not in resumed
    with database.session() as session:
        row = session.get(CaseRow, seeded.case_id)
        assert row is not None and row.waiting_since is None and row.respond_due_at
        assert row.respond_due_at >= before


def test_people_set_their_own_channels_and_admins_anyones(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    analyst = client_for("analyst")
    page = _post(
        analyst,
        "/app/account/contact",
        email="lan@example.test",
        telegram_chat_id="123456",
    )
    assert "Đã lưu thông tin liên lạc" in page and 'value="lan@example.test"' in page
    bad = _post(analyst, "/app/account/contact", email="not-an-address", telegram_chat_id="")
    assert "Địa chỉ thư điện tử không hợp lệ" in bad
    bad = _post(analyst, "/app/account/contact", email="", telegram_chat_id="@lan")
    assert "Mã chat Telegram phải là một số" in bad

    admin = client_for("admin")
    users = _post(
        admin,
        f"/app/admin/users/{USERS['viewer']}/contact",
        "/app/admin/users",
        email="xem@example.test",
        telegram_chat_id="-1001",
    )
    assert 'value="xem@example.test"' in users and 'value="-1001"' in users
    assert "Mã chat Telegram" in users
    refused = analyst.post(
        f"/app/admin/users/{USERS['viewer']}/contact",
        data={"email": "x@example.test", "csrf_token": token(analyst)},
    )
    assert refused.status_code == 403
    missing = admin.post(
        "/app/admin/users/nobody/contact",
        data={"email": "", "csrf_token": token(admin, "/app/admin/users")},
    )
    assert missing.status_code == 404
    with database.session() as session:
        lan, viewer = get_user(session, USERS["analyst"]), get_user(session, USERS["viewer"])
    assert lan is not None and lan.email == "lan@example.test" and lan.telegram_chat_id == "123456"
    assert viewer is not None and viewer.email == "xem@example.test"


def test_deadline_notifications_read_in_the_users_language(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    with database.session() as session:
        notify(
            session,
            USERS["analyst"],
            "deadline_respond_missed",
            case_id=seeded.case_id,
            params={"title": "Lũ ở Quảng Bình", "due": "25/11/2026 10:00"},
            once_key=f"deadline:respond:case:{seeded.case_id}:missed",
        )
    page = client_for("analyst").get("/app/notifications").text
    assert (
        f"Vụ việc #{seeded.case_id} đã quá hạn phản hồi (hạn 25/11/2026 10:00): Lũ ở Quảng Bình"
        in page
    )
