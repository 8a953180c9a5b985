"""Daily digest: numbers against the week before, cases with reasons, each story
once, foreign press, the stance chart, links to sources; vi and en; SMTP."""

from __future__ import annotations

import base64
import datetime as dt
import re

from core.config import Settings
from pipeline.process.analyse import run_process
from pipeline.reports.digest import build_digest
from storage.db import Database
from storage.sources import sync_sources
from tests.pipeline.helpers import NOW, ScriptedAnalyzer, store_article
from tests.pipeline.servers import smtp_server

DAY = dt.date(2026, 11, 25)  # NOW is 10:00 on this day in Hanoi


def _a_day(database: Database, settings: Settings) -> list[str]:
    with database.session() as session:
        sync_sources(session, settings.sources)
    urls = []
    _, story = store_article(
        database,
        title="Tiền cứu trợ lũ bị ăn chặn",
        new_story_title="s",
        fetched_at=NOW,
        text="Tiền cứu trợ lũ bị ăn chặn ở Lệ Thủy. SCORE=0.8 TOPIC=disaster",
    )
    for source in ("vnexpress", "tuoitre"):
        store_article(
            database,
            source_id=source,
            story_id=story,
            title="Bản sao cứu trợ",
            text="Cứu trợ. SCORE=0.3 TOPIC=disaster",
            fetched_at=NOW,
        )
    _, foreign_story = store_article(
        database,
        source_id="bbc-vietnamese",
        new_story_title="f",
        fetched_at=NOW,
        title="Cột mốc biên giới Cha Lo",
        text="Cột mốc bị dời. TOPIC=border",
    )
    store_article(
        database,
        source_id="rfa-vietnamese",
        story_id=foreign_story,
        fetched_at=NOW,
        title="Bản sao cột mốc",
        text="Cột mốc bị dời. TOPIC=border",
    )
    store_article(
        database,
        title="Hang Sơn Đoòng đón khách",
        new_story_title="t",
        text="Du lịch hang động. TOPIC=tourism",
        fetched_at=NOW,
    )
    # The week before: two articles a day on average would be 14; here 7.
    for day in range(1, 8):
        store_article(
            database,
            title=f"cũ {day}",
            text="Cũ. TOPIC=tourism",
            fetched_at=NOW - dt.timedelta(days=day),
        )
    store_article(database, title="hôm sau", fetched_at=NOW + dt.timedelta(days=1))
    run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    from sqlalchemy import select

    from storage.models import ArticleRow

    with database.session() as session:
        urls = list(session.scalars(select(ArticleRow.url)))
    return urls


def test_the_vietnamese_digest_has_every_section(database: Database, settings: Settings) -> None:
    urls = _a_day(database, settings)
    result = build_digest(settings, database, DAY)
    html = result.html_path.read_text(encoding="utf-8")
    text = result.text_path.read_text(encoding="utf-8")
    assert result.html_path.name == "digest-2026-11-25-vi.html" and not result.sent
    assert result.articles == 6 and result.cases == 1
    for heading in (
        "Số liệu trong ngày",
        "Vụ việc mới và đang mở",
        "Tin nổi bật theo chủ đề",
        "Báo chí nước ngoài viết gì",
        "Quan điểm theo nguồn gốc",
    ):
        assert heading in html and heading in text
    # 6 articles today against 1 a day the week before.
    assert "+500%" in html and "Bài liên quan: 6 (+500%)" in text
    # The syndicated story is listed once, with its three outlets.
    assert html.count(">Tiền cứu trợ lũ bị ăn chặn</a>") == 1
    assert "3 nguồn tin" in html and "Thiên tai và cứu trợ" in html
    # The case shows its reason and the sentence behind it.
    assert "Vụ việc #1: Tiền cứu trợ lũ bị ăn chặn" in html
    assert "Hồ sơ" not in html and "Thái độ" not in html  # the web app's words
    assert "“Tiền cứu trợ lũ bị ăn chặn ở Lệ Thủy”" in html
    statement = "Gạo cứu trợ phát cho dân vùng lũ Lệ Thủy là gạo mốc"
    assert f"Lặp lại luận điệu sai đã biết: {statement}" in text
    # The foreign story is listed once, with both outlets that carried it.
    assert "Cột mốc biên giới Cha Lo" in html and "Bản sao cột mốc" not in html
    assert "Cột mốc biên giới Cha Lo (BBC News Tiếng Việt, RFA Tiếng Việt · Trung lập)" in text
    # Inline CSS only, and the chart is a real PNG inside the page.
    assert "<style" not in html and 'style="' in html
    match = re.search(r'src="data:image/png;base64,([^"]+)"', html)
    assert match and base64.b64decode(match[1]).startswith(b"\x89PNG")
    # Every link points at a stored article.
    links = set(re.findall(r'href="([^"]+)"', html))
    assert links and links <= set(urls)
    assert "hôm sau" not in html


def test_the_english_digest_and_its_email(database: Database, settings: Settings) -> None:
    _a_day(database, settings)
    with smtp_server() as (port, mails):
        configured = settings.model_copy(
            update={
                "smtp": settings.smtp.model_copy(update={"port": port}),
                "digest": settings.digest.model_copy(
                    update={"send": True, "recipients": ["pt@example.test"]}
                ),
            }
        )
        result = build_digest(configured, database, DAY, language="en")
        again = build_digest(configured, database, DAY, language="en")
    assert result.sent and not again.sent and len(mails) == 1
    html = result.html_path.read_text(encoding="utf-8")
    assert "The day in numbers" in html and "What the foreign press wrote" in html
    (mail,) = mails
    assert "Press monitoring digest" in str(mail["Subject"])
    parts = {part.get_content_type(): part for part in mail.walk()}
    assert "cid:stance-chart@presswatch" in parts["text/html"].get_content()
    assert parts["image/png"].get_content().startswith(b"\x89PNG")
    assert "Top stories by topic" in parts["text/plain"].get_content()


def test_a_quiet_day_still_makes_a_digest(database: Database, settings: Settings) -> None:
    result = build_digest(settings, database, DAY)
    text = result.text_path.read_text(encoding="utf-8")
    assert "Không có vụ việc nào đang mở." in text and "Không có bài nào trong ngày." in text
