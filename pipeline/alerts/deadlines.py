"""Deadline alerts, run with the other alert rules: "about to miss" warns the case's
assignee, "missed" escalates to the leadership's channels (`desk.escalation_channels`)
and tells the assignee too. A case that is `waiting` neither warns nor escalates.

Each is an ordinary alert keyed `deadline:<triage|respond>:case:<id>:<soon|missed>`,
so the unique key makes it once per case, deadline and level, however often (or in
however many processes) the job runs, and its deliveries go through the same
claim/mark-sent queue as every other alert. The in-app notification is written in
the same transaction with the key as its `once_key`.

People are reached through person channels (`pipeline.alerts.people`).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from pipeline.alerts.people import person_channel_ids
from pipeline.i18n import translate
from pipeline.review.deadlines import KINDS, Kind, refresh_cases, warn_from
from storage import alerts as alert_store
from storage import deadlines as store
from storage.db import Database
from storage.notifications import URGENT_ROLES, notify

if TYPE_CHECKING:
    from core.config import Settings

logger = logging.getLogger(__name__)

RULE_ID = "deadline"


def alert_key(kind: Kind, case_id: int, level: str) -> str:
    return f"{RULE_ID}:{kind}:case:{case_id}:{level}"


def _local(settings: Settings, at: dt.datetime) -> str:
    return at.astimezone(ZoneInfo(settings.profile.timezone)).strftime("%d/%m/%Y %H:%M")


def _alert(
    settings: Settings,
    case: store.DeadlineCase,
    kind: Kind,
    level: str,
    due: dt.datetime,
    language: str,
) -> alert_store.NewAlert:
    due_text = _local(settings, due)
    subject = translate(f"alert_deadline_{kind}_{level}", language).format(
        id=case.id, due=due_text, title=case.title
    )
    body = translate("alert_deadline_body", language).format(
        priority=f"{case.priority:.0f}",
        assignee=case.assignee or translate("unassigned", language),
        opened=_local(settings, case.opened_at),
        due=due_text,
    )
    return alert_store.NewAlert(
        key=alert_key(kind, case.id, level),
        rule_id=RULE_ID,
        case_id=case.id,
        # A deadline does not wait out quiet hours: held past it, the warning is useless.
        urgent=True,
        subject=subject,
        body=body,
        payload={
            "rule": RULE_ID,
            "case_id": case.id,
            "deadline": kind,
            "level": level,
            "due_at": due.isoformat(),
            "assignee": case.assignee,
        },
    )


def _level(settings: Settings, case: store.DeadlineCase, due: dt.datetime, now: dt.datetime) -> str:
    if now >= due:
        return "missed"
    return "soon" if now >= warn_from(settings, case.opened_at, due) else ""


def _check_case(
    settings: Settings,
    session: Session,
    case: store.DeadlineCase,
    now: dt.datetime,
    people: dict[str, store.Contact],
    crew: list[str],
    leadership: list[str],
) -> int:
    created = 0
    for kind in KINDS:
        due = case.triage_due_at if kind == "triage" else case.respond_due_at
        met = case.triaged if kind == "triage" else case.responded
        if due is None or met:
            continue
        level = _level(settings, case, due, now)
        if not level or alert_store.alert_exists(session, alert_key(kind, case.id, level)):
            continue
        contact = people.get(case.assignee or "")
        personal = person_channel_ids(contact)
        language: str = settings.digest.language
        if level == "missed":
            # The leadership's copy: in the office's language, the assignee copied.
            channel_ids = [*leadership, *personal]
        else:
            channel_ids = personal
            language = contact.language if contact else settings.digest.language
        alert = _alert(settings, case, kind, level, due, language)
        if alert_store.create_alert(session, alert, channel_ids, now) is None:
            continue  # another run created it first
        created += 1
        logger.info("alert %s: %s", alert.key, alert.subject)
        # In the app: the assignee, or everyone who can triage when nobody has it yet.
        for name in [case.assignee] if case.assignee else crew:
            notify(
                session,
                name,
                f"deadline_{kind}_{level}",
                case_id=case.id,
                params={"title": case.title, "due": _local(settings, due)},
                once_key=alert.key,
            )
    return created


def evaluate_deadlines(settings: Settings, database: Database, now: dt.datetime) -> int:
    """Refresh due times, then create the deadline alerts now calls for; how many are new."""
    if not settings.desk.enabled:
        return 0
    with database.session() as session:
        refresh_cases(settings, session, now)
    created = 0
    with database.session() as session:
        cases = [c for c in store.open_deadline_cases(session) if c.waiting_since is None]
        people = store.contacts(session, sorted({c.assignee for c in cases if c.assignee}))
        crew = store.usernames_with_roles(session, URGENT_ROLES)
        enabled = {c.id for c in settings.alerts.channels if c.enabled}
        leadership = [cid for cid in settings.desk.escalation_channels if cid in enabled]
        for case in cases:
            created += _check_case(settings, session, case, now, people, crew, leadership)
    return created
