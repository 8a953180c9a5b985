"""Which crawl shard owns a source: a stable hash of its registered domains, so a
site is only ever crawled by the one worker holding that shard's lock."""

from __future__ import annotations

import hashlib
from urllib.parse import urlparse

from core.config import Settings, Source
from crawlers.urls import registered_domain


def source_domain(source: Source) -> str:
    """The registered domain of the source's first feed or start URL."""
    for url in [*source.feeds, *source.start_urls, *source.sitemaps]:
        host = urlparse(url).hostname
        if host:
            return registered_domain(host)
    return source.id


def shard_of(domain: str, shards: int) -> int:
    # sha1 rather than hash(): Python salts str hashes per process.
    digest = hashlib.sha1(domain.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards


def shard_sources(settings: Settings, shard: int, shards: int) -> list[str]:
    """Ids of the enabled sources whose domain falls in `shard` of `shards`."""
    return [
        source.id
        for source in settings.sources
        if source.enabled and shard_of(source_domain(source), shards) == shard
    ]
