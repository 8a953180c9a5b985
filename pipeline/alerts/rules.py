"""Alerts to the press department: evaluate the configured rules, then deliver.

Evaluation turns what storage holds into alerts keyed by rule and subject
(`<rule>:case:<id>`, `<rule>:story:<id>`, `<rule>:topic:<topic>:<day>`), so a
case triggers a rule once, ever. Delivery works through the stored queue:
non-urgent alerts wait out quiet hours, each channel sends at most
`rate_limit_per_hour`, failures are retried with exponential backoff on later
runs, and a claimed-then-sent delivery is never sent again.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pipeline.alerts.deadlines import evaluate_deadlines
from pipeline.alerts.people import assignment_alerts
from pipeline.i18n import reason_text, strings, topic_label
from pipeline.reports.periods import day_bounds
from storage import alerts as store
from storage.cases import get_case, list_cases
from storage.db import Database
from storage.models import utcnow
from storage.reports import ReportArticle, articles_fetched_between

if TYPE_CHECKING:
    from core.config import AlertRule, QuietHours, Settings

logger = logging.getLogger(__name__)

BACKOFF_BASE = dt.timedelta(minutes=2)
BACKOFF_MAX = dt.timedelta(hours=6)


@dataclass
class AlertStats:
    created: int = 0
    sent: int = 0
    failed: int = 0
    held: int = 0
    elsewhere: int = 0  # claimed by another run at the same time
    deferred: int = 0  # not reached within the channel's time budget, or stopping

    def __str__(self) -> str:
        text = (
            f"{self.created} new alert(s); {self.sent} delivery(ies) sent, "
            f"{self.failed} failed (retried later), {self.held} held (quiet hours / rate limit)"
        )
        if self.elsewhere:
            text += f", {self.elsewhere} claimed elsewhere (another run is sending them)"
        if self.deferred:
            text += f", {self.deferred} left for the next run (time budget)"
        return text


def backoff(attempts: int) -> dt.timedelta:
    """Wait before attempt n+1: 2, 4, 8 ... minutes, at most 6 hours."""
    return min(BACKOFF_BASE * (1 << max(attempts - 1, 0)), BACKOFF_MAX)


def quiet_until(quiet: QuietHours | None, timezone: str, now: dt.datetime) -> dt.datetime | None:
    """The end of the quiet period `now` falls in, or None outside quiet hours."""
    if quiet is None:
        return None
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    start, end = dt.time.fromisoformat(quiet.start), dt.time.fromisoformat(quiet.end)
    clock = local.time().replace(tzinfo=None)
    if start == end:
        return None
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    end_day = local.date() if clock < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(end_day, end, zone).astimezone(dt.UTC)


# --- evaluation ----------------------------------------------------------------------


def _enabled_channels(settings: Settings, rule: AlertRule) -> list[str]:
    enabled = {c.id for c in settings.alerts.channels if c.enabled}
    return [c for c in rule.channels if c in enabled]


def _case_score(settings: Settings, database: Database, rule: AlertRule) -> list[store.NewAlert]:
    language = settings.digest.language
    words = strings(language)
    found = []
    with database.session() as session:
        for case in list_cases(session, status="open"):
            if case.distortion_score < rule.min_score:
                continue
            if rule.topics and not set(rule.topics) & set(case.topics):
                continue
            if store.alert_exists(session, f"{rule.id}:case:{case.id}"):
                continue  # the common case every few minutes: skip building the body
            detail = get_case(session, case.id)
            lines = [
                f"{words['score'].lower()}: {case.distortion_score:.2f} · "
                f"{words['priority'].lower()}: {case.priority:.0f}"
            ]
            for article in detail.articles:
                lines.append(f"- {article.source_name}: {article.title} <{article.url}>")
                for reason in article.analysis.reasons_by_weight()[:3] if article.analysis else []:
                    sentence = f' "{reason.sentence}"' if reason.sentence else ""
                    text = reason_text(settings, reason.to_json(), language)
                    lines.append(f"    {text}{sentence}")
            found.append(
                store.NewAlert(
                    key=f"{rule.id}:case:{case.id}",
                    rule_id=rule.id,
                    case_id=case.id,
                    urgent=rule.urgent,
                    subject=words["alert_case"].format(id=case.id, title=case.title),
                    body="\n".join(lines),
                    payload={
                        "rule": rule.id,
                        "case_id": case.id,
                        "score": case.distortion_score,
                        "topics": case.topics,
                        "urls": [a.url for a in detail.articles],
                    },
                )
            )
    return found


def _recent(
    settings: Settings, database: Database, days: int, now: dt.datetime
) -> list[ReportArticle]:
    with database.session() as session:
        return articles_fetched_between(session, now - dt.timedelta(days=days), now)


def _sensitive_foreign(
    settings: Settings, database: Database, rule: AlertRule, now: dt.datetime
) -> list[store.NewAlert]:
    language = settings.digest.language
    watched = set(rule.topics) or {t.id for t in settings.topics if t.sensitive}
    threshold = settings.nlp.thresholds.topic_score
    by_story: dict[str, list[tuple[ReportArticle, list[str]]]] = {}
    for article in _recent(settings, database, rule.window_days, now):
        if article.origin != "foreign" or article.analysis is None:
            continue
        hits = [t for t in article.topic_ids(threshold) if t in watched]
        if hits:
            subject = f"story:{article.story_id}" if article.story_id else f"article:{article.id}"
            by_story.setdefault(subject, []).append((article, hits))
    found = []
    for subject, items in by_story.items():
        first, _ = items[0]
        topics = sorted({t for _, hits in items for t in hits})
        labels = ", ".join(topic_label(settings, t, language) for t in topics)
        body = "\n".join(f"- {a.source_name}: {a.title} <{a.url}>" for a, _ in items)
        found.append(
            store.NewAlert(
                key=f"{rule.id}:{subject}",
                rule_id=rule.id,
                case_id=first.case_id,
                urgent=rule.urgent,
                subject=strings(language)["alert_foreign"].format(topics=labels, title=first.title),
                body=body,
                payload={
                    "rule": rule.id,
                    "topics": topics,
                    "urls": [a.url for a, _ in items],
                    "case_id": first.case_id,
                },
            )
        )
    return found


def _volume_spike(
    settings: Settings, database: Database, rule: AlertRule, now: dt.datetime
) -> list[store.NewAlert]:
    language = settings.digest.language
    zone = settings.profile.timezone
    today = now.astimezone(ZoneInfo(zone)).date()
    start_today, _ = day_bounds(today, zone)
    window_start, _ = day_bounds(today - dt.timedelta(days=rule.window_days), zone)
    threshold = settings.nlp.thresholds.topic_score
    with database.session() as session:
        articles = articles_fetched_between(session, window_start, now)
    today_counts: Counter[str] = Counter()
    past_counts: Counter[str] = Counter()
    for article in articles:
        bucket = today_counts if article.fetched_at >= start_today else past_counts
        bucket.update(set(article.topic_ids(threshold)))
    watched = rule.topics or [t.id for t in settings.topics]
    found = []
    for topic in watched:
        count, average = today_counts[topic], past_counts[topic] / rule.window_days
        if count < rule.min_articles or count < rule.factor * average:
            continue
        label = topic_label(settings, topic, language)
        words = strings(language)
        found.append(
            store.NewAlert(
                key=f"{rule.id}:topic:{topic}:{today.isoformat()}",
                rule_id=rule.id,
                case_id=None,
                urgent=rule.urgent,
                subject=words["alert_spike"].format(topic=label, count=count),
                body=words["spike_body"].format(
                    count=count, average=average, days=rule.window_days
                ),
                payload={
                    "rule": rule.id,
                    "topic": topic,
                    "count": count,
                    "average": average,
                    "day": today.isoformat(),
                },
            )
        )
    return found


def evaluate(settings: Settings, database: Database, now: dt.datetime | None = None) -> int:
    """Create the alerts the rules call for; returns how many are new."""
    now = now or utcnow()
    created = 0
    for rule in settings.alerts.rules:
        if rule.kind == "case_score":
            candidates = _case_score(settings, database, rule)
        elif rule.kind == "sensitive_foreign":
            candidates = _sensitive_foreign(settings, database, rule, now)
        else:
            candidates = _volume_spike(settings, database, rule, now)
        channel_ids = _enabled_channels(settings, rule)
        with database.session() as session:
            for alert in candidates:
                if store.alert_exists(session, alert.key):
                    continue
                if store.create_alert(session, alert, channel_ids, now) is not None:
                    created += 1
                    logger.info("alert %s: %s", alert.key, alert.subject)
    created += assignment_alerts(settings, database, now)
    from pipeline.recrawl.alerts import change_alerts  # edits and deletions (issue 15)

    created += change_alerts(settings, database, now)
    return created + evaluate_deadlines(settings, database, now)


# --- delivery ------------------------------------------------------------------------


def deliver(
    settings: Settings,
    database: Database,
    now: dt.datetime | None = None,
    *,
    stop: threading.Event | None = None,
) -> AlertStats:
    """Deliver what is due (`pipeline.alerts.delivery`: per channel, time-bounded)."""
    from pipeline.alerts.delivery import deliver_due

    stats = AlertStats()
    deliver_due(settings, database, stats, now or utcnow(), stop=stop)
    return stats


def run_alerts(
    settings: Settings,
    database: Database,
    now: dt.datetime | None = None,
    *,
    stop: threading.Event | None = None,
) -> AlertStats:
    now = now or utcnow()
    created = evaluate(settings, database, now)
    stats = deliver(settings, database, now, stop=stop)
    stats.created = created
    return stats
