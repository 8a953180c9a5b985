"""Deadline storage on both backends: the 0008 columns, waiting stretches read back
from the audit trail, due times that shift by a wait when it ends, people's own
channels, and the `waiting` status needing a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select, update

from core.config import Settings
from core.desk_settings import Desk
from core.errors import CaseError
from pipeline.review import workflow
from pipeline.review.deadlines import refresh_cases
from storage import deadlines as store
from storage.articles import new_story
from storage.db import Database
from storage.models import CaseEventRow, CaseRow, UserRow
from storage.users import add_user

T0 = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)


def _settings(settings: Settings) -> Settings:
    desk = Desk.model_validate(
        {
            "enabled": True,
            "bands": [
                {
                    "id": "sovereignty",
                    "topics": ["sovereignty"],
                    "triage": "2h",
                    "respond": "24h",
                    "business_hours": False,
                }
            ],
        }
    )
    return settings.model_copy(update={"desk": desk})


def _open(database: Database, topics: list[str]) -> int:
    with database.session() as session:
        case_id = workflow.open_case(
            session,
            story_id=new_story(session, "s"),
            title="Bản đồ",
            article_id=0,
            distortion_score=0.9,
            priority=50.0,
            topics=topics,
        )
        session.execute(update(CaseRow).where(CaseRow.id == case_id).values(opened_at=T0))
    return case_id


def test_migration_0008_adds_the_deadline_and_contact_columns(database: Database) -> None:
    columns = inspect(database.engine)
    cases = {c["name"] for c in columns.get_columns("cases")}
    users = {c["name"] for c in columns.get_columns("users")}
    assert {"deadline_band", "triage_due_at", "respond_due_at", "waiting_reason"} <= cases
    assert {"waiting_since", "paused_seconds"} <= cases
    assert {"email", "telegram_chat_id"} <= users


def test_a_wait_pauses_the_clock_and_shifts_the_due_times(
    database: Database, settings: Settings
) -> None:
    configured = _settings(settings)
    case_id = _open(database, ["sovereignty"])
    with database.session() as session:
        assert refresh_cases(configured, session, T0) == 1
        assert refresh_cases(configured, session, T0) == 0  # same answer: nothing written
        row = session.get(CaseRow, case_id)
        assert row is not None and row.deadline_band == "sovereignty"
        assert row.triage_due_at == T0 + dt.timedelta(hours=2)
        with pytest.raises(CaseError, match="reason"):
            workflow.set_status(session, case_id, "waiting", "lan")
        workflow.set_status(session, case_id, "waiting", "lan", reason="  Sở Ngoại vụ  ")
        row = session.get(CaseRow, case_id)
        assert row is not None and row.waiting_reason == "Sở Ngoại vụ" and row.waiting_since
    with database.session() as session:
        workflow.set_status(session, case_id, "in_progress", "lan")
        row = session.get(CaseRow, case_id)
        assert row is not None and row.waiting_since is None and row.waiting_reason is None
        # Place the wait at T0+30m..T0+90m (the events carry the real clock's time).
        events = list(
            session.scalars(
                select(CaseEventRow)
                .where(CaseEventRow.case_id == case_id, CaseEventRow.field == "status")
                .order_by(CaseEventRow.id)
            )
        )
        events[-2].at, events[-1].at = (
            T0 + dt.timedelta(minutes=30),
            T0 + dt.timedelta(hours=1, minutes=30),
        )
    with database.session() as session:
        assert store.waiting_intervals(session, [case_id]) == {
            case_id: [(T0 + dt.timedelta(minutes=30), T0 + dt.timedelta(minutes=90))]
        }
        refresh_cases(configured, session, T0 + dt.timedelta(hours=2))
        (case,) = store.open_deadline_cases(session, [case_id])
    assert case.triage_due_at == T0 + dt.timedelta(hours=3)
    assert case.respond_due_at == T0 + dt.timedelta(hours=25)
    assert case.triaged and not case.responded


def test_closing_a_waiting_case_ends_the_wait(database: Database) -> None:
    case_id = _open(database, [])
    with database.session() as session:
        workflow.set_status(session, case_id, "waiting", "lan", reason="Báo Nhân Dân")
        workflow.close_case(session, case_id, "no_action", "lan")
        row = session.get(CaseRow, case_id)
        assert row is not None and row.waiting_since is None and row.status == "closed"
        assert store.waiting_intervals(session, [case_id])[case_id][0][1] is not None
        assert store.open_deadline_cases(session, [case_id]) == []


def test_people_keep_their_own_channels(database: Database) -> None:
    with database.session() as session:
        add_user(session, "lan", "x", "analyst")
        add_user(session, "off", "x", "analyst")
        store.set_contact(session, "lan", email=" lan@example.test ", telegram_chat_id="")
        store.set_contact(session, "off", email="off@example.test", telegram_chat_id="1")
        session.execute(update(UserRow).where(UserRow.username == "off").values(disabled=True))
    with database.session() as session:
        found = store.contacts(session, ["lan", "off", "nobody"])
        assert list(found) == ["lan"]
        assert found["lan"].email == "lan@example.test" and found["lan"].telegram_chat_id is None
        with pytest.raises(KeyError):
            store.set_contact(session, "nobody", email=None, telegram_chat_id=None)
