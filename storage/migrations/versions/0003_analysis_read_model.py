"""analyses.stance and analysis_labels: what article lists filter on, in SQL

Topics, narratives and rebuttals move out of the `result` JSON into a child
table (kind, ref, score) and the stance label into a column, so the web app's
filters are SQL conditions instead of Python loops over the JSON. Existing
rows are backfilled from their `result`, read by `AnalysisResult.from_json`,
the one reader of that JSON.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from core.analysis import AnalysisResult

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BATCH = 500

_analyses = sa.table(
    "analyses",
    sa.column("id", sa.BigInteger()),
    sa.column("result", sa.JSON()),
    sa.column("stance", sa.String(16)),
)
_labels = sa.table(
    "analysis_labels",
    sa.column("analysis_id", sa.BigInteger()),
    sa.column("kind", sa.String(16)),
    sa.column("ref", sa.String(128)),
    sa.column("score", sa.Float()),
)


def upgrade() -> None:
    op.add_column("analyses", sa.Column("stance", sa.String(length=16), nullable=True))
    op.create_table(
        "analysis_labels",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "analysis_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=128), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["analysis_id"],
            ["analyses.id"],
            name=op.f("fk_analysis_labels_analysis_id_analyses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_labels")),
        sa.UniqueConstraint(
            "analysis_id", "kind", "ref", name=op.f("uq_analysis_labels_analysis_id")
        ),
    )
    op.create_index("ix_analysis_labels_kind_ref", "analysis_labels", ["kind", "ref"])
    _backfill(op.get_bind())


def _backfill(connection: sa.Connection) -> None:
    """Stance and labels of every existing analysis, in batches by id."""
    after = 0
    while True:
        rows = connection.execute(
            sa.select(_analyses.c.id, _analyses.c.result)
            .where(_analyses.c.id > after)
            .order_by(_analyses.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        labels: list[dict[str, Any]] = []
        for analysis_id, data in rows:
            result = AnalysisResult.from_json(data if isinstance(data, dict) else {})
            connection.execute(
                _analyses.update()
                .where(_analyses.c.id == analysis_id)
                .values(stance=result.stance.label or None)
            )
            labels.extend(
                {"analysis_id": analysis_id, "kind": kind, "ref": ref, "score": score}
                for kind, ref, score in result.labels()
            )
        if labels:
            connection.execute(_labels.insert(), labels)
        after = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_analysis_labels_kind_ref", table_name="analysis_labels")
    op.drop_table("analysis_labels")
    with op.batch_alter_table("analyses") as batch:
        batch.drop_column("stance")
