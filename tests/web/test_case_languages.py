"""The case page labels each version of the story with its language (issue 15: the
English and Vietnamese versions of one story share one case)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from storage.db import Database
from storage.models import ArticleRow
from tests.web.seed import Seeded


def test_each_version_on_the_case_page_says_its_language(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    with database.session() as session:
        copy = session.get(ArticleRow, seeded.foreign_copy)
        assert copy is not None
        copy.language = "en"
    page = client_for("viewer").get(f"/app/cases/{seeded.case_id}").text
    assert '<span class="lang" lang="en">Tiếng Anh</span>' in page
    assert '<span class="lang" lang="vi">Tiếng Việt</span>' in page
