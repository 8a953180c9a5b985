"""Dashboard, article search and article pages: right numbers, everything escaped."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from core.record import Article
from storage.articles import add_article
from storage.db import Database
from storage.models import ArticleRow
from tests.web.seed import NARRATIVE_SENTENCE, PAYLOAD_TITLE, Seeded


def _number(page: str, element_id: str) -> int:
    match = re.search(rf'id="{element_id}">(\d+)<', page)
    assert match, element_id
    return int(match.group(1))


def test_dashboard_numbers_and_charts(
    client_for: Callable[[str], TestClient], seeded: Seeded
) -> None:
    page = client_for("viewer").get("/app/?days=7").text
    assert _number(page, "n-articles") == 4
    assert _number(page, "n-flagged") == 3
    assert _number(page, "n-cases") == 2
    assert _number(page, "n-failed") == 1
    assert 'id="stance-chart"' in page and 'class="stance-critical"' in page
    assert "Thiên tai" in page or "disaster" in page  # topic table, by label
    assert "Nước ngoài" in page and "Trong nước" in page  # origins
    # Each count is a link to the articles it counts (tests/web/test_dashboard_links.py).
    foreign = re.search(r'data-origin="foreign"><td>[^<]*</td>(.*?)</tr>', page)
    assert foreign and re.findall(r">(\d+)<", foreign.group(1)) == ["0", "0", "2", "0"]
    # The failed source with its error, escaped.
    assert "rfa-vietnamese" in page and "HTTP 503 &lt;b&gt;down&lt;/b&gt;" in page
    today = client_for("analyst").get("/app/?days=1").text
    assert _number(today, "n-articles") in (0, 4)  # depends on local midnight; never fails


def test_dashboard_period_excludes_old_articles(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=20)
    with database.session() as session:
        article_id = add_article(
            session,
            Article(
                url="https://x.example/old",
                canonical_url="https://x.example/old",
                source_id="vnexpress",
                title="Cũ",
                text="cũ",
                published_at=old,
                content_hash="f" * 64,
                relevant=True,
            ),
        )
        # Periods count the articles collected in them, as the digest does.
        row = session.get(ArticleRow, article_id)
        assert row is not None
        row.fetched_at = old
    client = client_for("viewer")
    assert _number(client.get("/app/?days=7").text, "n-articles") == 4
    assert _number(client.get("/app/?days=30").text, "n-articles") == 5


def test_article_search_filters(client_for: Callable[[str], TestClient], seeded: Seeded) -> None:
    client = client_for("viewer")

    def ids(query: str) -> set[int]:
        page = client.get(f"/app/articles{query}").text
        return {int(x) for x in re.findall(r'data-article="(\d+)"', page)}

    everything = {
        seeded.flagged_article,
        seeded.foreign_copy,
        seeded.calm_article,
        seeded.payload_article,
    }
    assert ids("") == everything
    assert ids("?q=Phong+Nha") == {seeded.calm_article}
    assert ids("?source=bbc-vietnamese") == {seeded.foreign_copy}
    assert ids("?topic=tourism") == {seeded.calm_article}
    assert ids("?stance=supportive") == {seeded.calm_article}
    assert ids("?stance=critical&topic=disaster") == everything - {seeded.calm_article}
    today = dt.date.today()
    assert ids(f"?date_from={(today - dt.timedelta(days=2)).isoformat()}") == everything
    assert ids(f"?date_to={(today - dt.timedelta(days=3)).isoformat()}") == set()
    assert ids("?date_from=not-a-date") == everything


def test_article_page_shows_analysis_and_highlights(
    client_for: Callable[[str], TestClient], seeded: Seeded
) -> None:
    page = client_for("viewer").get(f"/app/articles/{seeded.flagged_article}").text
    assert f"{NARRATIVE_SENTENCE}<sup>1</sup></mark>" in page
    # The narrative by its statement, never by its slug.
    assert "relief-rice-mouldy" not in page
    assert "<li>Gạo cứu trợ phát cho dân vùng lũ Lệ Thủy là gạo mốc, không ăn được 0.70" in page
    assert "Phê phán" in page and "Tiêu cực" in page  # stance and tone, in Vietnamese
    assert f'href="/app/cases/{seeded.case_id}"' in page
    assert f"/evidence/{seeded.snapshot_id}?token=" in page
    assert client_for("viewer").get("/app/articles/99999").status_code == 404


def test_hostile_article_is_escaped_everywhere(
    client_for: Callable[[str], TestClient], seeded: Seeded
) -> None:
    client = client_for("analyst")
    pages = [
        client.get(f"/app/articles/{seeded.payload_article}").text,
        client.get(f"/app/cases/{seeded.payload_case}").text,
        client.get("/app/articles").text,
        client.get("/app/queue").text,
    ]
    for page in pages:
        assert "<script>window" not in page
        assert "<img src=x" not in page and "<svg onload" not in page
        assert "&lt;script&gt;window.__pwned" in page or "&lt;img src=x" in page
        scripts = re.findall(r"<script[^>]*>", page)
        assert scripts == ['<script src="/static/app.js" defer>'], scripts
    assert PAYLOAD_TITLE not in pages[0]


def test_javascript_urls_are_neutralised(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    with database.session() as session:
        article_id = add_article(
            session,
            Article(
                url="javascript:alert(1)",
                canonical_url="https://x.example/js",
                source_id="vnexpress",
                title="js",
                text="t",
                published_at=dt.datetime.now(dt.UTC),
                content_hash="e" * 64,
                relevant=True,
            ),
        )
    page = client_for("viewer").get(f"/app/articles/{article_id}").text
    assert "javascript:" not in page and 'href="#"' in page
