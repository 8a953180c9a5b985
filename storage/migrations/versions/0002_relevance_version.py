"""articles.relevance_version: which watch list and gazetteer rules decided relevance

Existing rows get NULL (never decided under any version), so the first
`presswatch process` after the upgrade decides each of them once.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("relevance_version", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("relevance_version")
