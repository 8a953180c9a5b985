"""Pages of a long list: which slice to show, the total, and links to the neighbours."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request

PER_PAGE = 50
# Beyond this a page number is a typo or a probe; the last page is shown instead.
MAX_PAGE = 100_000


def page_number(value: str) -> int:
    """A `page` query value as 1..MAX_PAGE (anything else is page 1)."""
    text = value.strip()
    if not text.isdigit() or len(text) > 6:
        return 1
    return max(1, min(int(text), MAX_PAGE))


@dataclass(frozen=True, slots=True)
class Page:
    number: int
    total: int
    size: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def current(self) -> int:
        """The page shown: the asked-for one, or the last when it asked past the end."""
        return min(self.number, self.pages)

    @property
    def offset(self) -> int:
        return (self.current - 1) * self.size

    @property
    def first(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.total)


def page_url(request: Request, number: int) -> str:
    """This page's URL with its filters kept and `page` set to `number`."""
    params = [(key, value) for key, value in request.query_params.multi_items() if key != "page"]
    if number > 1:
        params.append(("page", str(number)))
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")
