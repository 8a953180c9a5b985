"""The queue and the search download as CSV with the filters on screen, headers in
the user's language, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import update

from storage.db import Database
from storage.models import ArticleRow, CaseRow
from tests.web.seed import Seeded

HOSTILE = '=HYPERLINK("http://evil.example","bấm")'


def _table(response: object) -> list[list[str]]:
    raw = response.content  # type: ignore[attr-defined]
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_the_queue_downloads_with_its_filters(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    with database.session() as session:
        session.execute(update(CaseRow).where(CaseRow.id == seeded.case_id).values(title=HOSTILE))
    client = client_for("viewer")
    page = client.get("/app/queue?status=all").text
    assert 'href="/app/queue.csv?status=all"' in page
    response = client.get("/app/queue.csv?status=all")
    assert response.headers["content-disposition"].startswith("attachment")
    rows = _table(response)
    assert rows[0][:3] == ["#", "Ưu tiên", "Tiêu đề"]
    assert rows[0][-2:] == ["Hạn phân loại", "Hạn phản hồi"]  # the desk's due times
    titles = {row[0]: row[2] for row in rows[1:]}
    assert titles[str(seeded.case_id)] == "'" + HOSTILE
    assert {row[3] for row in rows[1:]} == {"Mới"}
    domestic = _table(client.get("/app/queue.csv?status=all&origin=domestic"))
    assert [row[0] for row in domestic[1:]] == [str(seeded.case_id)]


def test_the_search_downloads_what_it_found(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    with database.session() as session:
        session.execute(
            update(ArticleRow).where(ArticleRow.id == seeded.calm_article).values(title=HOSTILE)
        )
    client = client_for("viewer")
    rows = _table(client.get("/app/articles.csv?q=quang+binh&scope=all"))
    ids = {row[0] for row in rows[1:]}
    assert str(seeded.flagged_article) in ids and len(ids) == len(rows) - 1
    everything = _table(client.get("/app/articles.csv?scope=all"))
    hostile = [row for row in everything[1:] if row[0] == str(seeded.calm_article)]
    assert hostile and hostile[0][3] == "'" + HOSTILE
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in everything for cell in row)


def _sheet(response: object) -> list[list[object]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(response.content))  # type: ignore[attr-defined]
    sheet = book.active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_queue_and_the_search_download_as_excel_like_the_csv(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    with database.session() as session:
        session.execute(update(CaseRow).where(CaseRow.id == seeded.case_id).values(title=HOSTILE))
        session.execute(
            update(ArticleRow).where(ArticleRow.id == seeded.calm_article).values(title=HOSTILE)
        )
    client = client_for("viewer")
    assert 'href="/app/queue.xlsx?status=all"' in client.get("/app/queue?status=all").text
    for page in ("queue", "articles"):
        query = "status=all" if page == "queue" else "scope=all"
        xlsx = client.get(f"/app/{page}.xlsx?{query}")
        assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
        rows = _sheet(xlsx)
        as_csv = _table(client.get(f"/app/{page}.csv?{query}"))
        assert [[str(c) if c is not None else "" for c in row] for row in rows] == as_csv
        cells = [c for row in rows for c in row if isinstance(c, str)]
        assert "'" + HOSTILE in cells
        assert not any(c.startswith("=") for c in cells)
