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
