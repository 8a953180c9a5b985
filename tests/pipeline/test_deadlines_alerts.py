"""Done-when of issue 12's deadlines: with a real SMTP server and a local HTTP
receiver (webhook + Telegram Bot API), a case crossing its triage deadline warns
and then escalates once, crossing its response deadline warns its assignee and
escalates once, a `waiting` case stays quiet, and a restart in between (a fresh
Database object, the alerts job rerun, the clock advanced) changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
from sqlalchemy import update

from core.config import Alerts, Channel, Settings
from core.desk_settings import Desk
from pipeline.alerts.rules import BACKOFF_MAX, deliver, evaluate, run_alerts
from pipeline.review import workflow
from storage import alerts as alert_store
from storage import notifications
from storage.articles import new_story
from storage.db import Database, make_engine
from storage.deadlines import set_contact
from storage.models import CaseRow
from storage.users import add_user, get_user
from tests.pipeline.servers import Receiver, http_receiver, smtp_server

TOKEN = "654321:DESK-token"
T0 = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)  # Wednesday 10:00 in Hanoi


@dataclass
class DeskEnv:
    settings: Settings
    url: str
    mails: list[EmailMessage]
    http: Receiver

    def fresh_database(self) -> Database:
        """What a restarted process has: a new engine, nothing cached."""
        return Database(make_engine(self.url))

    def run(self, database: Database, at: dt.timedelta) -> int:
        stats = run_alerts(self.settings, database, T0 + at)
        assert stats.failed == 0
        return stats.created

    def hooks(self) -> list[str]:
        return [h["Idempotency-Key"] for p, h, _ in self.http.requests if p == "/leaders"]

    def telegrams(self) -> list[tuple[str, str]]:
        return [
            (body["chat_id"], body["text"])
            for path, _, body in self.http.requests
            if path.endswith("/sendMessage")
        ]


@pytest.fixture
def desk(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DeskEnv]:
    monkeypatch.setenv("PRESSWATCH_DESK_BOT", TOKEN)
    with smtp_server() as (port, mails), http_receiver() as http:
        desk_settings = Desk.model_validate(
            {
                "enabled": True,
                "bands": [
                    {
                        "id": "sovereignty",
                        "sensitive": True,
                        "triage": "2h",
                        "respond": "24h",
                        "business_hours": False,
                    }
                ],
                "escalation_channels": ["leaders"],
                "warn_before": "30m",
                "telegram_token_env": "PRESSWATCH_DESK_BOT",
                "telegram_api_url": http.url,
            }
        )
        alerts = Alerts(
            quiet_hours=None,
            rules=[],
            channels=[Channel(id="leaders", kind="webhook", url=f"{http.url}/leaders")],
        )
        configured = settings.model_copy(
            update={
                "desk": desk_settings,
                "alerts": alerts,
                "smtp": settings.smtp.model_copy(update={"host": "127.0.0.1", "port": port}),
            }
        )
        url = database.engine.url.render_as_string(hide_password=False)
        yield DeskEnv(configured, url, mails, http)


def _open(database: Database, title: str, topics: list[str]) -> int:
    with database.session() as session:
        story = new_story(session, title)
        case_id = workflow.open_case(
            session,
            story_id=story,
            title=title,
            article_id=0,
            distortion_score=0.9,
            priority=80.0,
            topics=topics,
        )
        session.execute(update(CaseRow).where(CaseRow.id == case_id).values(opened_at=T0))
    return case_id


def test_deadlines_warn_and_escalate_exactly_once_across_a_restart(
    desk: DeskEnv, database: Database
) -> None:
    with database.session() as session:
        add_user(session, "lan", "x", "analyst")
        add_user(session, "chi", "x", "admin")
        set_contact(session, "lan", email="lan@example.test", telegram_chat_id="4242")
    untriaged = _open(database, "Bản đồ sai chủ quyền", ["sovereignty"])
    assigned = _open(database, "Tin sai về biên giới", ["border"])
    waiting = _open(database, "Chờ Bộ Ngoại giao", ["sovereignty"])
    with database.session() as session:
        workflow.assign_case(session, assigned, "lan", "lan")  # she took it: triage met
        workflow.set_status(session, waiting, "waiting", "chi", reason="Bộ Ngoại giao")

    h = dt.timedelta(hours=1)
    m = dt.timedelta(minutes=1)
    assert desk.run(database, 1 * h) == 0  # nothing is near yet
    # 1h40: the untriaged case is about to miss triage; nobody has it, so everyone
    # who can triage is told in the app (no personal channel: not theirs yet).
    assert desk.run(database, 1 * h + 40 * m) == 1
    # 2h05: triage missed: the leadership's webhook hears of it once.
    assert desk.run(database, 2 * h + 5 * m) == 1
    assert desk.hooks() == [f"deadline:triage:case:{untriaged}:missed"]

    # A restart: a new Database object reruns the same moment, then later ones.
    database.dispose()
    restarted = desk.fresh_database()
    assert desk.run(restarted, 2 * h + 5 * m) == 0
    assert desk.run(restarted, 2 * h + 30 * m) == 0
    assert len(desk.hooks()) == 1 and desk.mails == []

    # 23h40: both open cases near their response deadline: lan is warned of hers by
    # email and Telegram; the unassigned one is told in the app only.
    assert desk.run(restarted, 23 * h + 40 * m) == 2
    (warning,) = desk.mails
    assert warning["To"] == "lan@example.test"
    assert "Sắp quá hạn phản hồi" in str(warning["Subject"]) and str(assigned) in str(
        warning["Subject"]
    )
    assert [chat for chat, _ in desk.telegrams()] == ["4242"]
    # 24h05: both missed: escalated once each; lan hears of hers again.
    assert desk.run(restarted, 24 * h + 5 * m) == 2
    restarted.dispose()
    again = desk.fresh_database()
    for later in (24 * h + 5 * m, 30 * h, 72 * h):
        assert desk.run(again, later) == 0

    assert sorted(desk.hooks()) == sorted(
        [
            f"deadline:triage:case:{untriaged}:missed",
            f"deadline:respond:case:{untriaged}:missed",
            f"deadline:respond:case:{assigned}:missed",
        ]
    )
    assert len(desk.mails) == 2 and len(desk.telegrams()) == 2
    assert "Quá hạn phản hồi" in str(desk.mails[1]["Subject"])
    with again.session() as session:
        states = alert_store.delivery_states(session, limit=100)
        keys = {s.alert_key for s in states}
    # The waiting case never warned nor escalated, and every delivery went once.
    assert not any(f"case:{waiting}:" in key for key in keys)
    assert {s.status for s in states} == {"sent"}
    assert sorted((s.alert_key, s.channel_id) for s in states) == sorted(
        [
            (f"deadline:triage:case:{untriaged}:missed", "leaders"),
            (f"deadline:respond:case:{untriaged}:missed", "leaders"),
            (f"deadline:respond:case:{assigned}:soon", "user:lan:email"),
            (f"deadline:respond:case:{assigned}:soon", "user:lan:telegram"),
            (f"deadline:respond:case:{assigned}:missed", "leaders"),
            (f"deadline:respond:case:{assigned}:missed", "user:lan:email"),
            (f"deadline:respond:case:{assigned}:missed", "user:lan:telegram"),
        ]
    )
    _in_app_told_once(again, untriaged, assigned)
    again.dispose()


def _in_app_told_once(database: Database, untriaged: int, assigned: int) -> None:
    with database.session() as session:
        lan, chi = get_user(session, "lan"), get_user(session, "chi")
        assert lan is not None and chi is not None
        lan_kinds = sorted(
            (n.kind, n.case_id) for n in notifications.list_for_user(session, lan.id)
        )
        chi_kinds = sorted(
            (n.kind, n.case_id) for n in notifications.list_for_user(session, chi.id)
        )
    unassigned_told = [
        ("deadline_respond_missed", untriaged),
        ("deadline_respond_soon", untriaged),
        ("deadline_triage_missed", untriaged),
        ("deadline_triage_soon", untriaged),
    ]
    assert chi_kinds == sorted(unassigned_told)
    assert lan_kinds == sorted(
        [
            *unassigned_told,
            ("deadline_respond_missed", assigned),
            ("deadline_respond_soon", assigned),
        ]
    )


def test_an_assignment_reaches_the_assignee_by_their_own_channels_once(
    desk: DeskEnv, database: Database
) -> None:
    with database.session() as session:
        add_user(session, "lan", "x", "analyst", "en")
        add_user(session, "chi", "x", "admin")
        set_contact(session, "lan", email="lan@example.test", telegram_chat_id="")
    case_id = _open(database, "Tin sai về lũ", [])
    # Assignments are read from the trail's recent events, so this case lives in real
    # time, opened just now: no deadline of its own is near.
    now = dt.datetime.now(dt.UTC)
    with database.session() as session:
        session.execute(update(CaseRow).where(CaseRow.id == case_id).values(opened_at=now))
        workflow.assign_case(session, case_id, "lan", "chi")
        workflow.assign_case(session, case_id, "chi", "chi")  # to oneself: not sent
    assert run_alerts(desk.settings, database, now).sent == 1
    database.dispose()
    restarted = desk.fresh_database()
    assert run_alerts(desk.settings, restarted, now + dt.timedelta(minutes=5)).sent == 0
    restarted.dispose()
    (mail,) = desk.mails
    assert mail["To"] == "lan@example.test"
    assert str(mail["Subject"]) == f"chi assigned case #{case_id} to you: Tin sai về lũ"


def test_a_person_without_the_address_now_holds_the_delivery_until_it_is_back(
    desk: DeskEnv, database: Database
) -> None:
    with database.session() as session:
        add_user(session, "lan", "x", "analyst")
        set_contact(session, "lan", email="lan@example.test", telegram_chat_id="")
    case_id = _open(database, "Tin sai", ["border"])
    with database.session() as session:
        workflow.assign_case(session, case_id, "lan", "lan")
    soon = T0 + dt.timedelta(hours=23, minutes=40)
    assert evaluate(desk.settings, database, soon) == 1
    with database.session() as session:  # she clears her address before it is sent
        set_contact(session, "lan", email="", telegram_chat_id="")
    held = deliver(desk.settings, database, soon)
    assert (held.sent, held.held) == (0, 1) and desk.mails == []
    with database.session() as session:
        set_contact(session, "lan", email="lan.new@example.test", telegram_chat_id="")
    later = deliver(desk.settings, database, soon + BACKOFF_MAX)
    assert later.sent == 1 and [m["To"] for m in desk.mails] == ["lan.new@example.test"]
