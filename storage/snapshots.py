"""Repository functions for snapshots: raw evidence of what a page said."""

from __future__ import annotations

import functools
import hashlib
import zlib
from collections.abc import Callable, Iterator
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.record import Snapshot
from storage.models import SnapshotRow

# The mapped table, for Core inserts on the crawl's hot path.
SNAPSHOTS = cast(Table, SnapshotRow.__table__)
# Dialects with INSERT ... ON CONFLICT DO NOTHING RETURNING (SQLite >= 3.35, PostgreSQL).
UPSERT: dict[str, Callable[[Table], Any]] = {"sqlite": sqlite_insert, "postgresql": pg_insert}


@functools.cache
def insert_new_statement(dialect: str, table: Table, *conflict_columns: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, built once per table: the
    values go as parameters, so no statement is rebuilt (and re-keyed for the
    compiled cache) per row."""
    statement = UPSERT[dialect](table).on_conflict_do_nothing(
        index_elements=list(conflict_columns) or None
    )
    return statement.returning(table.c.id)


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _existing(session: Session, url: str, digest: str) -> int | None:
    return session.scalar(
        select(SnapshotRow.id).where(SnapshotRow.url == url, SnapshotRow.content_hash == digest)
    )


def save_snapshot(session: Session, snapshot: Snapshot) -> int:
    """Store the bytes compressed; the same bytes for the same URL are stored once
    (also when two crawls store them at the same moment)."""
    digest = content_hash(snapshot.body)
    values = {
        "url": snapshot.url,
        "final_url": snapshot.final_url,
        "source_id": snapshot.source_id,
        "status": snapshot.status,
        "headers": dict(snapshot.headers),
        "fetched_at": snapshot.fetched_at,
        "content_hash": digest,
        "size": len(snapshot.body),
        "body": zlib.compress(snapshot.body, 6),
    }
    dialect = session.get_bind().dialect.name
    if dialect in UPSERT:
        # Insert first, look up only when the bytes were there already: a crawled
        # page is almost always new, and a look-up, a savepoint and an ORM flush
        # per page were most of its storage cost. ON CONFLICT DO NOTHING also
        # settles two crawls storing the same bytes at once.
        statement = insert_new_statement(dialect, SNAPSHOTS)
        inserted = session.connection().execute(statement, values).scalar()
        snapshot_id = inserted if inserted is not None else _existing(session, snapshot.url, digest)
        if snapshot_id is None:
            raise RuntimeError(f"snapshot of {snapshot.url} neither inserted nor found")
        snapshot.id = snapshot_id
        return snapshot_id
    existing = _existing(session, snapshot.url, digest)
    if existing is not None:
        snapshot.id = existing
        return existing
    try:
        with session.begin_nested():
            result = session.connection().execute(insert(SNAPSHOTS).values(values))
    except IntegrityError:
        raced = _existing(session, snapshot.url, digest)
        if raced is None:
            raise
        snapshot.id = raced
        return raced
    key = result.inserted_primary_key
    assert key is not None  # an INSERT always has one
    snapshot.id = int(key[0])
    return snapshot.id


def _from_row(row: SnapshotRow) -> Snapshot:
    return Snapshot(
        id=row.id,
        url=row.url,
        final_url=row.final_url,
        status=row.status,
        body=zlib.decompress(row.body),
        headers=dict(row.headers or {}),
        fetched_at=row.fetched_at,
        source_id=row.source_id,
    )


def load_snapshot(session: Session, snapshot_id: int) -> Snapshot:
    row = session.get(SnapshotRow, snapshot_id)
    if row is None:
        raise KeyError(f"no snapshot {snapshot_id}")
    return _from_row(row)


def iter_snapshots(session: Session, batch_size: int = 200) -> Iterator[Snapshot]:
    """Every snapshot, oldest first, in batches (for `presswatch reextract`)."""
    last_id = 0
    while True:
        rows = list(
            session.scalars(
                select(SnapshotRow)
                .where(SnapshotRow.id > last_id)
                .order_by(SnapshotRow.id)
                .limit(batch_size)
            )
        )
        if not rows:
            return
        for row in rows:
            yield _from_row(row)
        last_id = rows[-1].id


def snapshot_batch(session: Session, after_id: int, limit: int = 100) -> list[Snapshot]:
    """Snapshots with ids above `after_id`, oldest first: page through without a long read."""
    rows = session.scalars(
        select(SnapshotRow).where(SnapshotRow.id > after_id).order_by(SnapshotRow.id).limit(limit)
    )
    return [_from_row(row) for row in rows]
