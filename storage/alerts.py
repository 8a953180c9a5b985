"""Repository functions for alerts and their per-channel deliveries.

An alert's `key` (rule + subject) is unique, so evaluating the rules again never
duplicates one. A delivery is *claimed* (status "sending", committed) before the
channel is called and marked "sent" right after, so two runs cannot both send
it; a failure is stored with its error and a next attempt time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import AlertDeliveryRow, AlertRow

RETRYABLE = ("pending", "failed")
# A claim is a lease: taken just before one send and renewed by the sending run
# every `STALE_CLAIM / 4` while the send is in flight (`renew_claims`), so one
# older than this belongs to a run that died, and is retried a minute later.
STALE_CLAIM = dt.timedelta(minutes=1)


@dataclass(frozen=True, kw_only=True, slots=True)
class NewAlert:
    key: str
    rule_id: str
    case_id: int | None
    urgent: bool
    subject: str
    body: str
    payload: dict[str, Any]


@dataclass(frozen=True, kw_only=True, slots=True)
class DueDelivery:
    id: int
    alert_id: int
    channel_id: str
    attempts: int
    key: str
    urgent: bool
    subject: str
    body: str
    payload: dict[str, Any]


@dataclass(frozen=True, kw_only=True, slots=True)
class DeliveryState:
    alert_key: str
    channel_id: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    subject: str


def alert_exists(session: Session, key: str) -> bool:
    return session.scalar(select(AlertRow.id).where(AlertRow.key == key)) is not None


def create_alert(
    session: Session, alert: NewAlert, channel_ids: list[str], now: dt.datetime
) -> int | None:
    """Insert the alert and one pending delivery per channel; None if the key exists."""
    row = AlertRow(
        key=alert.key,
        rule_id=alert.rule_id,
        case_id=alert.case_id,
        urgent=alert.urgent,
        subject=alert.subject,
        body=alert.body,
        payload=alert.payload,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
            for channel_id in dict.fromkeys(channel_ids):
                session.add(
                    AlertDeliveryRow(
                        alert_id=row.id,
                        channel_id=channel_id,
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                    )
                )
            session.flush()
    except IntegrityError:
        return None
    return row.id


def due_deliveries(session: Session, now: dt.datetime, limit: int = 200) -> list[DueDelivery]:
    """Deliveries to try now, urgent first, oldest first."""
    rows = session.execute(
        select(AlertDeliveryRow, AlertRow)
        .join(AlertRow, AlertRow.id == AlertDeliveryRow.alert_id)
        .where(
            or_(
                AlertDeliveryRow.status.in_(RETRYABLE)
                & or_(
                    AlertDeliveryRow.next_attempt_at.is_(None),
                    AlertDeliveryRow.next_attempt_at <= now,
                ),
                (AlertDeliveryRow.status == "sending")
                & (AlertDeliveryRow.next_attempt_at <= now - STALE_CLAIM),
            )
        )
        .order_by(AlertRow.urgent.desc(), AlertDeliveryRow.id)
        .limit(limit)
    ).all()
    return [
        DueDelivery(
            id=delivery.id,
            alert_id=alert.id,
            channel_id=delivery.channel_id,
            attempts=delivery.attempts,
            key=alert.key,
            urgent=alert.urgent,
            subject=alert.subject,
            body=alert.body,
            payload=dict(alert.payload),
        )
        for delivery, alert in rows
    ]


def claim_delivery(session: Session, delivery_id: int, now: dt.datetime) -> bool:
    """Mark a delivery as being sent; False if another run holds or finished it.

    A single conditional UPDATE, so the check and the claim are one step even
    with two runs on PostgreSQL.
    """
    result = session.execute(
        update(AlertDeliveryRow)
        .where(
            AlertDeliveryRow.id == delivery_id,
            or_(
                AlertDeliveryRow.status.in_(RETRYABLE),
                (AlertDeliveryRow.status == "sending")
                & (AlertDeliveryRow.next_attempt_at <= now - STALE_CLAIM),
            ),
        )
        .values(status="sending", next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def renew_claims(session: Session, delivery_ids: list[int], now: dt.datetime) -> int:
    """Extend the lease of deliveries this run is sending (still "sending")."""
    if not delivery_ids:
        return 0
    result = session.execute(
        update(AlertDeliveryRow)
        .where(AlertDeliveryRow.id.in_(delivery_ids), AlertDeliveryRow.status == "sending")
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _delivery(session: Session, delivery_id: int) -> AlertDeliveryRow:
    row = session.get(AlertDeliveryRow, delivery_id)
    if row is None:
        raise KeyError(f"no alert delivery {delivery_id}")
    return row


def mark_sent(session: Session, delivery_id: int, now: dt.datetime) -> None:
    row = _delivery(session, delivery_id)
    row.status, row.sent_at, row.attempts, row.last_error = "sent", now, row.attempts + 1, None
    row.next_attempt_at = None


def mark_failed(session: Session, delivery_id: int, error: str, retry_at: dt.datetime) -> None:
    row = _delivery(session, delivery_id)
    row.status, row.attempts, row.last_error = "failed", row.attempts + 1, error[:2000]
    row.next_attempt_at = retry_at


def postpone(session: Session, delivery_id: int, until: dt.datetime, reason: str) -> None:
    """Hold a delivery (quiet hours, rate limit) without counting an attempt."""
    row = _delivery(session, delivery_id)
    if row.status != "failed":
        row.status = "pending"
    row.next_attempt_at, row.last_error = until, reason


def sent_since(session: Session, channel_id: str, since: dt.datetime) -> list[dt.datetime]:
    """When this channel sent, since `since`, oldest first (for the rate limit)."""
    return [
        at
        for at in session.scalars(
            select(AlertDeliveryRow.sent_at)
            .where(
                AlertDeliveryRow.channel_id == channel_id,
                AlertDeliveryRow.status == "sent",
                AlertDeliveryRow.sent_at >= since,
            )
            .order_by(AlertDeliveryRow.sent_at)
        )
        if at is not None
    ]


def delivery_states(session: Session, limit: int = 50) -> list[DeliveryState]:
    rows = session.execute(
        select(AlertDeliveryRow, AlertRow)
        .join(AlertRow, AlertRow.id == AlertDeliveryRow.alert_id)
        .order_by(AlertDeliveryRow.id.desc())
        .limit(limit)
    ).all()
    return [
        DeliveryState(
            alert_key=alert.key,
            channel_id=delivery.channel_id,
            status=delivery.status,
            attempts=delivery.attempts,
            last_error=delivery.last_error,
            next_attempt_at=delivery.next_attempt_at,
            sent_at=delivery.sent_at,
            subject=alert.subject,
        )
        for delivery, alert in rows
    ]


def count_alerts(session: Session) -> int:
    return int(session.scalar(select(func.count(AlertRow.id))) or 0)
