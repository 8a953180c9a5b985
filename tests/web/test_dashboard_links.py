"""Every number on the dashboard links to the list it counts, and that list,
filtered by the link, has exactly that many rows."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.web.seed import Seeded

LINK = re.compile(r'<a href="(/app/(?:articles|queue)\?[^"]*)"[^>]*>(?:[^<:]*: )?(\d+)</a>')


def _listed(client: TestClient, url: str) -> int:
    page = client.get(url)
    assert page.status_code == 200, url
    # The pager's "first–last of total"; a list with nothing in it has no pager.
    summary = re.search(r'class="count">[^<]*?(\d+)\s*</span>', page.text)
    return int(summary.group(1)) if summary else 0


def test_each_dashboard_number_gives_its_count(
    client_for: Callable[[str], TestClient], seeded: Seeded
) -> None:
    client = client_for("viewer")
    for days in (7, 30):
        page = client.get(f"/app/?days={days}").text
        links = [(html.unescape(url), int(n)) for url, n in LINK.findall(page)]
        urls = {url for url, _ in links}
        assert f"/app/articles?collected={days}" in urls
        assert f"/app/articles?collected={days}&flagged=1" in urls
        assert "/app/queue?status=open" in urls
        assert any("origin=foreign" in url and "stance=" in url for url in urls)
        assert any("priority=high" in url for url in urls)
        assert len(links) >= 8
        for url, count in links:
            assert _listed(client, url) == count, url
