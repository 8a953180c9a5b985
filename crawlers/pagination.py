"""The next page of a section listing, found by what it is rather than by where
it lives: `rel="next"`, a "Trang sau"/"Tiếp"/"Next" link, the page number after
the current one in a pager, or the same listing URL with its page number
(`?page=N`, `?p=N`, `/trang-N`, `/page/N`, `-pN`) one higher, when the page
links to it; an arrow ("›", "»", ">") only as a last resort ("»" is often the
last page). Pure functions over a parsel selector and the page URL.

Only a link on the page is ever returned (nothing is guessed), on the page's
registered domain, never the page itself and never an article link: the caller
keeps the seen set and the page limit.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlsplit

from parsel import Selector

from crawlers.urls import registered_domain

_NEXT_WORDS = {
    "trang sau",
    "trang tiep",
    "trang tiep theo",
    "tiep",
    "tiep theo",
    "sau",
    "next",
    "next page",
    "older",
    "older posts",
    "older entries",
}
_ARROWS = "›»>→"
_ARROW_RANK = {"›": 0, ">": 1, "→": 2, "»": 3}  # "»" last: often "last page"
_PAGER = re.compile(r"pag|phan-?trang", re.IGNORECASE)
_CURRENT = re.compile(r"\b(?:active|current|selected|cur)\b", re.IGNORECASE)
_QUERY_KEYS = {"page", "p", "trang", "paged"}
_PATH_FORMS = (
    re.compile(r"/(?:trang|page)[-/](\d{1,5})(?=/?$|\.html?$)", re.IGNORECASE),
    re.compile(r"-p(\d{1,5})(?=/?$|\.html?$)", re.IGNORECASE),
)
_MAX_PAGE = 100_000
_domain = functools.lru_cache(maxsize=4096)(registered_domain)  # asked once per link


def fold(text: str) -> str:
    """Lower case, no diacritics (đ -> d), whitespace collapsed: "Trang  Sau" -> "trang sau"."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.lower().split())


def page_of(url: str) -> tuple[str, int]:
    """(the listing, its page number): every page of one listing shares the first.

    `/thoi-su/`, `/thoi-su/trang-2/`, `/thoi-su?page=3` and `/thoi-su-p4` are pages
    1, 2, 3 and 4 of one listing; a URL without a page number is page 1.
    """
    parts = urlsplit(url)
    number: int | None = None
    kept = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if number is None and key.lower() in _QUERY_KEYS and value.isdigit():
            number = int(value)
        else:
            kept.append((key, value))
    path = parts.path
    if number is None:
        for form in _PATH_FORMS:
            if match := form.search(path):
                number = int(match[1])
                path = path[: match.start()] + path[match.end() :]
                break
    path = re.sub(r"(?:\.html?|/+)$", "", path)
    host = re.sub(r"^(?:www|m)\.", "", (parts.hostname or "").lower())
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{path}?{urlencode(sorted(kept))}", 1 if number is None else number


def same_listing(url: str, other: str) -> bool:
    """Two pages of one listing (whatever their page numbers)."""
    return page_of(url)[0] == page_of(other)[0]


def _text(element: Any) -> str:
    return fold("".join(element.itertext()))


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() and 0 < int(text) < _MAX_PAGE else None


class _Page:
    """The page, and the filter every candidate link passes."""

    def __init__(self, selector: Selector, url: str, is_article: Callable[[str], bool]) -> None:
        self.url = url
        self.root = selector.root
        base = selector.xpath("//base/@href").get()
        self.base = urljoin(url, base.strip()) if base else url
        self.itself = page_of(url)
        self.domain = _domain(urlsplit(url).hostname or "")
        self.is_article = is_article

    def resolve(self, href: str | None) -> str | None:
        """An acceptable listing URL for this href, or None."""
        href = (href or "").strip()
        if not href or href.startswith("#"):
            return None
        target = urldefrag(urljoin(self.base, href))[0]
        parts = urlsplit(target)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            return None
        if _domain(parts.hostname) != self.domain or self.is_article(target):
            return None
        return None if page_of(target) == self.itself else target

    def anchors(self) -> Iterator[Any]:
        if not hasattr(self.root, "iter"):
            return
        for element in self.root.iter("a"):
            if element.get("href"):
                yield element


def _by_rel(selector: Selector, page: _Page) -> str | None:
    for href in selector.xpath(
        "//link[@href][contains(concat(' ', translate(normalize-space(@rel),"
        " 'NEXT', 'next'), ' '), ' next ')]/@href"
        " | //a[@href][contains(concat(' ', translate(normalize-space(@rel),"
        " 'NEXT', 'next'), ' '), ' next ')]/@href"
    ).getall():
        if url := page.resolve(href):
            return url
    return None


def _by_words(page: _Page) -> str | None:
    for anchor in page.anchors():
        labels = (
            _text(anchor),
            fold(anchor.get("title") or ""),
            fold(anchor.get("aria-label") or ""),
        )
        for label in labels:
            if label.strip(_ARROWS + " ") in _NEXT_WORDS and (
                url := page.resolve(anchor.get("href"))
            ):
                return url
    return None


def _by_arrow(page: _Page) -> str | None:
    best: tuple[int, str] | None = None
    for anchor in page.anchors():
        rank = _ARROW_RANK.get(_text(anchor).replace(" ", ""))
        if (
            rank is not None
            and (best is None or rank < best[0])
            and (url := page.resolve(anchor.get("href")))
        ):
            best = (rank, url)
    return best[1] if best else None


def _numbered(element: Any) -> int:
    """How many page numbers an element holds: numbered links and plain numbers."""
    count = 0
    for inner in element.iter():
        if not isinstance(inner.tag, str):
            continue
        if inner.tag == "a":
            count += bool(inner.get("href") and _number(_text(inner)))
        elif _number((inner.text or "").strip()) and not any(
            a.tag == "a" for a in inner.iterancestors()
        ):
            count += 1
    return count


def _container(anchor: Any) -> Any:
    """The pager around a numbered link: the nearest element holding two page
    numbers or more that is named like one (class/id) or holds two numbered links."""
    element = anchor.getparent()
    for _ in range(4):
        if element is None or element.tag in {"body", "html"}:
            return None
        named = _PAGER.search(f"{element.get('class') or ''} {element.get('id') or ''}")
        links = [a for a in element.iter("a") if a.get("href") and _number(_text(a))]
        if len(links) >= 2 or (named and _numbered(element) >= 2):
            return element
        element = element.getparent()
    return None


def _current(container: Any, url: str) -> int:
    """The current page's number in a pager: marked, or the number that is no link."""
    for element in container.iter():
        if not isinstance(element.tag, str):
            continue
        marked = _CURRENT.search(element.get("class") or "") or element.get("aria-current")
        if marked and (number := _number(_text(element))):
            return number
    for element in container.iter():
        if not isinstance(element.tag, str) or element.tag == "a":
            continue
        inside_link = any(a.tag == "a" for a in element.iterancestors())
        if not inside_link and (number := _number((element.text or "").strip())):
            return number
    return page_of(url)[1]


def _by_number(page: _Page) -> str | None:
    for anchor in page.anchors():
        number = _number(_text(anchor))
        if number is None or number < 2:
            continue
        container = _container(anchor)
        if (
            container is not None
            and number == _current(container, page.url) + 1
            and (url := page.resolve(anchor.get("href")))
        ):
            return url
    return None


def _by_url(page: _Page) -> str | None:
    listing, number = page_of(page.url)
    for anchor in page.anchors():
        url = page.resolve(anchor.get("href"))
        if url and page_of(url) == (listing, number + 1):
            return url
    return None


def next_page(
    selector: Selector, url: str, *, is_article: Callable[[str], bool] = lambda url: False
) -> str | None:
    """The URL of the listing page after this one, or None on the last page."""
    page = _Page(selector, url, is_article)
    return (
        _by_rel(selector, page)
        or _by_words(page)
        or _by_number(page)
        or _by_url(page)
        or _by_arrow(page)
    )
