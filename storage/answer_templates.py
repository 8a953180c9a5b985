"""Response templates per narrative or topic, versioned: a save never overwrites,
it adds the next version with its author and time, and the latest is the highest.

Who may save is the web app's rule (admins); this module only stores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from core.errors import PresswatchError
from storage.answers_models import ResponseTemplateRow, ResponseTemplateVersionRow

KINDS = ("narrative", "topic")
# A concurrent save taking the same version number is retried this many times.
_SAVE_ATTEMPTS = 3


class TemplateError(PresswatchError):
    """An unknown template, or a template for something that is not a narrative or topic."""


@dataclass(frozen=True, kw_only=True, slots=True)
class TemplateVersion:
    version: int
    text: str
    author: str
    created_at: dt.datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class ResponseTemplate:
    id: int
    kind: str
    ref: str
    title: str
    created_at: dt.datetime
    history: tuple[TemplateVersion, ...]  # newest first

    @property
    def latest(self) -> TemplateVersion:
        return self.history[0]


def _to_template(row: ResponseTemplateRow) -> ResponseTemplate:
    history = tuple(
        TemplateVersion(version=v.version, text=v.text, author=v.author, created_at=v.created_at)
        for v in sorted(row.versions, key=lambda v: v.version, reverse=True)
    )
    return ResponseTemplate(
        id=row.id,
        kind=row.kind,
        ref=row.ref,
        title=row.title,
        created_at=row.created_at,
        history=history,
    )


def create_template(
    session: Session, *, kind: str, ref: str, title: str, text: str, author: str
) -> ResponseTemplate:
    """A new template with its first version."""
    if kind not in KINDS:
        raise TemplateError(f"unknown template kind {kind!r}: choose one of {', '.join(KINDS)}")
    row = ResponseTemplateRow(kind=kind, ref=ref, title=title.strip() or ref)
    row.versions.append(ResponseTemplateVersionRow(version=1, text=text, author=author))
    session.add(row)
    session.flush()
    return _to_template(row)


def save_version(session: Session, template_id: int, text: str, author: str) -> TemplateVersion:
    """Add the next version of a template's text (the same text again adds nothing).

    The next number is read, then inserted in a savepoint: when another save took it
    in between, the unique (template, version) refuses ours and we read again."""
    for _ in range(_SAVE_ATTEMPTS):
        template = get_template(session, template_id)
        if template.latest.text == text:
            return template.latest
        row = ResponseTemplateVersionRow(
            template_id=template_id, version=template.latest.version + 1, text=text, author=author
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            session.expire_all()
            continue
        return TemplateVersion(
            version=row.version, text=row.text, author=row.author, created_at=row.created_at
        )
    raise TemplateError(f"template #{template_id} is being saved by someone else: try again")


def get_template(session: Session, template_id: int) -> ResponseTemplate:
    row = session.scalar(
        select(ResponseTemplateRow)
        .where(ResponseTemplateRow.id == template_id)
        .options(selectinload(ResponseTemplateRow.versions))
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise TemplateError(f"no response template #{template_id}")
    return _to_template(row)


def templates_for(session: Session, subjects: Iterable[tuple[str, str]]) -> list[ResponseTemplate]:
    """The templates answering any of the (kind, ref) subjects, in the subjects'
    order (a case page lists its narratives before its topics), oldest first within one."""
    wanted = list(dict.fromkeys(subjects))
    if not wanted:
        return []
    rows = session.scalars(
        select(ResponseTemplateRow)
        .where(
            or_(
                *(
                    (ResponseTemplateRow.kind == kind) & (ResponseTemplateRow.ref == ref)
                    for kind, ref in wanted
                )
            )
        )
        .options(selectinload(ResponseTemplateRow.versions))
        .order_by(ResponseTemplateRow.id)
    )
    rank = {subject: n for n, subject in enumerate(wanted)}
    found = [_to_template(row) for row in rows if row.versions]
    return sorted(found, key=lambda t: (rank[(t.kind, t.ref)], t.id))


def template_counts(session: Session) -> dict[tuple[str, str], int]:
    """(kind, ref) -> how many templates answer it."""
    rows = session.execute(
        select(ResponseTemplateRow.kind, ResponseTemplateRow.ref, func.count()).group_by(
            ResponseTemplateRow.kind, ResponseTemplateRow.ref
        )
    )
    return {(kind, ref): int(n) for kind, ref, n in rows}
