"""The periodic report for leadership, weekly or monthly, as DOCX and PDF in the
office's reports folder (`<data_dir>/reports`, beside its database) or a folder
given: both files are drawn from one `collect` (periodic_data) through one
outline (periodic_layout)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.i18n import strings
from pipeline.reports.periodic_data import PeriodicData, collect
from pipeline.reports.periodic_layout import outline, period_name
from pipeline.reports.periodic_render import to_docx, to_pdf
from pipeline.reports.periods import Period

if TYPE_CHECKING:
    from core.config import Settings
    from storage.db import Database

logger = logging.getLogger(__name__)
FORMATS = ("docx", "pdf")


@dataclass(frozen=True, slots=True)
class PeriodicResult:
    data: PeriodicData
    docx_path: Path
    pdf_path: Path


def report_path(
    settings: Settings, period: Period, kind: str, folder: Path | None = None, language: str = "vi"
) -> Path:
    suffix = "" if language == "vi" else f"-{language}"
    return (folder or settings.data_dir / "reports") / f"bao-cao-{period.key}{suffix}.{kind}"


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A private partial file per writer: two downloads of one report may build it at once.
    with tempfile.NamedTemporaryFile(
        dir=path.parent, prefix=path.name + ".", suffix=".partial", delete=False
    ) as handle:
        handle.write(content)
    os.replace(handle.name, path)  # a reader never sees half a file


def build_report(
    settings: Settings,
    database: Database,
    period: Period,
    *,
    folder: Path | None = None,
    language: str = "vi",
    now: dt.datetime | None = None,
) -> PeriodicResult:
    """Write (or rewrite) the report of `period` as DOCX and PDF."""
    data = collect(settings, database, period, language=language, now=now)
    words = strings(language)
    blocks = outline(data)
    title = f"{words['periodic_report']} · {period_name(period, words)}"
    docx_path = report_path(settings, period, "docx", folder, language)
    pdf_path = report_path(settings, period, "pdf", folder, language)
    _write(docx_path, to_docx(blocks, title))
    _write(pdf_path, to_pdf(blocks, title, words["periodic_page"]))
    logger.info("periodic report %s -> %s, %s", period.key, docx_path, pdf_path)
    return PeriodicResult(data, docx_path, pdf_path)
