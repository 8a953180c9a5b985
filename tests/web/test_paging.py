"""The queue and the article list come in pages, with totals and links that keep
the filters; a page past the end shows the last one, a silly number page 1."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from pipeline.web import paging
from pipeline.web.routes import articles, cases


def _rows(html: str, attribute: str) -> list[str]:
    return re.findall(rf'{attribute}="(\d+)"', html)


def test_page_arithmetic() -> None:
    page = paging.Page(3, 122, 50)
    assert (page.pages, page.offset, page.first, page.last) == (3, 100, 101, 122)
    assert paging.Page(9, 122, 50).current == 3
    assert paging.Page(1, 0, 50).first == 0 and paging.Page(1, 0, 50).pages == 1
    for text, number in (("2", 2), ("0", 1), ("-3", 1), ("x", 1), ("9" * 30, 1)):
        assert paging.page_number(text) == number


def test_articles_come_in_pages_with_a_total(
    client_for: Callable[[str], TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(articles, "PER_PAGE", 1)
    client = client_for("viewer")
    first = client.get("/app/articles?scope=all").text
    total = int(re.search(r"1–1 trên tổng số (\d+)", first).group(1))  # type: ignore[union-attr]
    assert total >= 3
    assert 'href="/app/articles?scope=all&amp;page=2" rel="next"' in first
    seen = [_rows(first, "data-article")]
    for number in range(2, total + 1):
        page = client.get(f"/app/articles?scope=all&page={number}").text
        assert f"{number}–{number} trên tổng số {total}" in page
        seen.append(_rows(page, "data-article"))
    ids = [row[0] for row in seen if len(row) == 1]
    assert len(ids) == total and len(set(ids)) == total  # every article once
    past = client.get(f"/app/articles?scope=all&page={total + 5}").text
    assert _rows(past, "data-article") == seen[-1] and 'rel="next"' not in past


def test_the_queue_comes_in_pages_and_keeps_its_filters(
    client_for: Callable[[str], TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cases, "PER_PAGE", 1)
    client = client_for("analyst")
    first = client.get("/app/queue?status=all").text
    assert "1–1 trên tổng số 2" in first and "Trang 1/2" in first
    assert 'href="/app/queue?status=all&amp;page=2" rel="next"' in first
    second = client.get("/app/queue?status=all&page=2").text
    assert "2–2 trên tổng số 2" in second and 'rel="prev"' in second
    assert _rows(first, "data-case") != _rows(second, "data-case")
