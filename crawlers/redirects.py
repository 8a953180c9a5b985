"""Where a redirect may lead: only within the source's registered domain(s)
(`vnexpress.net` covers `rss.vnexpress.net`) plus the source's explicit
`redirect_domains`, and never to a private, loopback or link-local address
unless the source itself lives on one (SSRF: a public site must not be able
to point the crawler at the office's own network).

A refused redirect is a permanent failure of the page it answered, stored
under the URL that was asked for; nothing is fetched from the other host
(not even its robots.txt).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from urllib.parse import urljoin, urlsplit

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response

from crawlers.plan import SourcePlan
from crawlers.urls import registered_domain

logger = logging.getLogger(__name__)
REFUSED = "redirect refused"


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return []  # unresolvable: the fetch itself will fail and say so
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def is_internal(host: str) -> bool:
    """Private, loopback, link-local (cloud metadata), or otherwise not public."""
    return any(
        a.is_private or a.is_loopback or a.is_link_local or a.is_reserved or a.is_unspecified
        for a in _addresses(host)
    )


def source_hosts(source: SourcePlan) -> set[str]:
    return {
        (urlsplit(url).hostname or "").lower()
        for url in (*source.feeds, *source.start_urls, *source.sitemaps)
    } - {""}


def redirect_problem(source: SourcePlan, target: str) -> str | None:
    """Why following a redirect to `target` is refused, or None when allowed."""
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https"):
        return f"{REFUSED}: to a {parts.scheme or 'relative'} URL {target}"
    host = (parts.hostname or "").lower()
    hosts = source_hosts(source)
    allowed = {registered_domain(h) for h in hosts} | {
        d.lower().lstrip(".") for d in source.redirect_domains
    }
    domain = registered_domain(host)
    if domain not in allowed and not any(host.endswith(f".{d}") for d in allowed):
        return f"{REFUSED}: {target} is outside the source's domains ({', '.join(sorted(allowed))})"
    if is_internal(host) and not any(is_internal(h) for h in hosts):
        return f"{REFUSED}: {target} points at a private or local address"
    return None


class RedirectPolicyMiddleware:
    """Sits before Scrapy's RedirectMiddleware (it sees responses first) and
    refuses what the policy above does not allow."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectPolicyMiddleware:
        return cls()

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in (301, 302, 303, 307, 308) or b"Location" not in response.headers:
            return response
        source = request.cb_kwargs.get("source")
        if not isinstance(source, SourcePlan):
            return response  # robots.txt and other requests of Scrapy's own
        location = (response.headers.get(b"Location") or b"").decode("latin-1")
        # Every hop is checked: Scrapy's redirected request keeps the cb_kwargs.
        problem = redirect_problem(source, urljoin(request.url, location))
        if problem is not None:
            logger.warning("%s: %s", request.url, problem)
            raise IgnoreRequest(problem)
        return response
