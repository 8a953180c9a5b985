"""RSS 0.9x/1.0/2.0 and Atom feeds into entries, with feedparser.

A malformed feed (bozo) is used as far as it parses, with a warning naming
the feed; only a feed with nothing usable raises FeedError.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

logger = logging.getLogger(__name__)
_SPACES = re.compile(r"\s+")


class FeedError(Exception):
    """A feed that yields nothing usable (not XML, not a feed)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class FeedEntry:
    link: str
    title: str = ""
    guid: str = ""
    published_at: dt.datetime | None = None
    summary: str = ""


@dataclass(kw_only=True, slots=True)
class Feed:
    url: str
    title: str = ""
    entries: list[FeedEntry] = field(default_factory=list)
    warning: str | None = None
    # How often the feed says it changes (sy:updatePeriod/Frequency, or RSS ttl).
    advertised_minutes: int | None = None


def clean_text(value: Any) -> str:
    """One line, NFC: feeds copied through viewers carry newlines inside titles."""
    if not isinstance(value, str):
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def _clean_link(value: Any, base: str) -> str:
    if not isinstance(value, str):
        return ""
    link = "".join(value.split())
    if not link:
        return ""
    absolute = urljoin(base, link)
    return absolute if urlsplit(absolute).scheme in {"http", "https"} else ""


def _entry_time(entry: Any) -> dt.datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return dt.datetime.fromtimestamp(calendar.timegm(value), dt.UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _entry_link(entry: Any, base: str) -> str:
    link = _clean_link(entry.get("link"), base)
    if link:
        return link
    for candidate in entry.get("links") or []:
        if candidate.get("rel", "alternate") == "alternate":
            link = _clean_link(candidate.get("href"), base)
            if link:
                return link
    guid = entry.get("id")
    if entry.get("guidislink") or (isinstance(guid, str) and guid.strip().startswith("http")):
        return _clean_link(guid, base)
    return ""


_PERIOD_MINUTES = {"hourly": 60, "daily": 1440, "weekly": 10080, "monthly": 43200, "yearly": 525600}


def advertised_minutes(channel: Any) -> int | None:
    """Minutes between updates the feed advertises, None when it says nothing usable."""
    period = _PERIOD_MINUTES.get(str(channel.get("sy_updateperiod") or "").strip().lower())
    if period is not None:
        try:
            frequency = max(1, int(str(channel.get("sy_updatefrequency") or "1").strip()))
        except ValueError:
            frequency = 1
        return max(1, period // frequency)
    ttl = str(channel.get("ttl") or "").strip()
    return int(ttl) if ttl.isdigit() and int(ttl) > 0 else None


def _usable_content_type(body: bytes, content_type: str | None) -> str | None:
    """The Content-Type worth telling feedparser, or None to let it read the bytes.

    Servers label feeds text/html, and some declare a charset the bytes are not
    in (Vietnam News says UTF-16 and sends UTF-8): the bytes win.
    """
    if not content_type:
        return None
    media = content_type.split(";")[0].strip().lower()
    if not any(word in media for word in ("xml", "rss", "atom")):
        return None
    found = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.I)
    if found and found.group(1).lower().replace("_", "-") not in {"utf-8", "utf8"}:
        if body.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")):
            return content_type
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return content_type
        found = None
    if not found and media.startswith("text/"):
        # RFC 3023 reads charset-less text/xml as US-ASCII; application/xml trusts the
        # document's own declaration, which is what servers mean.
        return "application/xml"
    return media if not found else content_type


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> Feed:
    """Entries with an absolute http(s) link; raise FeedError if the feed is unusable."""
    import feedparser

    content_type = _usable_content_type(body, content_type)
    # Headers only when the server sent a type: feedparser flags their absence as bozo.
    headers = {"content-type": content_type, "content-location": url} if content_type else None
    try:
        parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    except Exception as exc:  # feedparser's own bugs on hostile input must not escape
        raise FeedError(f"{url}: feed parser crashed: {type(exc).__name__}: {exc}") from exc
    base = url
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for entry in parsed.get("entries") or []:
        link = _entry_link(entry, base)
        if not link or link in seen:
            continue
        seen.add(link)
        entries.append(
            FeedEntry(
                link=link,
                title=clean_text(entry.get("title")),
                guid=clean_text(entry.get("id")),
                published_at=_entry_time(entry),
                summary=clean_text(entry.get("summary"))[:1000],
            )
        )
    channel = parsed.get("feed") or {}
    feed = Feed(
        url=url,
        title=clean_text(channel.get("title")),
        entries=entries,
        advertised_minutes=advertised_minutes(channel),
    )
    if parsed.get("bozo"):
        reason = parsed.get("bozo_exception")
        if not entries and not parsed.get("version"):
            raise FeedError(f"{url}: not a usable feed: {reason}")
        feed.warning = f"{url}: malformed feed, used {len(entries)} entries as parsed: {reason}"
        logger.warning("%s", feed.warning)
    return feed
