"""ORM models of the library of answers: response templates and their versions.

Kept out of `storage.models` (at its size limit) but on the same `Base`, so the
one metadata (Alembic's env imports this module) holds every table.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models import Base, utcnow

_ID = BigInteger().with_variant(Integer, "sqlite")


class ResponseTemplateRow(Base):
    """A reusable answer to one narrative or one topic. Its words live in versions,
    never edited in place: every save is a new version, so the office can see who
    worded what and when, and the latest is the highest version."""

    __tablename__ = "response_templates"
    __table_args__ = (Index("ix_response_templates_kind_ref", "kind", "ref"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # narrative, topic
    ref: Mapped[str] = mapped_column(String(128))  # the narrative or topic id
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[ResponseTemplateVersionRow]] = relationship(
        back_populates="template",
        order_by="ResponseTemplateVersionRow.version",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class ResponseTemplateVersionRow(Base):
    """One saved wording of a template; (template, version) is unique, so two
    admins saving at once cannot both become version N."""

    __tablename__ = "response_template_versions"
    __table_args__ = (UniqueConstraint("template_id", "version"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("response_templates.id", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    template: Mapped[ResponseTemplateRow] = relationship(back_populates="versions")
