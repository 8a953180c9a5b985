"""The one record type that flows through the pipeline. A leaf module.

Crawlers produce `Snapshot` (what a server said) and `Article` (what we
extracted from it); storage persists them; `nlp` reads an Article as a
`core.analysis.Document` and its results are stored against the article id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

PageKind = Literal["feed", "sitemap", "listing", "article"]


@dataclass(kw_only=True, slots=True)
class Snapshot:
    """One response as the server sent it: the evidence every later stage points to."""

    url: str
    final_url: str
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    fetched_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    source_id: str | None = None
    kind: PageKind = "article"
    id: int | None = None
    # Feed metadata of an article link, used when the page itself says less.
    entry_title: str = ""
    entry_published_at: dt.datetime | None = None
    warning: str | None = None


@dataclass(kw_only=True, slots=True)
class NotModified:
    """A conditional GET answered 304: nothing new at this URL."""

    kind: PageKind
    source_id: str
    url: str


@dataclass(kw_only=True, slots=True)
class FetchFailed:
    kind: PageKind
    source_id: str
    url: str
    error: str
    status: int | None = None
    # Never worth retrying (404, not HTML, too large, robots.txt); else retried next run.
    permanent: bool = False
    retry_after: str | None = None  # the server's Retry-After header, as sent


@dataclass(kw_only=True, slots=True)
class FeedPolled:
    """One feed's answer, for adaptive polling: how many entries, how many known."""

    source_id: str
    url: str
    entries: int = 0
    seen: int = 0
    advertised_minutes: int | None = None


@dataclass(kw_only=True, slots=True)
class Article:
    url: str
    canonical_url: str
    source_id: str | None = None
    snapshot_id: int | None = None
    title: str = ""
    lead: str = ""
    text: str = ""
    authors: list[str] = field(default_factory=list)
    published_at: dt.datetime | None = None
    language: str | None = None
    content_hash: str = ""
    story_id: int | None = None
    relevant: bool = False
    places: list[dict[str, Any]] = field(default_factory=list)
    id: int | None = None
    # Filled when read back from storage, for convenience of later stages.
    origin: str | None = None
    source_name: str | None = None
