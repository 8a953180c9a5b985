"""What goes into the periodic report ("báo cáo tổng hợp dư luận báo chí"): one
`collect` computes every figure, and the DOCX and the PDF both render the
`PeriodicData` it returns, so the two files cannot disagree.

Counts come from the trend series (`storage.trends`, in SQL) for the period and
the one before it; the image-promotion view reads the period's articles
(`storage.reports.articles_fetched_between`, the same window and analyses); the
cases and their response times come from the case trail. Open cases are those
open when the report is written.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pipeline.i18n import narrative_statement, strings, topic_label
from pipeline.reports.periods import Period
from storage.reports import ReportArticle, articles_fetched_between
from storage.trends import CaseTiming, Split, Trends, cases_open_now, cases_opened_in, period_trends
from storage.versions import edits_and_deletions

if TYPE_CHECKING:
    from core.config import Settings
    from storage.db import Database

TOP_STORIES = 5
TOP_OUTLETS = 5
STANCES = ("supportive", "neutral", "critical", "none")
# The image-promotion view: supportive coverage of these topics (those the config has).
PROMOTION_TOPICS = ("tourism", "investment", "disaster")


@dataclass(frozen=True, slots=True)
class Share:
    """A count in the period and the one before, with its share of the total."""

    key: str
    label: str
    count: int
    total: int
    previous: int
    previous_total: int

    @property
    def share(self) -> float:
        return 100 * self.count / self.total if self.total else 0.0

    @property
    def previous_share(self) -> float:
        return 100 * self.previous / self.previous_total if self.previous_total else 0.0

    @property
    def change(self) -> str:
        """Signed change in count against the previous period, as shown."""
        if self.previous == 0:
            return f"+{self.count}" if self.count else "±0"
        percent = round(100 * (self.count - self.previous) / self.previous)
        return f"{percent:+d}%" if percent else "±0%"


@dataclass(frozen=True, slots=True)
class StoryLine:
    title: str
    url: str
    outlets: tuple[str, ...]
    articles: int


@dataclass(frozen=True, slots=True)
class OutletLine:
    name: str
    origin: str
    articles: int


@dataclass(frozen=True, slots=True)
class NarrativeLine:
    key: str
    statement: str
    articles: Split
    case_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CaseLine:
    id: int
    title: str
    opened_at: dt.datetime  # local time
    status: str
    resolution: str | None
    response: str | None
    time_to_respond: dt.timedelta | None
    narratives: tuple[str, ...]  # statements
    priority: float


@dataclass(frozen=True, slots=True)
class PeriodicData:
    period: Period
    previous: Period
    language: str
    office_name: str
    header_lines: tuple[str, ...]
    place: str
    written_at: dt.datetime  # local time
    total: Share
    by_origin: tuple[Share, ...]
    by_topic: tuple[Share, ...]
    by_stance: tuple[Share, ...]
    trends: Trends
    promotion_topics: tuple[str, ...]  # labels
    promotion_articles: int
    promotion_stories: tuple[StoryLine, ...]
    promotion_outlets: tuple[OutletLine, ...]
    narratives: tuple[NarrativeLine, ...]
    cases: tuple[CaseLine, ...]  # opened in the period
    open_cases: tuple[CaseLine, ...]
    # Edits and removals by outlets the recrawl saw in the period (issue 15).
    edits: int = 0
    deletions: int = 0

    @property
    def response_times(self) -> list[dt.timedelta]:
        return [c.time_to_respond for c in self.cases if c.time_to_respond is not None]

    @property
    def median_response(self) -> dt.timedelta | None:
        times = self.response_times
        if not times:
            return None
        # statistics.median wants numbers: take it over seconds.
        return dt.timedelta(seconds=statistics.median(t.total_seconds() for t in times))

    @property
    def worst_response(self) -> dt.timedelta | None:
        return max(self.response_times, default=None)


def _shares(
    keys: list[str],
    now: dict[str, int],
    before: dict[str, int],
    totals: tuple[int, int],
    label: dict[str, str],
) -> tuple[Share, ...]:
    return tuple(
        Share(key, label.get(key, key), now.get(key, 0), totals[0], before.get(key, 0), totals[1])
        for key in keys
    )


def _case_line(timing: CaseTiming, settings: Settings, language: str, zone: ZoneInfo) -> CaseLine:
    case = timing.case
    return CaseLine(
        id=case.id,
        title=case.title,
        opened_at=case.opened_at.astimezone(zone),
        status=case.status,
        resolution=case.resolution,
        response=case.response,
        time_to_respond=timing.time_to_respond,
        narratives=tuple(narrative_statement(settings, n, language) for n in timing.narratives),
        priority=case.priority,
    )


def _promotion(
    articles: list[ReportArticle], topics: set[str], threshold: float
) -> tuple[int, tuple[StoryLine, ...], tuple[OutletLine, ...]]:
    """Supportive coverage of the promotion topics: its top stories (each once, with
    every outlet that ran it) and the outlets that carried most of it."""
    chosen = [
        a for a in articles if a.stance == "supportive" and topics & set(a.topic_ids(threshold))
    ]
    stories: dict[str, list[ReportArticle]] = {}
    for article in chosen:
        key = f"s{article.story_id}" if article.story_id is not None else f"a{article.id}"
        stories.setdefault(key, []).append(article)
    lines = []
    for members in stories.values():
        lead = min(members, key=lambda a: (a.published_at or a.fetched_at, a.id))
        names = dict.fromkeys(a.source_name or a.source_id or "?" for a in members)
        lines.append(StoryLine(lead.title, lead.url, tuple(names), len(members)))
    lines.sort(key=lambda s: (-len(s.outlets), -s.articles, s.title))
    counts = Counter((a.source_name or a.source_id or "?", a.origin or "domestic") for a in chosen)
    outlets = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    return (
        len(chosen),
        tuple(lines[:TOP_STORIES]),
        tuple(OutletLine(name, origin, n) for (name, origin), n in outlets[:TOP_OUTLETS]),
    )


def collect(
    settings: Settings,
    database: Database,
    period: Period,
    *,
    language: str = "vi",
    now: dt.datetime | None = None,
) -> PeriodicData:
    zone_name = settings.profile.timezone
    zone = ZoneInfo(zone_name)
    threshold = settings.nlp.thresholds.topic_score
    words = strings(language)
    previous = period.previous()
    start, end = period.bounds(zone_name)
    with database.read_session() as session:
        trends = period_trends(
            session, period.first_day, period.last_day, zone_name, topic_threshold=threshold
        )
        before = period_trends(
            session, previous.first_day, previous.last_day, zone_name, topic_threshold=threshold
        )
        articles = articles_fetched_between(session, start, end)
        opened = cases_opened_in(session, start, end)
        still_open = cases_open_now(session)
        edits, deletions = edits_and_deletions(session, start, end)
    totals = (trends.volume.total.total, before.volume.total.total)
    origin_now = {"domestic": trends.volume.total.domestic, "foreign": trends.volume.total.foreign}
    origin_before = {
        "domestic": before.volume.total.domestic,
        "foreign": before.volume.total.foreign,
    }
    topic_keys = [s.key for s in trends.topics] + [
        s.key for s in before.topics if s.key not in {t.key for t in trends.topics}
    ]
    stance_keys = [
        k for k in STANCES if trends.stance(k).total.total or before.stance(k).total.total
    ]
    promotion_ids = [t for t in PROMOTION_TOPICS if t in {x.id for x in settings.topics}]
    promoted, stories, outlets = _promotion(articles, set(promotion_ids), threshold)
    case_by_narrative: dict[str, list[int]] = {}
    for timing in opened:
        for narrative in timing.narratives:
            case_by_narrative.setdefault(narrative, []).append(timing.case.id)
    return PeriodicData(
        period=period,
        previous=previous,
        language=language,
        office_name=settings.profile.office_name or settings.profile.name,
        header_lines=tuple(settings.profile.header_lines),
        place=settings.watch.place.names[0] if settings.watch.place.names else "",
        written_at=(now or dt.datetime.now(dt.UTC)).astimezone(zone),
        total=Share("all", words["articles_total"], totals[0], totals[0], totals[1], totals[1]),
        by_origin=_shares(
            ["domestic", "foreign"],
            origin_now,
            origin_before,
            totals,
            {o: words[f"origin_{o}"] for o in ("domestic", "foreign")},
        ),
        by_topic=_shares(
            topic_keys,
            {s.key: s.total.total for s in trends.topics},
            {s.key: s.total.total for s in before.topics},
            totals,
            {k: topic_label(settings, k, language) for k in topic_keys},
        ),
        by_stance=_shares(
            stance_keys,
            {s.key: s.total.total for s in trends.stances},
            {s.key: s.total.total for s in before.stances},
            totals,
            {k: words[f"stance_{k}"] for k in STANCES},
        ),
        trends=trends,
        promotion_topics=tuple(topic_label(settings, t, language) for t in promotion_ids),
        promotion_articles=promoted,
        promotion_stories=stories,
        promotion_outlets=outlets,
        narratives=tuple(
            NarrativeLine(
                s.key,
                narrative_statement(settings, s.key, language),
                s.total,
                tuple(case_by_narrative.get(s.key, ())),
            )
            for s in trends.narratives
        ),
        cases=tuple(_case_line(t, settings, language, zone) for t in opened),
        open_cases=tuple(_case_line(t, settings, language, zone) for t in still_open),
        edits=edits,
        deletions=deletions,
    )
