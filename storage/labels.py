"""Repository functions for staff labels: the training data `presswatch train` reads.

One label per (article, task): a later label from anyone replaces the earlier,
so a corrected judgement is what the model learns.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import ArticleRow, LabelRow, utcnow


def add_label(
    session: Session,
    article_id: int,
    task: str,
    label: str,
    given_by: str,
    case_id: int | None = None,
) -> LabelRow:
    """Insert or replace the label of `task` for an article."""
    row = session.scalar(
        select(LabelRow).where(LabelRow.article_id == article_id, LabelRow.task == task)
    )
    if row is None:
        row = LabelRow(article_id=article_id, task=task)
        session.add(row)
    row.label = label
    row.given_by = given_by
    row.case_id = case_id
    row.created_at = utcnow()
    session.flush()
    return row


def training_examples(session: Session) -> list[tuple[str, str, str, str]]:
    """(text, language, task, label) of every label; text is title, blank line, body."""
    query = (
        select(
            ArticleRow.title, ArticleRow.text, ArticleRow.language, LabelRow.task, LabelRow.label
        )
        .join(ArticleRow, ArticleRow.id == LabelRow.article_id)
        .order_by(LabelRow.id)
    )
    examples: list[tuple[str, str, str, str]] = []
    for title, text, language, task, label in session.execute(query):
        combined = f"{title}\n\n{text}" if title and text else (title or text or "")
        examples.append((combined, language or "", task, label))
    return examples
