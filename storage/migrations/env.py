"""Alembic environment: the engine comes from storage.db, never from an ini file."""

from __future__ import annotations

from alembic import context

import storage.answers_models  # noqa: F401 -- its tables join Base.metadata
from storage import version_models  # noqa: F401 -- its tables join Base.metadata
from storage.models import Base

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # APScheduler's job store keeps its own table in the same database.
        include_name=lambda name, type_, parent: (
            not (type_ == "table" and name == "apscheduler_jobs")
        ),
    )
    with context.begin_transaction():
        context.run_migrations()
