"""A Vietnamese user sees no English: every page is walked and its visible text
checked against the catalog's English-only strings (the English text of every
key whose Vietnamese differs), and flag reasons, narratives and the audit trail
read as sentences, not slugs or codes."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from pipeline.i18n import LANGUAGES, catalog
from tests.web.seed import Seeded


def english_only() -> set[str]:
    """English catalog texts of three letters or more that Vietnamese does not share;
    placeholders cut out so a formatted message is still recognised by its words."""
    vi, en = catalog("vi"), catalog("en")
    found: set[str] = set()
    for key, text in en.items():
        if vi.get(key) == text:
            continue
        for piece in re.split(r"\{[^}]*\}", text):
            piece = piece.strip(" :.,()–-")
            if len(piece) >= 4 and re.search(r"[A-Za-z]{3}", piece) and piece not in vi.values():
                found.add(piece)
    return found


def visible_text(page: str) -> str:
    body = page.split("<body>", 1)[-1]
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(body))


def test_every_page_of_a_vietnamese_user_is_vietnamese(
    client_for: Callable[[str], TestClient], seeded: Seeded
) -> None:
    assert LANGUAGES[0] == "vi"
    client = client_for("admin")
    pages = [
        "/app/",
        "/app/queue?status=all",
        "/app/queue?sort=due",
        f"/app/cases/{seeded.case_id}",
        f"/app/cases/{seeded.payload_case}",
        "/app/articles?scope=all",
        "/app/articles?q=quang+binh&scope=all",
        f"/app/articles/{seeded.flagged_article}",
        f"/app/articles/{seeded.calm_article}",
        "/app/reports",
        "/app/account",
        "/app/admin/users",
        "/app/admin/sources",
        "/app/notifications",
        "/app/trends",
        "/app/narratives",
        "/app/narratives/relief-rice-mouldy",
        "/app/admin/narratives",
        "/app/admin/narratives/new",
        "/app/admin/narratives/relief-rice-mouldy/edit",
        "/app/cases/999999",
    ]
    words = english_only()
    problems: dict[str, list[str]] = {}
    for path in pages:
        response = client.get(path)
        assert response.status_code == (404 if path.endswith("999999") else 200), path
        text = visible_text(response.text)
        hits = sorted(w for w in words if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text))
        if hits:
            problems[path] = hits
    assert problems == {}


def test_reasons_and_the_audit_trail_read_as_catalog_sentences(
    client_for: Callable[[str], TestClient], seeded: Seeded
) -> None:
    client = client_for("analyst")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/app/account").text)
    assert token is not None
    case = f"/app/cases/{seeded.case_id}"
    client.post(f"{case}/status", data={"status": "triaged", "csrf_token": token.group(1)})
    page = client.get(case).text
    text = visible_text(page)
    assert re.search(r"\d\.\d\d <span class=\"badge flagged\">", page)  # not "0.80Bị gắn cờ"
    assert "Đã đóng với kết quả" not in page
    assert "foreign outlet" not in text and "Đăng trên báo chí nước ngoài" in text
    assert "Lặp lại luận điệu sai đã biết: " in text  # the narrative by its statement
    assert "Trạng thái: Mới → Đã phân loại" in text
    assert "status: new" not in text and "distortion score" not in text
    assert "Điểm sai lệch 0.80" in text or "0.80" in text
