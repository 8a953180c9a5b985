"""article_versions, article_changes and recrawl_due: recrawl and diff (issue 15)

Every refetch that changes an article adds a version (the snapshot it came
from is new; the original is never overwritten); each edit, deletion or
restoration is a change; recrawl_due is the schedule of refetches.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = storage.models.UtcDateTime(timezone=True)


def _article_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["article_id"],
        ["articles.id"],
        name=op.f(f"fk_{table}_article_id_articles"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "article_versions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("article_id", _ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", _ID, nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("fetched_at", _TIME, nullable=False),
        _article_fk("article_versions"),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["snapshots.id"],
            name=op.f("fk_article_versions_snapshot_id_snapshots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_versions")),
        sa.UniqueConstraint("article_id", "version", name=op.f("uq_article_versions_article_id")),
    )
    op.create_table(
        "article_changes",
        sa.Column("id", _ID, nullable=False),
        sa.Column("article_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=False),
        sa.Column("to_version", sa.Integer(), nullable=False),
        sa.Column("detected_at", _TIME, nullable=False),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        _article_fk("article_changes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_changes")),
        sa.UniqueConstraint(
            "article_id", "kind", "to_version", name=op.f("uq_article_changes_article_id")
        ),
    )
    op.create_index("ix_article_changes_detected_at", "article_changes", ["detected_at"])
    op.create_table(
        "recrawl_due",
        sa.Column("id", _ID, nullable=False),
        sa.Column("article_id", _ID, nullable=False),
        sa.Column("due_kind", sa.String(length=32), nullable=False),
        sa.Column("due_at", _TIME, nullable=False),
        sa.Column("done_at", _TIME, nullable=True),
        _article_fk("recrawl_due"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recrawl_due")),
        sa.UniqueConstraint("article_id", "due_kind", name=op.f("uq_recrawl_due_article_id")),
    )
    op.create_index("ix_recrawl_due_due_at", "recrawl_due", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_recrawl_due_due_at", table_name="recrawl_due")
    op.drop_table("recrawl_due")
    op.drop_index("ix_article_changes_detected_at", table_name="article_changes")
    op.drop_table("article_changes")
    op.drop_table("article_versions")
