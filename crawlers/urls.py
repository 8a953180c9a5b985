"""Canonical article URLs: one key per article however it was linked."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# courlan knows tracking parameters and fragments; AMP and mobile variants are
# site conventions it leaves alone, so those few rules are ours.
_MOBILE_HOST = re.compile(r"^(?:m|mobile|amp)\.(?=[^.]+\.[^.]+)")
_AMP_TAIL = re.compile(r"/amp/?$")
_AMP_PATH = re.compile(r"(?:/amp(?=/)|\.amp(?=$|\.html?$))")
_AMP_QUERY = {"amp", "outputtype", "amp_js_v", "usqp"}


def canonical_url(url: str) -> str:
    """Lower-case host, no tracking parameters, fragment, AMP or mobile variant."""
    from courlan import normalize_url

    try:
        url = normalize_url(url.strip(), strict=True)
    except ValueError:
        url = url.strip()
    parts = urlsplit(url)
    host = _MOBILE_HOST.sub("", parts.netloc)
    path = _AMP_PATH.sub("", _AMP_TAIL.sub("/", parts.path)) or "/"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k.lower() not in _AMP_QUERY
        ]
    )
    return urlunsplit((parts.scheme, host, path, query, ""))


def same_site(url: str, other: str) -> bool:
    """Same host once www./m. prefixes are ignored (site spiders stay on their site)."""

    def key(value: str) -> str:
        host = urlsplit(value).netloc.lower().split(":")[0]
        return re.sub(r"^(?:www|m|mobile|amp)\.", "", host)

    return key(url) == key(other)


def registered_domain(host: str) -> str:
    """`rss.vnexpress.net` -> `vnexpress.net` (public suffix list); IPs and
    single-label hosts are their own domain."""
    from tld import get_fld

    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    found = get_fld(host, fix_protocol=True, fail_silently=True)
    return str(found) if found else host
