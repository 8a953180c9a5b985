"""fetch_state: adaptive polling state per feed (period, next poll, disabled reason)

Existing feeds get NULL: due at once, starting from their source's interval.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = ("poll_minutes", "next_poll_at", "polls_ok", "last_new_at", "disabled_reason")


def upgrade() -> None:
    with op.batch_alter_table("fetch_state") as batch:
        batch.add_column(sa.Column("poll_minutes", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("next_poll_at", UtcDateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("polls_ok", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch.add_column(sa.Column("last_new_at", UtcDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("disabled_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fetch_state") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
