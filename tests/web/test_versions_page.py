"""The case page shows what outlets changed (issue 15): each article's versions,
the word/syllable diff marked <del>/<ins> (the text escaped), and removals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient

from storage.db import Database
from storage.versions import add_version, ensure_first_version, record_change
from tests.web.seed import Seeded

NOW = dt.datetime(2026, 12, 4, 3, 0, tzinfo=dt.UTC)


def test_case_page_shows_versions_with_the_diff_highlighted(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    client = client_for("viewer")
    assert 'id="versions"' not in client.get(f"/app/cases/{seeded.case_id}").text
    with database.session() as session:
        first = ensure_first_version(session, seeded.flagged_article)
        edited = add_version(
            session,
            seeded.flagged_article,
            snapshot_id=None,
            title="Tiêu đề đã sửa <b>mới</b>",
            text=first.text + "\nĐoạn thêm vào sau khi đăng <script>x</script> bài.",
            fetched_at=NOW,
        )
        for kind in ("title", "body"):
            record_change(
                session,
                seeded.flagged_article,
                kind,
                from_version=1,
                to_version=edited.version,
                detected_at=NOW,
            )
        record_change(
            session,
            seeded.flagged_article,
            "deleted",
            from_version=edited.version,
            to_version=edited.version,
            detected_at=NOW + dt.timedelta(hours=1),
        )
    page = client.get(f"/app/cases/{seeded.case_id}").text
    assert 'id="versions"' in page and "Các phiên bản" in page
    assert "Phiên bản 2" in page and "sửa tiêu đề" in page and "sửa nội dung" in page
    assert "báo đã gỡ bài" in page
    assert "<ins>Đoạn thêm vào sau khi đăng &lt;script&gt;x&lt;/script&gt; bài.</ins>" in page
    assert "<ins>Tiêu đề đã sửa &lt;b&gt;mới&lt;/b&gt;</ins>" in page
    assert "<script>x</script>" not in page
