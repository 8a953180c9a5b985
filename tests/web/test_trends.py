"""The trend page: figures by topic, narrative and stance, domestic vs foreign,
against the seeded month; server-drawn SVG with a viewBox, no script."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.config import Settings
from pipeline.web.app import create_app
from pipeline.web.passwords import hash_password
from storage.db import Database
from storage.users import add_user
from tests.pipeline.periodic_seed import seed_month
from tests.web.conftest import SECRET, with_test_host
from tests.web.seed import PASSWORD, USERS

NOVEMBER = "/app/trends?start=2026-11-01&end=2026-11-30"


@pytest.fixture
def app(settings: Settings, database: Database) -> FastAPI:
    seed_month(database, settings.sources)
    with database.session() as s:
        for role, name in USERS.items():
            add_user(s, name, hash_password(PASSWORD), role, "en" if role == "admin" else "vi")
    return create_app(with_test_host(settings), database, SECRET)


def _number(page: str, element_id: str) -> int:
    match = re.search(rf'id="{element_id}">(\d+)<', page)
    assert match, element_id
    return int(match.group(1))


def _rows(page: str, table_id: str) -> dict[str, tuple[int, int]]:
    table = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return {
        key: (int(d), int(f))
        for key, d, f in re.findall(
            r'data-key="([^"]+)" data-domestic="(\d+)" data-foreign="(\d+)"', table
        )
    }


def test_the_month_in_figures(client_for: Callable[[str], TestClient]) -> None:
    response = client_for("viewer").get(NOVEMBER)
    assert response.status_code == 200
    page = response.text
    assert (_number(page, "n-total"), _number(page, "n-domestic"), _number(page, "n-foreign")) == (
        10,
        7,
        3,
    )
    assert _rows(page, "topic-trends") == {
        "disaster": (2, 2),
        "tourism": (3, 0),
        "investment": (1, 1),
        "administration": (1, 0),
    }
    assert _rows(page, "narrative-trends") == {
        "relief-rice-mouldy": (0, 2),
        "airport-sold-abroad": (0, 1),
    }
    assert _rows(page, "stance-trends") == {
        "supportive": (4, 0),
        "neutral": (2, 0),
        "critical": (1, 3),
    }
    # Vietnamese words from the catalog, the topic and narrative labels from config.
    assert "Xu hướng" in page and "Thiên tai và cứu trợ" in page
    assert "Gạo cứu trợ phát cho dân vùng lũ Lệ Thủy" in page
    assert "số bài theo ngày" in page


def test_charts_are_inline_svg_that_scale(client_for: Callable[[str], TestClient]) -> None:
    page = client_for("viewer").get(NOVEMBER).text
    for chart in ("volume-chart", "topic-chart", "narrative-chart", "stance-time-chart"):
        tag = re.search(rf'<svg class="chart" id="{chart}"[^>]*>', page)
        assert tag and 'viewBox="0 0 400 ' in tag.group(0), chart
    # 30 daily columns; the 17th's foreign bar names its day.
    assert "17/11/2026 · Nước ngoài: 1" in page or "17/11/2026 · " in page
    assert "<script" not in page.split("</header>", 1)[1]
    assert "cdn" not in page.lower()
    assert 'href="/app/trends"' in page  # the nav link


def test_a_week_and_english(client_for: Callable[[str], TestClient]) -> None:
    page = client_for("admin").get("/app/trends?start=2026-11-16&end=2026-11-22").text
    assert (_number(page, "n-total"), _number(page, "n-foreign")) == (4, 2)
    assert "Trends" in page and "Disasters and relief" in page


def test_bad_or_long_periods_fall_back(client_for: Callable[[str], TestClient]) -> None:
    client = client_for("viewer")
    assert client.get("/app/trends?start=nonsense&end=2026-11-30").status_code == 200
    assert client.get("/app/trends?start=0001-01-01&end=0001-01-02").status_code == 200
    # Reversed days are swapped; a span longer than a year is cut to a year, by weeks.
    swapped = client.get("/app/trends?start=2026-11-30&end=2026-11-01").text
    assert _number(swapped, "n-total") == 10
    long = client.get("/app/trends?start=2020-01-01&end=2026-11-30").text
    assert "số bài theo tuần" in long and _number(long, "n-total") == 13


def test_the_page_needs_a_login(anon: TestClient) -> None:
    response = anon.get(NOVEMBER)
    assert response.status_code == 303 and response.headers["location"] == "/app/login"


def test_the_periodic_report_downloads(
    client_for: Callable[[str], TestClient], settings: Settings
) -> None:
    import io

    from docx import Document

    client = client_for("viewer")
    page = client.get(NOVEMBER).text
    assert 'href="/app/reports/periodic?period=2026-11&amp;format=docx"' in page
    response = client.get("/app/reports/periodic?period=2026-11&format=docx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "bao-cao-2026-11.docx" in response.headers["content-disposition"]
    document = Document(io.BytesIO(response.content))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0] == "1. Số lượng tin bài và tỷ lệ theo nguồn gốc, chủ đề"
    pdf = client.get("/app/reports/periodic?period=2026-W47&format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (settings.data_dir / "reports" / "bao-cao-2026-W47.pdf").exists()
    assert client.get("/app/reports/periodic?period=2026-13").status_code == 404
    assert client.get("/app/reports/periodic?period=2026-11&format=exe").status_code == 400
