"""Builders shared by the workflow tests: stored articles and a scripted analyzer.

The scripted analyzer stands in for nlp.analyzer only where a test needs exact
scores (priority order, thresholds); it returns the real contract types.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from core.analysis import (
    AnalysisResult,
    Distortion,
    Document,
    LabelScore,
    NarrativeMatch,
    Reason,
    TopicScore,
)
from core.config import AlertRule, Alerts, Channel, Settings
from core.record import Article
from storage.articles import add_article, assign_story, new_story
from storage.db import Database

_counter = itertools.count(1)
NOW = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)  # 10:00 in Hanoi


def store_article(
    database: Database,
    *,
    source_id: str = "baoquangtri",
    title: str = "Lũ ở Quảng Bình",
    text: str = "Mưa lũ ở Quảng Bình.",
    story_id: int | None = None,
    new_story_title: str | None = None,
    published_at: dt.datetime | None = None,
    fetched_at: dt.datetime | None = None,
    relevant: bool = True,
    language: str = "vi",
) -> tuple[int, int | None]:
    """Insert an article (optionally in a story); returns (article id, story id)."""
    n = next(_counter)
    url = f"https://example.test/{source_id}/{n}"
    article = Article(
        url=url,
        canonical_url=url,
        source_id=source_id,
        title=title,
        text=text,
        published_at=published_at or NOW,
        language=language,
        content_hash=f"{n:064d}",
        relevant=relevant,
    )
    with database.session() as session:
        article_id = add_article(session, article)
        if fetched_at is not None:
            from storage.models import ArticleRow

            row = session.get(ArticleRow, article_id)
            assert row is not None
            row.fetched_at = fetched_at
        if new_story_title is not None:
            story_id = new_story(session, new_story_title)
        if story_id is not None:
            assign_story(session, article_id, story_id)
    return article_id, story_id


class ScriptedAnalyzer:
    """Scores by a marker in the text: 'SCORE=0.80' (default 0.1), topics by 'TOPIC=x'."""

    def __init__(self, version: str = "test-1", fail_on: str | None = None) -> None:
        self.version = version
        self.fail_on = fail_on
        self.seen: list[str] = []

    def analyze(self, docs: Sequence[Document]) -> list[AnalysisResult]:
        results = []
        for doc in docs:
            if self.fail_on and self.fail_on in doc.text:
                raise RuntimeError(f"scripted failure on {doc.url}")
            self.seen.append(doc.id)
            results.append(self._one(doc))
        return results

    def _one(self, doc: Document) -> AnalysisResult:
        score = 0.1
        topics = []
        for word in doc.text.split():
            if word.startswith("SCORE="):
                score = float(word.removeprefix("SCORE="))
            if word.startswith("TOPIC="):
                topics.append(TopicScore(id=word.removeprefix("TOPIC="), score=0.9))
        sentence = doc.text.split(".")[0]
        stance = "critical" if score >= 0.5 else "neutral"
        return AnalysisResult(
            id=doc.id,
            language=doc.language or "vi",
            relevant=True,
            places=(),
            topics=tuple(topics),
            stance=LabelScore(label=stance, score=0.8, sentences=(sentence,)),
            tone=LabelScore(label="neutral", score=0.5),
            narratives=(
                (NarrativeMatch(id="relief-rice-mouldy", score=0.7, sentence=sentence),)
                if score >= 0.5
                else ()
            ),
            distortion=Distortion(
                score=score,
                flagged=score >= 0.55,
                reasons=(
                    Reason(
                        kind="narrative",
                        weight=score,
                        detail="repeats a watched narrative",
                        sentence=sentence,
                        ref="relief-rice-mouldy",
                    ),
                )
                if score >= 0.5
                else (),
            ),
            backend="scripted",
            model_version="scripted-1",
        )


def write_config(settings: object, path: object, url: str) -> None:
    """Write `settings` as a config.yaml pointing at the database `url`."""
    from pathlib import Path

    import yaml

    from core.config import Settings

    assert isinstance(settings, Settings) and isinstance(path, Path)
    data = settings.model_dump(mode="json", exclude={"path"})
    data["database"] = {"url": url, "url_env": None}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def with_webhook(settings: Settings, url: str) -> Settings:
    """`settings` alerting every case scoring 0.5 or more, at once, to one webhook
    at `url` (channel "hook"): no quiet hours, no rate limit to speak of."""
    rule = AlertRule(id="high", kind="case_score", min_score=0.5, urgent=True, channels=["hook"])
    return settings.model_copy(
        update={
            "alerts": Alerts(
                rate_limit_per_hour=1000,
                quiet_hours=None,
                rules=[rule],
                channels=[Channel(id="hook", kind="webhook", url=url)],
            )
        }
    )
