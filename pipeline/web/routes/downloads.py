"""The queue and the article search as CSV, with the filters on screen.

UTF-8 with a byte-order mark (Excel opens Vietnamese right) and every text cell
a spreadsheet would take for a formula neutralised, as in the weekly export.
Column headers come from the catalog, in the user's language.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from pipeline.i18n import Translator, topic_label
from pipeline.reports.export import neutralise_cell
from pipeline.web.deps import format_datetime, state, viewer
from pipeline.web.routes.articles import article_query
from pipeline.web.routes.cases import queue_cases
from pipeline.web.security import APP_PREFIX
from storage import web_queries
from storage.users import User

router = APIRouter(prefix=APP_PREFIX)

# A download is for a spreadsheet, not a data dump: beyond this, narrow the filters.
MAX_ROWS = 10_000


def _csv(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise_cell(cell) for cell in row])
    return Response(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/queue.csv")
def queue_csv(
    request: Request,
    user: Annotated[User, Depends(viewer)],
    status: str = "open",
    topic: str = "",
    origin: str = "",
    assignee: str = "",
) -> Response:
    web = state(request)
    t = Translator(user.language)
    tz = ZoneInfo(web.settings.profile.timezone)
    with web.database.session() as session:
        cases = queue_cases(session, status, topic, origin, assignee)[:MAX_ROWS]
    header = [
        "#", t("priority"), t("title"), t("status"), t("resolution"), t("topics"),
        t("origin"), t("assignee"), t("opened"),
    ]  # fmt: skip
    rows = (
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
        ]
        for c in cases
    )
    return _csv("presswatch-queue.csv", header, rows)


@router.get("/articles.csv")
def articles_csv(
    request: Request,
    user: Annotated[User, Depends(viewer)],
    q: str = "",
    source: str = "",
    topic: str = "",
    stance: str = "",
    date_from: str = "",
    date_to: str = "",
    scope: str = "relevant",
    sort: str = "date",
) -> Response:
    web = state(request)
    t = Translator(user.language)
    tz = ZoneInfo(web.settings.profile.timezone)
    query = article_query(web.settings, q, source, topic, stance, date_from, date_to, scope, sort)
    with web.database.session() as session:
        found = web_queries.search_articles(session, _capped(query)).items
    threshold = web.settings.nlp.thresholds.topic_score
    header = [
        "#", t("published"), t("source"), t("title"), "URL", t("topics"), t("stance"),
        t("score"), t("flagged"),
    ]  # fmt: skip
    rows = (
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
    )
    return _csv("presswatch-articles.csv", header, rows)


def _capped(query: web_queries.ArticleQuery) -> web_queries.ArticleQuery:
    return replace(query, limit=MAX_ROWS, offset=0)
