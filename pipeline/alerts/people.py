"""Person channels: alerts addressed to a person rather than to a configured channel.

A delivery's channel id `user:<username>:email` or `user:<username>:telegram` names
the person; it is resolved when sent (`person_channels`, called by
`pipeline.alerts.delivery`) from the user record's email or Telegram chat id, so a
changed address is used by the next attempt, and a removed one holds the delivery
(kept, not dropped) like an unconfigured channel. Telegram messages to people go
through the bot named by `desk.telegram_token_env`.

Assignments reach the new assignee this way too (`assignment_alerts`): each
"assigned" event of the audit trail is one alert keyed by the event's id, so it
goes out once whether the CLI or the web app made the change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from core.config import Channel
from pipeline.i18n import translate
from storage import alerts as alert_store
from storage import deadlines as store
from storage.db import Database

if TYPE_CHECKING:
    from core.config import Settings

PERSON_PREFIX = "user:"
# Assignments older than this when first seen (the job was off) are not sent.
ASSIGNMENT_WINDOW = dt.timedelta(days=1)


def person_channel_ids(contact: store.Contact | None) -> list[str]:
    """The person channels a user can be reached on, from their record."""
    if contact is None:
        return []
    found = []
    if contact.email:
        found.append(f"{PERSON_PREFIX}{contact.username}:email")
    if contact.telegram_chat_id:
        found.append(f"{PERSON_PREFIX}{contact.username}:telegram")
    return found


def person_channels(
    settings: Settings, database: Database, channel_ids: Iterable[str]
) -> dict[str, Channel]:
    """Channels for the `user:<name>:<email|telegram>` ids among `channel_ids`; an id
    whose user is gone, disabled or without that address is left out, so the
    delivery is held as "not configured" (kept, not dropped)."""
    wanted = [cid for cid in channel_ids if cid.startswith(PERSON_PREFIX)]
    if not wanted:
        return {}
    names = [cid[len(PERSON_PREFIX) :].rpartition(":")[0] for cid in wanted]
    with database.read_session() as session:
        people = store.contacts(session, names)
    found: dict[str, Channel] = {}
    for cid, name in zip(wanted, names, strict=True):
        contact, kind = people.get(name), cid.rpartition(":")[2]
        if contact is None:
            continue
        # model_construct: the id carries ":" and "@", which configured ids may not.
        if kind == "email" and contact.email:
            found[cid] = Channel.model_construct(id=cid, kind="email", to=[contact.email])
        elif kind == "telegram" and contact.telegram_chat_id:
            found[cid] = Channel.model_construct(
                id=cid,
                kind="telegram",
                chat_id=contact.telegram_chat_id,
                token_env=settings.desk.telegram_token_env,
                api_url=settings.desk.telegram_api_url,
            )
    return found


def assignment_alerts(settings: Settings, database: Database, now: dt.datetime) -> int:
    """One alert per assignment to someone with a channel on their record (not to
    themselves); how many are new."""
    created = 0
    with database.session() as session:
        recent = store.recent_assignments(session, now - ASSIGNMENT_WINDOW)
        people = store.contacts(session, sorted({a.assignee for a in recent}))
        for assignment in recent:
            contact = people.get(assignment.assignee)
            channel_ids = person_channel_ids(contact)
            key = f"assigned:case:{assignment.case_id}:event:{assignment.event_id}"
            if contact is None or assignment.actor == assignment.assignee or not channel_ids:
                continue
            if alert_store.alert_exists(session, key):
                continue
            subject = translate("notice_case_assigned", contact.language).format(
                actor=assignment.actor, case_id=assignment.case_id, title=assignment.title
            )
            alert = alert_store.NewAlert(
                key=key,
                rule_id="assigned",
                case_id=assignment.case_id,
                urgent=False,
                subject=subject,
                body=subject,
                payload={"rule": "assigned", "case_id": assignment.case_id},
            )
            created += alert_store.create_alert(session, alert, channel_ids, now) is not None
    return created
