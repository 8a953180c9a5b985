"""What the case and article pages show of article versions (issue 15): per article, each
version after the first with its changes and its word (English) or syllable
(Vietnamese) diff against the version before, as chunks the template marks up
with <del> and <ins> (escaped by Jinja, never trusted as HTML)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.recrawl.diff import DiffChunk, diff_texts
from storage.version_views import ArticleHistory, ChangeView

# Equal runs longer than this many words are shortened around the changes.
CONTEXT_WORDS = 12


@dataclass(frozen=True, kw_only=True, slots=True)
class VersionDiff:
    version: int
    fetched_at: dt.datetime
    changes: tuple[ChangeView, ...]
    old_title: str | None  # set when the title changed
    title: str
    chunks: tuple[DiffChunk, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class ArticleVersions:
    article_id: int
    title: str
    first_fetched_at: dt.datetime | None
    diffs: tuple[VersionDiff, ...]
    # Changes that made no version of their own (a deletion).
    other_changes: tuple[ChangeView, ...]


def _shorten(chunk: DiffChunk, first: bool, last: bool) -> DiffChunk:
    words = chunk.old.split()
    if chunk.op != "equal" or len(words) <= 2 * CONTEXT_WORDS:
        return chunk
    head = [] if first else words[:CONTEXT_WORDS]
    tail = [] if last else words[-CONTEXT_WORDS:]
    text = " ".join([*head, "…", *tail])
    return DiffChunk("equal", text, text)


def _chunks(old: str, new: str) -> tuple[DiffChunk, ...]:
    found = diff_texts(old, new).chunks
    return tuple(_shorten(chunk, n == 0, n == len(found) - 1) for n, chunk in enumerate(found))


def article_versions(history: ArticleHistory) -> ArticleVersions:
    diffs = []
    with_version: set[int] = set()
    for before, after in zip(history.versions, history.versions[1:], strict=False):
        changes = tuple(c for c in history.changes if c.to_version == after.version)
        with_version.update(id(c) for c in changes)
        diffs.append(
            VersionDiff(
                version=after.version,
                fetched_at=after.fetched_at,
                changes=changes,
                old_title=before.title if before.title != after.title else None,
                title=after.title,
                chunks=_chunks(before.text, after.text),
            )
        )
    return ArticleVersions(
        article_id=history.article_id,
        title=history.title,
        first_fetched_at=history.versions[0].fetched_at if history.versions else None,
        diffs=tuple(diffs),
        other_changes=tuple(c for c in history.changes if id(c) not in with_version),
    )


def case_versions(histories: list[ArticleHistory]) -> list[ArticleVersions]:
    """What `_versions.html` shows, on the case page (the story's articles) and on the
    article page (the one article)."""
    return [article_versions(h) for h in histories]
