"""What goes into a day's digest: numbers, cases, stories per topic, foreign
press, stance by origin. Pure data from storage; digest.py renders it.

A "story" is a near-duplicate cluster, so an item carried by five outlets is
listed once with its five outlets. The day is the local calendar day of the
office's timezone; the week before is the seven days preceding it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipeline.i18n import narrative_statement, reason_text, topic_label
from pipeline.reports.periods import day_bounds, days_bounds
from storage.cases import Case, get_case, list_cases
from storage.db import Database
from storage.reports import ReportArticle, articles_fetched_between, cases_opened_between
from storage.versions import edits_and_deletions

if TYPE_CHECKING:
    from core.config import Settings

TOP_STORIES_PER_TOPIC = 5
STANCES = ("supportive", "neutral", "critical")


@dataclass
class Metric:
    key: str
    value: int
    week_average: float

    @property
    def change(self) -> str:
        """Signed change against the previous week's daily average, as shown."""
        if self.week_average == 0:
            return "+" + str(self.value) if self.value else "±0"
        percent = round(100 * (self.value - self.week_average) / self.week_average)
        return f"{percent:+d}%" if percent else "±0%"


@dataclass
class Outlet:
    name: str
    url: str
    origin: str


@dataclass
class StoryItem:
    title: str
    url: str
    outlets: list[Outlet]
    score: float
    stance: str


@dataclass
class TopicSection:
    topic: str
    label: str
    stories: list[StoryItem]


@dataclass
class CaseItem:
    case: Case
    url: str
    outlets: list[Outlet]
    reasons: list[dict[str, Any]]
    topic_labels: list[str]
    is_new: bool


@dataclass
class RebuttalItem:
    """An article of the day that denies or debunks a watched narrative: citable."""

    statement: str
    sentence: str
    title: str
    url: str
    outlet: str


@dataclass
class DigestData:
    day: dt.date
    language: str
    metrics: list[Metric]
    cases: list[CaseItem]
    topics: list[TopicSection]
    foreign: list[StoryItem]
    stance_by_origin: dict[str, dict[str, int]]
    topic_names: dict[str, str] = field(default_factory=dict)
    rebuttals: list[RebuttalItem] = field(default_factory=list)


def _story_key(article: ReportArticle) -> str:
    return f"s{article.story_id}" if article.story_id is not None else f"a{article.id}"


def _metrics(
    day_articles: list[ReportArticle],
    week_articles: list[ReportArticle],
    new_cases: int,
    week_new_cases: int,
    open_cases: int,
) -> list[Metric]:
    def counts(articles: list[ReportArticle]) -> dict[str, int]:
        return {
            "articles_total": len(articles),
            "stories": len({_story_key(a) for a in articles}),
            "foreign_articles": sum(a.origin == "foreign" for a in articles),
            "flagged_total": sum(a.flagged for a in articles),
        }

    today, week = counts(day_articles), counts(week_articles)
    metrics = [Metric(key, today[key], week[key] / 7) for key in today]
    metrics.append(Metric("new_cases", new_cases, week_new_cases / 7))
    metrics.append(Metric("open_cases", open_cases, 0.0))
    return metrics


def _outlets(articles: list[Any]) -> list[Outlet]:
    seen: dict[str, Outlet] = {}
    for article in articles:
        name = article.source_name or article.source_id or "?"
        seen.setdefault(name, Outlet(name, article.url, article.origin or ""))
    return list(seen.values())


def _stories(articles: list[ReportArticle]) -> dict[str, list[ReportArticle]]:
    stories: dict[str, list[ReportArticle]] = {}
    for article in articles:
        stories.setdefault(_story_key(article), []).append(article)
    return stories


def _story_item(members: list[ReportArticle]) -> StoryItem:
    # The earliest published copy stands for the story (the original, usually).
    lead = min(members, key=lambda a: (a.published_at or a.fetched_at, a.id))
    return StoryItem(
        title=lead.title,
        url=lead.url,
        outlets=_outlets(sorted(members, key=lambda a: a is not lead)),
        score=max((a.distortion_score or 0.0) for a in members),
        stance=lead.analysis.stance.label if lead.analysis else "",
    )


def _foreign(articles: list[ReportArticle]) -> list[StoryItem]:
    """The foreign press's stories of the day, each once with every outlet that ran it."""
    foreign = _stories([a for a in articles if a.origin == "foreign"])
    return [_story_item(members) for members in foreign.values()]


def _topic_sections(
    settings: Settings, articles: list[ReportArticle], language: str
) -> list[TopicSection]:
    threshold = settings.nlp.thresholds.topic_score
    stories = _stories(articles)
    sections = []
    for topic in settings.topics:
        items = [
            _story_item(members)
            for members in stories.values()
            if any(topic.id in a.topic_ids(threshold) for a in members)
        ]
        items.sort(key=lambda s: (-len(s.outlets), -s.score, s.title))
        if items:
            sections.append(
                TopicSection(
                    topic.id,
                    topic_label(settings, topic.id, language),
                    items[:TOP_STORIES_PER_TOPIC],
                )
            )
    return sections


def _case_items(
    settings: Settings, database: Database, new_ids: set[int], language: str
) -> list[CaseItem]:
    items = []
    with database.session() as session:
        for case in list_cases(session, status="open"):
            detail = get_case(session, case.id)
            flagged = [a for a in detail.articles if a.flagged] or detail.articles
            # Syndicated copies give the same reasons: show each one once.
            unique = {
                (r.kind, r.ref, r.sentence): {
                    **r.to_json(),
                    "detail": reason_text(settings, r.to_json(), language),
                }
                for a in flagged
                for r in (a.analysis.reasons_by_weight() if a.analysis else [])
            }
            found = sorted(unique.values(), key=lambda r: -float(r["weight"]))
            items.append(
                CaseItem(
                    case=case,
                    url=flagged[0].url if flagged else "",
                    outlets=_outlets(detail.articles),
                    reasons=found[:3],
                    topic_labels=[topic_label(settings, t, language) for t in case.topics],
                    is_new=case.id in new_ids,
                )
            )
    items.sort(key=lambda item: (not item.is_new, -item.case.priority))
    return items


def _stance_by_origin(articles: list[ReportArticle]) -> dict[str, dict[str, int]]:
    table: dict[str, Counter[str]] = {"domestic": Counter(), "foreign": Counter()}
    for article in articles:
        if article.analysis is None:
            continue
        label = article.analysis.stance.label
        origin = article.origin if article.origin in table else "domestic"
        table[origin][label if label in STANCES else "other"] += 1
    return {origin: dict(counts) for origin, counts in table.items()}


def collect(settings: Settings, database: Database, day: dt.date, language: str) -> DigestData:
    zone = settings.profile.timezone
    start, end = day_bounds(day, zone)
    week_start, _ = days_bounds(day - dt.timedelta(days=1), 7, zone)
    with database.session() as session:
        day_articles = articles_fetched_between(session, start, end)
        week_articles = articles_fetched_between(session, week_start, start)
        new_ids = set(cases_opened_between(session, start, end))
        week_new = len(cases_opened_between(session, week_start, start))
        open_count = len(list_cases(session, status="open"))
        # Edits and removals by outlets that the recrawl saw (issue 15).
        edits, deletions = edits_and_deletions(session, start, end)
        week_edits, week_deletions = edits_and_deletions(session, week_start, start)
    return DigestData(
        day=day,
        language=language,
        metrics=[
            *_metrics(day_articles, week_articles, len(new_ids), week_new, open_count),
            Metric("articles_edited", edits, week_edits / 7),
            Metric("articles_deleted", deletions, week_deletions / 7),
        ],
        cases=_case_items(settings, database, new_ids, language),
        topics=_topic_sections(settings, day_articles, language),
        foreign=_foreign(day_articles),
        stance_by_origin=_stance_by_origin(day_articles),
        topic_names={t.id: topic_label(settings, t.id, language) for t in settings.topics},
        rebuttals=_rebuttals(settings, day_articles, language),
    )


def _rebuttals(
    settings: Settings, articles: list[ReportArticle], language: str
) -> list[RebuttalItem]:
    """Each (narrative, story) once: syndicated copies carry the same rebuttal."""
    seen: dict[tuple[str, str], RebuttalItem] = {}
    for article in articles:
        for match in article.analysis.rebuttals if article.analysis else ():
            seen.setdefault(
                (match.id, _story_key(article)),
                RebuttalItem(
                    statement=narrative_statement(settings, match.id, language),
                    sentence=match.sentence,
                    title=article.title,
                    url=article.url,
                    outlet=article.source_name or article.source_id or "",
                ),
            )
    return list(seen.values())
