"""What the spider hands to the store: one item per request outcome.

The spider knows HTTP; whoever receives these (pipeline/) knows storage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

PageKind = Literal["feed", "sitemap", "listing", "article"]


@dataclass(kw_only=True, slots=True)
class FetchedPage:
    kind: PageKind
    source_id: str
    url: str
    final_url: str
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    fetched_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    # Feed metadata of an article link, used when the page itself says less.
    entry_title: str = ""
    entry_published_at: dt.datetime | None = None
    warning: str | None = None


@dataclass(kw_only=True, slots=True)
class NotModified:
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
