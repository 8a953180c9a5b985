"""The queue and the article search as CSV or Excel, with the filters on screen.

Both formats carry the same table: headers from the catalog in the user's
language, and every text cell a spreadsheet would take for a formula
neutralised as in the weekly export (`pipeline.reports.export.neutralise_cell`).
The CSV is UTF-8 with a byte-order mark, so Excel opens Vietnamese right.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, replace
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from pipeline.i18n import Translator, topic_label
from pipeline.reports.export import neutralise_cell
from pipeline.web.deps import WebState, format_datetime, state, viewer
from pipeline.web.filters import ArticleFilters, QueueFilters, article_filters, queue_filters
from pipeline.web.security import APP_PREFIX
from storage import web_queries
from storage.users import User

router = APIRouter(prefix=APP_PREFIX)

# A download is for a spreadsheet, not a data dump: beyond this, narrow the filters.
MAX_ROWS = 10_000
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, slots=True)
class Table:
    name: str  # the file name without extension
    sheet: str
    header: list[str]
    rows: list[list[Any]]

    def cells(self) -> list[list[Any]]:
        return [self.header, *([neutralise_cell(cell) for cell in row] for row in self.rows)]


def _attachment(body: bytes, media: str, name: str) -> Response:
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def as_csv(table: Table) -> Response:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(table.cells())
    body = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    return _attachment(body, "text/csv; charset=utf-8", f"{table.name}.csv")


def _xlsx_value(value: Any) -> Any:
    # Excel refuses a file with control characters in a cell; a crawled title can have them.
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def as_xlsx(table: Table) -> Response:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.sheet[:31]
    for row in table.cells():
        sheet.append([_xlsx_value(cell) for cell in row])
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return _attachment(buffer.getvalue(), XLSX_MEDIA, f"{table.name}.xlsx")


def queue_table(web: WebState, user: User, filters: QueueFilters) -> Table:
    t = Translator(user.language)
    tz = ZoneInfo(web.settings.profile.timezone)
    with web.database.read_session() as session:
        cases = filters.cases(session)[:MAX_ROWS]
    header = [
        "#", t("priority"), t("title"), t("status"), t("resolution"), t("topics"),
        t("origin"), t("assignee"), t("opened"), t("deadline_triage"), t("deadline_respond"),
    ]  # fmt: skip

    def due(at: dt.datetime | None) -> str:
        return format_datetime(at, tz, user.language) if at else ""

    rows: list[list[Any]] = [
        [
            c.id,
            f"{c.priority:.0f}",
            c.title,
            t("status_" + c.status),
            t("resolution_" + c.resolution) if c.resolution else "",
            "; ".join(topic_label(web.settings, tp, user.language) for tp in c.topics),
            ", ".join(t("origin_" + o) for o in c.origins),
            c.assignee or "",
            format_datetime(c.opened_at, tz, user.language),
            due(c.triage_due_at),
            due(c.respond_due_at),
        ]
        for c in cases
    ]
    return Table("presswatch-queue", t("nav_queue"), header, rows)


def articles_table(web: WebState, user: User, filters: ArticleFilters) -> Table:
    t = Translator(user.language)
    tz = ZoneInfo(web.settings.profile.timezone)
    query = replace(filters.query(web.settings), limit=MAX_ROWS, offset=0)
    with web.database.read_session() as session:
        found = web_queries.search_articles(session, query).items
    threshold = web.settings.nlp.thresholds.topic_score
    header = [
        "#", t("published"), t("source"), t("title"), "URL", t("topics"), t("stance"),
        t("score"), t("flagged"),
    ]  # fmt: skip
    rows: list[list[Any]] = [
        [
            a.id,
            format_datetime(a.when, tz, user.language),
            a.source_name or a.source_id or "",
            a.title,
            a.url,
            "; ".join(
                topic_label(web.settings, tp, user.language) for tp in a.topic_ids(threshold)
            ),
            t("stance_" + a.stance) if a.stance else "",
            f"{a.distortion_score:.2f}" if a.analysis else "",
            t("yes") if a.flagged else "",
        ]
        for a in found
    ]
    return Table("presswatch-articles", t("nav_articles"), header, rows)


Viewer = Annotated[User, Depends(viewer)]
Queue = Annotated[QueueFilters, Depends(queue_filters)]
Articles = Annotated[ArticleFilters, Depends(article_filters)]


@router.get("/queue.csv")
def queue_csv(request: Request, user: Viewer, filters: Queue) -> Response:
    return as_csv(queue_table(state(request), user, filters))


@router.get("/queue.xlsx")
def queue_xlsx(request: Request, user: Viewer, filters: Queue) -> Response:
    return as_xlsx(queue_table(state(request), user, filters))


@router.get("/articles.csv")
def articles_csv(request: Request, user: Viewer, filters: Articles) -> Response:
    return as_csv(articles_table(state(request), user, filters))


@router.get("/articles.xlsx")
def articles_xlsx(request: Request, user: Viewer, filters: Articles) -> Response:
    return as_xlsx(articles_table(state(request), user, filters))
