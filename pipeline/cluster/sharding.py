"""Which crawl shard owns a source: a stable hash of its registered domains, so a
site is only ever crawled by the one worker holding that shard's lock.

A source may reach several domains (a feed on one host, sections on another, the
`redirect_domains` its links lead to), and two sources may share one. Hashing only
a source's first domain would then put one site in two shards, crawled at once by
two workers. So sources that share any domain are joined into one group (the
connected components of the source-domain graph) and a group is hashed by its
smallest domain: a site is in exactly one shard. Adding a source that bridges two
groups can move one group to another shard; each shard job reads the config it
was started with, so nodes should share one config.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from urllib.parse import urlparse

from core.config import Settings, Source
from crawlers.urls import registered_domain


def source_domains(source: Source) -> set[str]:
    """The registered domains the source's crawl may request; a source with no
    URL at all stands for itself (it crawls nothing, but still needs a shard)."""
    urls = [*source.feeds, *source.start_urls, *source.sitemaps]
    hosts = [urlparse(url).hostname for url in urls]
    domains = {registered_domain(host) for host in hosts if host}
    domains.update(registered_domain(d.lstrip(".")) for d in source.redirect_domains if d)
    return domains or {f"source:{source.id}"}


def source_domain(source: Source) -> str:
    """One registered domain of the source, the same on every node (its smallest)."""
    return min(source_domains(source))


def shard_of(domain: str, shards: int) -> int:
    # sha1 rather than hash(): Python salts str hashes per process.
    digest = hashlib.sha1(domain.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards


def domain_groups(sources: Sequence[Source]) -> list[tuple[str, list[str]]]:
    """(group key, source ids) for sources joined by shared domains; the key is
    the group's smallest domain."""
    parent: dict[str, str] = {}

    def root(domain: str) -> str:
        parent.setdefault(domain, domain)
        while parent[domain] != domain:
            parent[domain] = parent[parent[domain]]  # path halving
            domain = parent[domain]
        return domain

    owned = {source.id: sorted(source_domains(source)) for source in sources}
    for domains in owned.values():
        first = root(domains[0])
        for other in domains[1:]:
            # The smaller root wins, so the key is the smallest domain of the group.
            low, high = sorted((first, root(other)))
            parent[high] = low
            first = low
    groups: dict[str, list[str]] = {}
    for source_id, domains in owned.items():
        groups.setdefault(root(domains[0]), []).append(source_id)
    return sorted(groups.items())


def source_shards(settings: Settings, shards: int) -> dict[str, int]:
    """Shard of each enabled source."""
    enabled = [source for source in settings.sources if source.enabled]
    return {
        source_id: shard_of(key, shards)
        for key, source_ids in domain_groups(enabled)
        for source_id in source_ids
    }


def shard_sources(settings: Settings, shard: int, shards: int) -> list[str]:
    """Ids of the enabled sources whose domain group falls in `shard` of `shards`."""
    owner = source_shards(settings, shards)
    return [source.id for source in settings.sources if owner.get(source.id) == shard]
