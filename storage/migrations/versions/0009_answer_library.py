"""response_templates and their versions: the library of answers per narrative or topic

A template names what it answers (a narrative or a topic id) and a title; its
wording is a list of versions, one per save, with author and time.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "response_templates",
        sa.Column("id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_templates")),
    )
    op.create_index("ix_response_templates_kind_ref", "response_templates", ["kind", "ref"])
    op.create_table(
        "response_template_versions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("template_id", _ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["response_templates.id"],
            name=op.f("fk_response_template_versions_template_id_response_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_template_versions")),
        sa.UniqueConstraint(
            "template_id", "version", name=op.f("uq_response_template_versions_template_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("response_template_versions")
    op.drop_index("ix_response_templates_kind_ref", table_name="response_templates")
    op.drop_table("response_templates")
