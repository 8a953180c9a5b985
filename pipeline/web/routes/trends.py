"""The trend page: volume by topic, narrative and stance, domestic vs foreign, over
a chosen period, as inline SVG drawn here (no script, no chart library: the page
CSP allows neither, and the office may have no internet).

The charts are laid out on a 400-unit-wide viewBox and scale to the screen, so
at phone width (390 px) a unit is about a pixel and the 11-unit text stays
readable; each horizontal bar has its label on its own line above it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from core.errors import PresswatchError
from pipeline.i18n import Translator, narrative_statement, topic_label
from pipeline.reports.periods import iso_week, local_today, parse_day
from pipeline.web.deps import render, state, viewer
from pipeline.web.routes.periodic import router as periodic_router
from pipeline.web.security import APP_PREFIX
from storage.trends import Series, Split, Trends, period_trends
from storage.users import User

router = APIRouter(prefix=APP_PREFIX)

DEFAULT_DAYS = 30
MAX_DAYS = 366
WIDTH = 400
STANCE_ORDER = ("supportive", "neutral", "critical", "none")


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True, slots=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "start"


@dataclass(frozen=True, slots=True)
class Chart:
    height: int
    rects: tuple[Rect, ...]
    labels: tuple[Label, ...]


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    label: str
    split: Split


def _day(text: str) -> dt.date | None:
    try:
        day = parse_day(text) if text else None
    except PresswatchError:
        return None
    # Far-off years would overflow the date arithmetic; nothing was collected then anyway.
    return day if day is not None and 1970 <= day.year <= 9000 else None


def period(start: str, end: str, timezone: str) -> tuple[dt.date, dt.date]:
    """The local days asked for; a missing or unreadable day falls back to the last
    30 days ending today, reversed days are swapped, and a span is at most a year."""
    last = _day(end) or local_today(timezone)
    first = _day(start) or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        first, last = last, first
    return max(first, last - dt.timedelta(days=MAX_DAYS - 1)), last


def _bucket_title(trends: Trends, index: int) -> str:
    start = trends.starts[index]
    if trends.bucket == "day":
        return start.strftime("%d/%m/%Y")
    stop = (
        trends.starts[index + 1] - dt.timedelta(days=1) if index + 1 < len(trends.starts) else None
    )
    return f"{start:%d/%m}–{(stop or trends.last_day):%d/%m/%Y}"


def time_chart(trends: Trends, layers: list[tuple[str, str, list[int]]]) -> Chart:
    """Stacked columns, one per bucket; layers are (css class, name, value per bucket)."""
    top, base, left = 14, 150, 26
    count = len(trends.starts)
    peak = max((sum(values) for values in zip(*(v for _, _, v in layers), strict=True)), default=0)
    column = (WIDTH - left - 4) / max(count, 1)
    rects: list[Rect] = []
    labels = [Label(left - 4, top + 4, str(peak), "end"), Label(left - 4, base, "0", "end")]
    step = max(1, round(count / 6))  # about six dates fit under the axis at any width
    for index in range(count):
        x, y = left + index * column, float(base)
        for css, name, values in layers:
            height = values[index] / peak * (base - top) if peak else 0.0
            if height > 0:
                y -= height
                rects.append(
                    Rect(
                        round(x + column * 0.1, 1),
                        round(y, 1),
                        round(column * 0.8, 1),
                        round(height, 1),
                        css,
                        f"{_bucket_title(trends, index)} · {name}: {values[index]}",
                    )
                )
        if index % step == 0:
            labels.append(
                Label(
                    round(x + column / 2, 1), base + 14, f"{trends.starts[index]:%d/%m}", "middle"
                )
            )
    return Chart(base + 20, tuple(rects), tuple(labels))


def bar_chart(rows: list[Row], t: Translator) -> Chart:
    """Horizontal bars, domestic then foreign, each with its label on the line above."""
    peak = max((row.split.total for row in rows), default=0)
    rects: list[Rect] = []
    labels: list[Label] = []
    room = WIDTH - 60
    for index, row in enumerate(rows):
        y = index * 36
        label = row.label if len(row.label) <= 58 else row.label[:57] + "…"  # fits 400 units
        labels.append(Label(0, y + 11, label))
        x = 0.0
        for css, name, value in (
            ("bar domestic", t("origin_domestic"), row.split.domestic),
            ("bar foreign", t("origin_foreign"), row.split.foreign),
        ):
            width = value / peak * room if peak else 0.0
            if width > 0:
                rects.append(
                    Rect(round(x, 1), y + 15, round(width, 1), 14, css, f"{name}: {value}")
                )
                x += width
        labels.append(
            Label(
                round(x + 4, 1),
                y + 26,
                f"{row.split.total} ({row.split.domestic}/{row.split.foreign})",
            )
        )
    return Chart(max(len(rows) * 36, 1), tuple(rects), tuple(labels))


def _rows(series: tuple[Series, ...], name: Callable[[str], str]) -> list[Row]:
    return [Row(s.key, name(s.key), s.total) for s in series if s.total.total]


@router.get("/trends", response_class=HTMLResponse)
def trends_page(
    request: Request,
    user: Annotated[User, Depends(viewer)],
    start: Annotated[str, Query(max_length=20)] = "",
    end: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    web = state(request)
    settings = web.settings
    zone = settings.profile.timezone
    first, last = period(start, end, zone)
    with web.database.read_session() as session:
        trends = period_trends(
            session, first, last, zone, topic_threshold=settings.nlp.thresholds.topic_score
        )
    t = Translator(user.language)
    language = t.language
    volume = time_chart(
        trends,
        [
            ("bar domestic", t("origin_domestic"), [p.domestic for p in trends.volume.points]),
            ("bar foreign", t("origin_foreign"), [p.foreign for p in trends.volume.points]),
        ],
    )
    stances = [s for s in STANCE_ORDER if trends.stance(s).total.total] + sorted(
        s.key for s in trends.stances if s.key not in STANCE_ORDER
    )
    stance_time = time_chart(
        trends,
        [
            (
                f"stance-{s}" if s in STANCE_ORDER else "stance-none",
                t(f"stance_{s}") if s in STANCE_ORDER else s,
                [p.total for p in trends.stance(s).points],
            )
            for s in stances
        ],
    )
    topics = _rows(trends.topics, lambda key: topic_label(settings, key, language))
    narratives = _rows(trends.narratives, lambda key: narrative_statement(settings, key, language))
    stance_rows = [
        Row(s, t(f"stance_{s}") if s in STANCE_ORDER else s, trends.stance(s).total)
        for s in stances
    ]
    month = f"{first.year:04d}-{first.month:02d}"
    return render(
        request,
        "trends.html",
        {
            "trends": trends,
            "first": first,
            "last": last,
            "volume_chart": volume,
            "stance_time_chart": stance_time,
            "topics": topics,
            "topic_chart": bar_chart(topics, t),
            "narratives": narratives,
            "narrative_chart": bar_chart(narratives, t),
            "stance_rows": stance_rows,
            "stance_chart": bar_chart(stance_rows, t),
            "report_periods": [month, iso_week(last)],
            "chart_width": WIDTH,
        },
    )


# The report download lives beside the trends (one router for the app to include).
router.include_router(periodic_router)
