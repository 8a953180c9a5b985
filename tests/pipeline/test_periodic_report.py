"""`presswatch report`: the periodic report as DOCX and PDF, its sections and
figures checked against the seeded database, the PDF rendered to an image."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.config import Settings
from pipeline.cli import app
from pipeline.reports.periodic import build_report
from pipeline.reports.periodic_data import collect
from pipeline.reports.periods import month_period, parse_period, week_period
from storage.db import Database
from tests.pipeline.periodic_seed import seed_month

HEADINGS = (
    "1. Số lượng tin bài và tỷ lệ theo nguồn gốc, chủ đề",
    "2. Xu hướng quan điểm",
    "3. Thông tin quảng bá hình ảnh",
    "4. Thông tin sai lệch, xuyên tạc",
    "5. Kết quả phản hồi và thời gian phản hồi",
    "6. Vụ việc đang xử lý",
)


def _config(settings: Settings, tmp_path: Path) -> Path:
    """The settings as a file for the CLI (never the office's config.yaml)."""
    import yaml

    data = settings.model_dump(mode="json", exclude={"path"})
    data["profile"]["data_dir"] = str(tmp_path / "data")
    path = tmp_path / "office.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _docx_text(path: Path) -> tuple[list[str], list[list[list[str]]], str]:
    from docx import Document

    document = Document(str(path))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    tables = [[[c.text for c in row.cells] for row in table.rows] for table in document.tables]
    return headings, tables, "\n".join(p.text for p in document.paragraphs)


def _table_with(tables: list[list[list[str]]], first_cell: str) -> dict[str, list[str]]:
    for table in tables:
        if table[0][0] == first_cell:
            return {row[0]: row[1:] for row in table[1:]}
    raise AssertionError(f"no table headed {first_cell!r}")


def test_periods() -> None:
    november = month_period("2026-11")
    assert (november.first_day, november.last_day) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert november.previous().key == "2026-10" and month_period("2026-01").previous().key == (
        "2025-12"
    )
    w47 = parse_period("2026-W47")
    assert (w47.first_day, w47.last_day) == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert w47.previous() == week_period("2026-W46")
    assert week_period("2026-W01").previous().key == "2025-W52"


def test_the_monthly_report_from_the_cli(
    database: Database, db_settings: Settings, tmp_path: Path
) -> None:
    seeded = seed_month(database, db_settings.sources)
    config = _config(db_settings, tmp_path)
    result = CliRunner().invoke(app, ["-c", str(config), "report", "--period", "2026-11"])
    assert result.exit_code == 0, result.output
    docx_path = tmp_path / "data" / "reports" / "bao-cao-2026-11.docx"
    pdf_path = tmp_path / "data" / "reports" / "bao-cao-2026-11.pdf"
    assert f"docx: {docx_path}" in result.output and pdf_path.stat().st_size > 10_000
    assert "10 article(s), 3 case(s) opened, 1 open" in result.output

    headings, tables, text = _docx_text(docx_path)
    assert tuple(headings) == HEADINGS
    assert "BÁO CÁO TỔNG HỢP DƯ LUẬN BÁO CHÍ" in text and "Tháng 11/2026" in text
    assert "so sánh với Tháng 10/2026" in text
    assert "Tổng số bài liên quan: 10 (kỳ trước: 3; thay đổi: +233%)" in text
    header = tables[0][0]
    assert header[0] == "VĂN PHÒNG THỬ NGHIỆM (QUẢNG BÌNH)"
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in header[1] and "Quảng Bình, ngày" in header[1]
    # Share of voice by origin and by topic, against October.
    origin = _table_with(tables, "Nguồn gốc")
    assert origin["Trong nước"] == ["7", "70.0%", "2 (66.7%)", "+250%"]
    assert origin["Nước ngoài"] == ["3", "30.0%", "1 (33.3%)", "+200%"]
    topics = _table_with(tables, "Chủ đề")
    assert topics["Thiên tai và cứu trợ"][:3] == ["4", "40.0%", "1 (33.3%)"]
    assert topics["Du lịch"][:3] == ["3", "30.0%", "2 (66.7%)"]
    stance = _table_with(tables, "Quan điểm")
    assert stance["Ủng hộ"][0] == "4" and stance["Phê phán"][0] == "4"
    # Image promotion: the two-outlet tourism story first.
    stories = _table_with(tables, "Tin bài nổi bật")
    first_story = next(iter(stories))
    assert first_story == "Phong Nha đón 100.000 lượt khách"
    assert stories[first_story] == ["Báo Quảng Trị (thử), VnExpress"]
    assert (
        "Bài có quan điểm ủng hộ về Du lịch, Đầu tư và kinh tế, Thiên tai và cứu trợ: 4 bài" in text
    )
    # Distortions and how they were answered: 6 h and 48 h, median 27 h.
    narratives = _table_with(tables, "Luận điệu")
    rice = next(v for k, v in narratives.items() if k.startswith("Gạo cứu trợ"))
    assert rice == ["0", "2", f"#{seeded.cases['rice']}"]
    assert "Đã phản hồi 2/3 vụ việc phát hiện trong kỳ." in text
    assert "Thời gian phản hồi trung vị: 1 ngày 3 giờ; chậm nhất: 2 ngày 0 giờ." in text
    answered = _table_with(tables, "Vụ việc")
    assert answered[f"#{seeded.cases['rice']}"][2:] == [
        "Đã phản hồi: https://quangtri.gov.vn/bac-bo",
        "6 giờ",
    ]
    assert answered[f"#{seeded.cases['airport']}"][3] == "chưa phản hồi"
    assert "Số vụ việc chưa đóng khi lập báo cáo: 1." in text
    from docx import Document

    assert len(Document(str(docx_path)).inline_shapes) == 1  # the stance trend chart

    _check_pdf(pdf_path, tmp_path / "report.png", pages=2)


def _check_pdf(path: Path, png: Path, pages: int = 1) -> None:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    assert len(document) >= pages
    image = document[0].render(scale=1.5).to_pil()
    image.save(png)
    extrema = image.convert("L").getextrema()
    assert extrema[0] < 100 < 200 < extrema[1], f"page 1 looks blank: {extrema}"
    text = document[0].get_textpage().get_text_range()
    assert "BÁO CÁO TỔNG HỢP DƯ LUẬN BÁO CHÍ" in text and "Quảng Bình" in text
    document.close()


def test_a_weekly_report_and_its_figures(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    seed_month(database, settings.sources)
    week = week_period("2026-W47")
    data = collect(settings, database, week)
    assert (data.total.count, data.total.previous) == (4, 1)  # W46: one article
    assert [(s.key, s.count) for s in data.by_origin] == [("domestic", 2), ("foreign", 2)]
    assert data.median_response == dt.timedelta(hours=27)
    assert data.worst_response == dt.timedelta(hours=48)
    profile = settings.profile.model_copy(
        update={"office_name": "Sở Thông tin và Truyền thông", "header_lines": ["ĐỘC LẬP"]}
    )
    own = settings.model_copy(update={"profile": profile})
    result = build_report(own, database, week, folder=tmp_path / "w")
    assert result.docx_path == tmp_path / "w" / "bao-cao-2026-W47.docx" and result.pdf_path.exists()
    _, tables, text = _docx_text(result.docx_path)
    assert "Tuần 47/2026 (16/11 – 22/11/2026)" in text
    assert tables[0][0][0] == "SỞ THÔNG TIN VÀ TRUYỀN THÔNG"
    assert tables[0][0][1].startswith("ĐỘC LẬP\n")


def test_the_cli_refuses_bad_periods(settings: Settings, tmp_path: Path) -> None:
    config = _config(settings, tmp_path)
    runner = CliRunner()
    for args in (["--period", "2026-13"], ["--week", "2026-W60"], ["--period", "x", "--week", "y"]):
        result = runner.invoke(app, ["-c", str(config), "report", *args])
        assert result.exit_code != 0, args


@pytest.mark.parametrize("language", ["en"])
def test_english_report(
    database: Database, settings: Settings, tmp_path: Path, language: str
) -> None:
    seed_month(database, settings.sources)
    result = build_report(
        settings, database, month_period("2026-11"), folder=tmp_path, language=language
    )
    headings, _, _ = _docx_text(result.docx_path)
    assert headings[0] == "1. Volume and share of voice by origin and topic"


def test_an_empty_period_still_makes_a_report(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    result = build_report(settings, database, month_period("2025-01"), folder=tmp_path)
    headings, _, text = _docx_text(result.docx_path)
    assert tuple(headings) == HEADINGS
    assert "Tổng số bài liên quan: 0 (kỳ trước: 0; thay đổi: ±0)" in text
    assert "Thời gian phản hồi trung vị: —; chậm nhất: —." in text
    _check_pdf(result.pdf_path, tmp_path / "empty.png")
