"""Change alerts (issue 15): an edit or a deletion of an article in an open case
tells the case's assignee, once per change.

One refetch can record a title and a body change of one new version; they are
one edit and one alert. Its key is `change:<id>` (the lowest change id of the
version): an ordinary alert to the assignee's person channels
(`pipeline.alerts.people`) and an in-app notification with the key as its
`once_key`, written with `alerted` in one transaction, so a rerun after a
crash, or the alerts job and the recrawl both looking, tell it once.

A change of an article in no open case is marked handled at once; one in an
open case nobody has yet waits until someone is assigned, the case closes, or
`ASSIGNEE_WAIT` has passed.
A restoration alerts nobody.
"""

from __future__ import annotations

import datetime as dt
import logging
from itertools import groupby
from typing import TYPE_CHECKING

from pipeline.alerts.people import person_channel_ids
from pipeline.i18n import translate
from storage import alerts as alert_store
from storage import deadlines as people_store
from storage import version_views as store
from storage.db import Database
from storage.notifications import notify

if TYPE_CHECKING:
    from core.config import Settings

logger = logging.getLogger(__name__)
RULE_ID = "article_change"
# A change in an open case nobody has waits this long for an assignee to tell.
ASSIGNEE_WAIT = dt.timedelta(days=3)


def alert_key(change_id: int) -> str:
    return f"change:{change_id}"


def _event(group: list[store.PendingChange]) -> str:
    return "deleted" if group[0].kind == "deleted" else "edited"


def change_alerts(settings: Settings, database: Database, now: dt.datetime) -> int:
    """Alert the assignees of open cases whose articles changed; how many alerts are new."""
    with database.read_session() as session:
        pending = store.pending_changes(session)
    created = 0

    def version_of(change: store.PendingChange) -> tuple[int, int, bool]:
        return (change.article_id, change.to_version, change.kind == "deleted")

    groups = [list(g) for _, g in groupby(sorted(pending, key=version_of), key=version_of)]
    for group in groups:
        first = group[0]
        ids = [c.id for c in group]
        tell = [c for c in group if c.kind in store.ALERTED_KINDS]
        if not tell or first.case_id is None or not first.case_open:
            with database.session() as session:
                store.mark_alerted(session, ids)
            continue
        if not first.assignee:
            if now - first.detected_at > ASSIGNEE_WAIT:  # news by then; nobody took it
                with database.session() as session:
                    store.mark_alerted(session, ids)
            continue  # told to whoever takes the case
        with database.session() as session:
            people = people_store.contacts(session, [first.assignee])
            contact = people.get(first.assignee)
            language = contact.language if contact else settings.digest.language
            event = _event(tell)
            key = alert_key(min(c.id for c in tell))
            params = {"title": first.title or first.case_title, "url": first.url}
            subject = translate(f"notice_article_{event}", language).format(
                case_id=first.case_id, **params
            )
            alert = alert_store.NewAlert(
                key=key,
                rule_id=RULE_ID,
                case_id=first.case_id,
                urgent=False,
                subject=subject,
                body=f"{subject}\n{first.url}",
                payload={
                    "rule": RULE_ID,
                    "case_id": first.case_id,
                    "article_id": first.article_id,
                    "change": event,
                    "kinds": [c.kind for c in tell],
                    "version": first.to_version,
                    "assignee": first.assignee,
                },
            )
            if not alert_store.alert_exists(session, key):
                new = alert_store.create_alert(session, alert, person_channel_ids(contact), now)
                if new is not None:
                    created += 1
                    logger.info("alert %s: %s", key, subject)
            notify(
                session,
                first.assignee,
                f"article_{event}",
                case_id=first.case_id,
                params=params,
                once_key=key,
            )
            store.mark_alerted(session, ids)
    return created
