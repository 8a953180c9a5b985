"""Notifications as the web app shows them: the unread count in the nav, and
each one's sentence from the catalog in the reader's language.

New urgent cases are opened by the pipeline in another process; the app looks
for ones nobody was told of when it counts a user's unread notifications (every
page does), so each analyst and admin hears of each urgent case once, whichever
page load looks first.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from core.config import Settings
from pipeline.i18n import Translator
from storage import notifications as store
from storage.db import Database
from storage.models import utcnow
from storage.users import User

# A case older than this is no longer news: nobody is told of it on first look.
URGENT_WINDOW = dt.timedelta(days=7)


def urgent_rules(settings: Settings) -> list[store.UrgentRule]:
    """The urgent case rules of `alerts.rules`, enabled channels or not: the
    notification list is a channel of its own."""
    return [
        store.UrgentRule(min_score=rule.min_score, topics=frozenset(rule.topics))
        for rule in settings.alerts.rules
        if rule.urgent and rule.kind == "case_score"
    ]


def unread_count(settings: Settings, database: Database, user: User) -> int:
    """The user's unread notifications, after telling everyone of new urgent cases."""
    rules = urgent_rules(settings)
    since = utcnow() - URGENT_WINDOW
    with database.read_session() as session:
        missing = store.missing_urgent(session, rules, since)
        if not missing:
            return store.unread_count(session, user.id)
    with database.session() as session:
        store.notify_urgent(session, missing)
        return store.unread_count(session, user.id)


def notice_text(t: Translator, notice: store.Notification) -> str:
    """The notification's sentence; a parameter the row lacks shows empty."""
    params: defaultdict[str, Any] = defaultdict(str, notice.params)
    params["case_id"] = notice.case_id or ""
    if not params["assignee"]:
        params["assignee"] = t("unassigned")
    if isinstance(params.get("score"), int | float):
        params["score"] = f"{params['score']:.2f}"  # 0.90 as everywhere else, not 0.9
    return t("notice_" + notice.kind).format_map(params)
