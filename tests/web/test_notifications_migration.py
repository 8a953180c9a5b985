"""Migration 0006 makes the notifications table and takes it away again, on both backends."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from storage.db import Database, alembic_config, upgrade


def test_0006_creates_and_drops_the_notifications_table(database: Database) -> None:
    engine = database.engine
    assert "notifications" in inspect(engine).get_table_names()
    command.downgrade(alembic_config(engine), "0005")
    assert "notifications" not in inspect(engine).get_table_names()
    upgrade(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("notifications")}
    assert {"user_id", "kind", "case_id", "params", "once_key", "created_at", "read_at"} <= columns
