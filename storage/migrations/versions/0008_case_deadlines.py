"""cases: triage/respond deadlines and the `waiting` pause; users: personal channels

Existing cases get no band and NULL due times (set by the next alerts run) and
zero paused time; existing users get no email or Telegram chat id.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 06:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CASE_COLUMNS = (
    "deadline_band",
    "triage_due_at",
    "respond_due_at",
    "waiting_reason",
    "waiting_since",
    "paused_seconds",
)
USER_COLUMNS = ("email", "telegram_chat_id")


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("deadline_band", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("triage_due_at", UtcDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("respond_due_at", UtcDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("waiting_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("waiting_since", UtcDateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("paused_seconds", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(length=256), nullable=True))
        batch.add_column(sa.Column("telegram_chat_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        for name in reversed(USER_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("cases") as batch:
        for name in reversed(CASE_COLUMNS):
            batch.drop_column(name)
