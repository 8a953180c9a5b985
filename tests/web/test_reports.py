"""Digests and weekly exports: listed, viewable (sandboxed) and downloadable."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from storage.db import Database
from storage.reports import record_digest, record_export
from tests.web.seed import Seeded


def test_reports_are_listed_and_served(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database, tmp_path: Path
) -> None:
    html = tmp_path / "digest-2026-11-25-vi.html"
    html.write_text(
        "<html><body><h1>Bản tin</h1><script>alert(1)</script></body></html>", encoding="utf-8"
    )
    text = tmp_path / "digest-2026-11-25-vi.txt"
    text.write_text("Bản tin ngày 25/11", encoding="utf-8")
    csv = tmp_path / "2026-W48.csv"
    csv.write_bytes("\ufeffid,title\n1,Lũ\n".encode())
    with database.session() as session:
        record_digest(session, dt.date(2026, 11, 25), "vi", str(html), str(text))
        record_export(session, "2026-W48", str(csv), 1)
        record_export(session, "2026-W47", str(tmp_path / "gone.csv"), 3)

    client = client_for("viewer")
    page = client.get("/app/reports").text
    assert "25/11/2026" in page and "Tuần 48/2026" in page and "Tuần 47/2026" in page
    assert "2026-W48" not in page  # the week as the office says it, not the ISO code
    links = re.findall(r'href="(/app/reports/[^"]+)"', page)
    digest_html = next(link for link in links if link.endswith("/html"))
    response = client.get(digest_html)
    assert response.status_code == 200 and "Bản tin" in response.text
    assert response.headers["content-security-policy"].startswith("sandbox;")
    download = client.get(digest_html + "?download=true")
    assert download.headers["content-disposition"].startswith("attachment")
    txt = client.get(next(link for link in links if link.endswith("/txt")))
    assert txt.headers["content-type"].startswith("text/plain") and "25/11" in txt.text

    exports = [link for link in links if "/exports/" in link]
    served = [client.get(link) for link in exports]
    ok = [r for r in served if r.status_code == 200]
    assert len(ok) == 1 and ok[0].content.startswith(b"\xef\xbb\xbf")
    assert ok[0].headers["content-disposition"].startswith("attachment")
    assert 'filename="presswatch-2026-W48.csv"' in ok[0].headers["content-disposition"]
    assert [r.status_code for r in served if r.status_code != 200] == [404]  # file gone
    assert client.get("/app/reports/digests/999/html").status_code == 404
    # A path that does not validate names nothing: 404, like an unknown id.
    assert client.get("/app/reports/digests/1/exe").status_code == 404
