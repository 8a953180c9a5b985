"""The periodic report as a list of blocks (header, headings, paragraphs, tables,
the chart): written once from `PeriodicData`, drawn by both the DOCX and the PDF
renderer, so the two files say the same thing in the same order. Every word
comes from the i18n catalog (`periodic_*` keys)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.i18n import strings
from pipeline.reports.charts import stance_trend_chart
from pipeline.reports.periodic_data import STANCES, CaseLine, PeriodicData, Share
from pipeline.reports.periods import Period

SECTIONS = ("volume", "stance", "promotion", "distortions", "responses", "open")


@dataclass(frozen=True, slots=True)
class Header:
    left: tuple[str, ...]  # the issuing office
    right: tuple[str, ...]  # the national motto lines
    place_date: str


@dataclass(frozen=True, slots=True)
class Title:
    text: str
    subtitle: str


@dataclass(frozen=True, slots=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True, slots=True)
class Para:
    text: str


@dataclass(frozen=True, slots=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[int, ...]  # relative column widths


@dataclass(frozen=True, slots=True)
class Image:
    png: bytes
    caption: str


Block = Header | Title | Heading | Para | Table | Image


def period_name(period: Period, words: Mapping[str, str]) -> str:
    if period.kind == "month":
        return words["periodic_month"].format(
            month=period.first_day.month, year=period.first_day.year
        )
    return words["periodic_week"].format(
        week=period.first_day.isocalendar()[1],
        year=period.first_day.isocalendar()[0],
        first=period.first_day.strftime("%d/%m"),
        last=period.last_day.strftime("%d/%m/%Y"),
    )


def duration(value: dt.timedelta | None, words: Mapping[str, str]) -> str:
    if value is None:
        return words["periodic_not_answered"]
    hours = round(value.total_seconds() / 3600)
    if hours < 24:
        return words["periodic_hours"].format(hours=max(hours, 0))
    return words["periodic_days_hours"].format(days=hours // 24, hours=hours % 24)


def _share_table(first: str, shares: tuple[Share, ...], words: Mapping[str, str]) -> Table:
    return Table(
        (
            first,
            words["periodic_col_count"],
            words["periodic_col_share"],
            words["periodic_col_previous"],
            words["periodic_col_change"],
        ),
        tuple(
            (
                s.label,
                str(s.count),
                f"{s.share:.1f}%",
                f"{s.previous} ({s.previous_share:.1f}%)",
                s.change,
            )
            for s in shares
        ),
        (40, 12, 12, 20, 16),
    )


def _answer(case: CaseLine, words: Mapping[str, str]) -> str:
    state = (
        words[f"resolution_{case.resolution}"]
        if case.resolution
        else words[f"status_{case.status}"]
    )
    return f"{state}: {case.response}" if case.response else state


def _case_rows(
    cases: tuple[CaseLine, ...], words: Mapping[str, str]
) -> tuple[tuple[str, ...], ...]:
    return tuple(
        (
            f"#{c.id}",
            c.title + (f" — {'; '.join(c.narratives)}" if c.narratives else ""),
            c.opened_at.strftime("%d/%m/%Y %H:%M"),
            _answer(c, words),
            duration(c.time_to_respond, words),
        )
        for c in cases
    )


def chart_png(data: PeriodicData) -> bytes:
    words = strings(data.language)
    trends = data.trends
    layers = {s: [p.total for p in trends.stance(s).points] for s in STANCES}
    labels = {s: words[f"stance_{s}"] for s in STANCES}
    labels["stance_over_time"] = words["stance_over_time"]
    return stance_trend_chart([d.strftime("%d/%m") for d in trends.starts], layers, labels)


def outline(data: PeriodicData) -> list[Block]:
    words = strings(data.language)
    w = data.written_at
    blocks: list[Block] = [
        Header(
            (data.office_name.upper(),),
            data.header_lines,
            words["periodic_place_date"].format(
                place=data.place, day=f"{w.day:02d}", month=f"{w.month:02d}", year=w.year
            ),
        ),
        Title(
            words["periodic_report"].upper(),
            f"{period_name(data.period, words)} · "
            + words["periodic_compared"].format(previous=period_name(data.previous, words)),
        ),
    ]
    heading = {key: f"{n}. {words['periodic_s_' + key]}" for n, key in enumerate(SECTIONS, 1)}
    total = data.total
    blocks += [
        Heading(heading["volume"]),
        Para(
            words["periodic_total"].format(
                count=total.count, previous=total.previous, change=total.change
            )
        ),
        _share_table(words["origin"], data.by_origin, words),
        _share_table(words["topic"], data.by_topic, words),
        Heading(heading["stance"]),
        Image(chart_png(data), words["stance_over_time"]),
        _share_table(words["stance"], data.by_stance, words),
        Heading(heading["promotion"]),
        Para(
            words["periodic_promotion_intro"].format(
                topics=", ".join(data.promotion_topics), count=data.promotion_articles
            )
        ),
    ]
    if data.promotion_stories:
        blocks.append(
            Table(
                (words["periodic_col_story"], words["periodic_col_outlets"]),
                tuple((s.title, ", ".join(s.outlets)) for s in data.promotion_stories),
                (60, 40),
            )
        )
        blocks.append(
            Table(
                (words["source"], words["origin"], words["periodic_col_count"]),
                tuple(
                    (o.name, words[f"origin_{o.origin}"], str(o.articles))
                    for o in data.promotion_outlets
                ),
                (50, 30, 20),
            )
        )
    blocks.append(Heading(heading["distortions"]))
    blocks.append(Para(words["periodic_cases_found"].format(count=len(data.cases))))
    blocks.append(
        Para(words["periodic_changes"].format(edits=data.edits, deletions=data.deletions))
    )
    if data.narratives:
        blocks.append(
            Table(
                (
                    words["trends_narrative"],
                    words["origin_domestic"],
                    words["origin_foreign"],
                    words["case"],
                ),
                tuple(
                    (
                        n.statement,
                        str(n.articles.domestic),
                        str(n.articles.foreign),
                        ", ".join(f"#{i}" for i in n.case_ids) or "—",
                    )
                    for n in data.narratives
                ),
                (55, 13, 13, 19),
            )
        )
    else:
        blocks.append(Para(words["trends_no_narratives"]))
    case_head = (
        words["case"],
        words["periodic_col_title"],
        words["periodic_col_opened"],
        words["periodic_col_answer"],
        words["periodic_col_time"],
    )
    widths = (10, 37, 16, 23, 14)
    blocks.append(Heading(heading["responses"]))
    answered = len(data.response_times)
    blocks.append(
        Para(
            words["periodic_responded"].format(answered=answered, count=len(data.cases))
            + " "
            + words["periodic_median_worst"].format(
                # Nothing answered yet: no figure, rather than "not answered" twice.
                median=duration(data.median_response, words) if answered else "—",
                worst=duration(data.worst_response, words) if answered else "—",
            )
        )
    )
    if data.cases:
        blocks.append(Table(case_head, _case_rows(data.cases, words), widths))
    blocks.append(Heading(heading["open"]))
    blocks.append(Para(words["periodic_open_count"].format(count=len(data.open_cases))))
    if data.open_cases:
        blocks.append(Table(case_head, _case_rows(data.open_cases, words), widths))
    return blocks
