"""ORM models of recrawl (issue 15): article versions, detected changes and the
due schedule of refetches. On the shared `Base` (Alembic's env imports this
module) but out of `storage.models`, which is at its size limit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, utcnow

_ID = BigInteger().with_variant(Integer, "sqlite")


class ArticleVersionRow(Base):
    """One extracted text of an article; version 1 is what the crawl stored.
    (article, version) is unique so two recrawls cannot both add version N."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"))
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    text_hash: Mapped[str] = mapped_column(String(64))
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ArticleChangeRow(Base):
    """An edit (title or body), a deletion or a restoration seen by a recrawl."""

    __tablename__ = "article_changes"
    __table_args__ = (
        UniqueConstraint("article_id", "kind", "to_version"),
        Index("ix_article_changes_detected_at", "detected_at"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # title, body, deleted, restored
    from_version: Mapped[int] = mapped_column(Integer)
    to_version: Mapped[int] = mapped_column(Integer)
    detected_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)


class RecrawlDueRow(Base):
    """When an article is to be fetched again; (article, due kind) is unique so
    a rerun of the scheduler adds nothing. `done_at` NULL: still to fetch."""

    __tablename__ = "recrawl_due"
    __table_args__ = (
        UniqueConstraint("article_id", "due_kind"),
        Index("ix_recrawl_due_due_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    due_kind: Mapped[str] = mapped_column(String(32))  # "24h", "7d", "daily:2026-12-03"
    due_at: Mapped[dt.datetime]
    done_at: Mapped[dt.datetime | None]
