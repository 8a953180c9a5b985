"""The article page shows that article's versions as the case page does (issue 15):
the same `_versions.html`, the word/syllable diff marked <del>/<ins> (text escaped),
and a removal; never the versions of the story's other articles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient

from storage.db import Database
from storage.versions import add_version, ensure_first_version, record_change
from tests.web.seed import Seeded

NOW = dt.datetime(2026, 12, 4, 3, 0, tzinfo=dt.UTC)


def _edit(database: Database, article_id: int, title: str, added: str) -> None:
    with database.session() as session:
        first = ensure_first_version(session, article_id)
        edited = add_version(
            session,
            article_id,
            snapshot_id=None,
            title=title,
            text=f"{first.text}\n{added}",
            fetched_at=NOW,
        )
        for kind in ("title", "body"):
            record_change(
                session,
                article_id,
                kind,
                from_version=1,
                to_version=edited.version,
                detected_at=NOW,
            )


def test_article_page_shows_its_own_versions_with_the_diff_highlighted(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    client = client_for("viewer")
    flagged = f"/app/articles/{seeded.flagged_article}"
    assert 'id="versions"' not in client.get(flagged).text  # never recrawled as changed

    _edit(database, seeded.flagged_article, "Tiêu đề đã sửa <b>mới</b>", "Đoạn thêm <i>x</i>.")
    with database.session() as session:
        record_change(
            session,
            seeded.flagged_article,
            "deleted",
            from_version=2,
            to_version=2,
            detected_at=NOW + dt.timedelta(hours=1),
        )
    _edit(database, seeded.foreign_copy, "Bản dịch đã sửa", "Câu của bản dịch.")

    page = client.get(flagged)
    assert page.status_code == 200
    text = page.text
    assert 'id="versions"' in text and "Các phiên bản" in text
    assert f'id="versions-{seeded.flagged_article}"' in text
    assert "Phiên bản 2" in text and "sửa tiêu đề" in text and "sửa nội dung" in text
    assert "báo đã gỡ bài" in text
    assert "<ins>Đoạn thêm &lt;i&gt;x&lt;/i&gt;.</ins>" in text
    assert "<ins>Tiêu đề đã sửa &lt;b&gt;mới&lt;/b&gt;</ins>" in text
    assert "<b>mới</b>" not in text
    # The story's other article has versions too; they are on its own page, not here.
    assert "Câu của bản dịch" not in text
    assert f'id="versions-{seeded.foreign_copy}"' not in text
    other = client.get(f"/app/articles/{seeded.foreign_copy}").text
    assert "<ins>Câu của bản dịch.</ins>" in other and "báo đã gỡ bài" not in other

    # The case page still shows both, from the same partial.
    case = client.get(f"/app/cases/{seeded.case_id}").text
    assert f'id="versions-{seeded.flagged_article}"' in case
    assert f'id="versions-{seeded.foreign_copy}"' in case


def test_an_article_without_versions_shows_none(
    client_for: Callable[[str], TestClient], seeded: Seeded
) -> None:
    page = client_for("viewer").get(f"/app/articles/{seeded.calm_article}")
    assert page.status_code == 200 and 'id="versions"' not in page.text
    assert client_for("viewer").get("/app/articles/999999").status_code == 404
