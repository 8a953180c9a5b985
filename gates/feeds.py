"""Quality gate for presswatch's feed reader (crawlers.feeds.parse_feed).

1. Every one of the 605 feedparser test-suite files goes through it without an
   exception escaping (FeedError, our named "unusable feed" outcome, is fine).
2. The three real 2017 VnExpress feeds, with stray newlines inside title, link
   and guid, yield 75 entries with clean one-line titles and absolute URLs.

Run: python gates/feeds.py     (exit 1 on any failure)
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATASETS = Path(os.environ.get("PRESSWATCH_DATASETS", ROOT.parent / "shared" / "datasets"))
SUITE = DATASETS / "feedparser_testsuite"
VN_FEEDS = DATASETS / "rss_vn_feeds"
EXPECTED_SUITE_FILES = 605
EXPECTED_VN_ENTRIES = 75
_HEADER = re.compile(rb"Header:\s*content-type:\s*([^\r\n]*?)\s*(?:-->|\r?\n)", re.I)


def main() -> int:
    import logging

    logging.getLogger("crawlers.feeds").setLevel(logging.ERROR)  # bozo warnings expected here
    from crawlers.feeds import FeedError, parse_feed

    if not SUITE.is_dir() or not VN_FEEDS.is_dir():
        print(f"feeds gate: datasets not found under {DATASETS} (set PRESSWATCH_DATASETS)")
        return 1
    files = sorted(p for p in SUITE.rglob("*") if p.is_file() and p.name != "SOURCE.md")
    escaped: list[str] = []
    unusable = parsed = 0
    for path in files:
        body = path.read_bytes()
        header = _HEADER.search(body[:2000])
        content_type = header.group(1).decode("latin-1") if header else None
        try:
            parse_feed(body, f"http://127.0.0.1/{path.relative_to(SUITE).as_posix()}", content_type)
            parsed += 1
        except FeedError:
            unusable += 1
        except Exception as exc:
            escaped.append(f"{path}: {type(exc).__name__}: {exc}")
    print(
        f"feedparser test suite: {len(files)} files, {parsed} parsed, {unusable} reported "
        f"unusable, {len(escaped)} exceptions escaped (floor: {EXPECTED_SUITE_FILES} files, 0)"
    )
    for line in escaped[:20]:
        print("  ", line)

    entries = []
    for path in sorted(VN_FEEDS.glob("*.xml")):
        feed = parse_feed(path.read_bytes(), "https://vnexpress.net/rss/" + path.name)
        entries.extend(feed.entries)
    dirty = [
        e
        for e in entries
        if not e.title
        or "\n" in e.title
        or e.title != e.title.strip()
        or not re.fullmatch(r"https?://[^\s]+", e.link)
    ]
    print(
        f"VnExpress feeds: {len(entries)} entries, {len(dirty)} with a dirty title or URL "
        f"(floor: {EXPECTED_VN_ENTRIES} entries, 0 dirty)"
    )
    for entry in dirty[:5]:
        print("  ", repr(entry.title), repr(entry.link))
    ok = (
        len(files) == EXPECTED_SUITE_FILES
        and not escaped
        and len(entries) == EXPECTED_VN_ENTRIES
        and not dirty
    )
    print("OK" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
