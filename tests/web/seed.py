"""Test data for the web app, stored through the repository functions."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from core.analysis import AnalysisResult, Distortion, LabelScore, NarrativeMatch, Reason, TopicScore
from core.config import Settings
from core.record import Article, Snapshot
from pipeline.review.workflow import open_case
from pipeline.web.passwords import hash_password
from storage.analyses import StoredAnalysis, save_analysis
from storage.articles import add_article, assign_story, new_story
from storage.db import Database
from storage.snapshots import save_snapshot
from storage.sources import record_crawl_outcome, sync_sources
from storage.users import add_user

PASSWORD = "correct horse battery"
USERS = {"viewer": "vera", "analyst": "anh", "admin": "root"}

NARRATIVE_SENTENCE = "Gạo cứu trợ phát ở Lệ Thủy toàn là gạo mốc, chẳng ai nấu được."
PAYLOAD_TITLE = '<script>window.__pwned = "title"</script><img src=x onerror="window.__pwned=1">Lũ'
PAYLOAD_SENTENCE = "<img src=x onerror=\"window.__pwned='sentence'\"> tiền cứu trợ bị chiếm đoạt."
PAYLOAD_TEXT = (
    "Mở đầu bài viết về Quảng Bình.\n\n"
    "<script>window.__pwned = 'text'; alert('pwned')</script>\n\n"
    + PAYLOAD_SENTENCE
    + "\n\n<svg onload=\"window.__pwned='svg'\"></svg> Hết."
)
SNAPSHOT_HTML = (
    b"<html><head><title>Evidence</title><script>parent.__pwned='snapshot'</script></head>"
    b"<body><h1>Tin g\xc3\xb4c</h1><img src=x onerror=\"parent.__pwned='img'\"></body></html>"
)


@dataclass
class Seeded:
    case_id: int
    story_id: int
    flagged_article: int
    foreign_copy: int
    calm_article: int
    payload_article: int
    payload_case: int
    snapshot_id: int


def _analysis(
    article_id: int, *, score: float, stance: str, topics: list[str], sentence: str | None
) -> StoredAnalysis:
    flagged = score >= 0.55
    reasons = (
        (
            Reason(
                kind="narrative",
                weight=0.6,
                detail="lặp lại luận điệu",
                sentence=sentence,
                ref="relief-rice-mouldy",
            ),
            Reason(kind="origin", weight=0.2, detail="foreign outlet"),
        )
        if sentence
        else ()
    )
    result = AnalysisResult(
        id=str(article_id),
        language="vi",
        relevant=True,
        places=(),
        topics=tuple(TopicScore(id=t, score=0.9) for t in topics),
        stance=LabelScore(label=stance, score=0.8),
        tone=LabelScore(label="negative" if flagged else "neutral", score=0.6),
        narratives=(
            (NarrativeMatch(id="relief-rice-mouldy", score=0.7, sentence=sentence),)
            if sentence
            else ()
        ),
        distortion=Distortion(score=score, flagged=flagged, reasons=reasons),
        backend="scripted",
        model_version="test-1",
    )
    return StoredAnalysis(
        article_id=article_id,
        analyzer_version="test-1",
        backend="scripted",
        model_version="test-1",
        result=result,
    )


def _article(
    source_id: str, n: int, title: str, text: str, when: dt.datetime, snapshot_id: int | None = None
) -> Article:
    url = f"https://news.example/{source_id}/{n}"
    return Article(
        url=url,
        canonical_url=url,
        source_id=source_id,
        title=title,
        text=text,
        published_at=when,
        language="vi",
        content_hash=f"{n:064d}",
        relevant=True,
        snapshot_id=snapshot_id,
    )


def seed(database: Database, settings: Settings, now: dt.datetime | None = None) -> Seeded:
    now = now or dt.datetime.now(dt.UTC)
    recent = now - dt.timedelta(minutes=30)
    with database.session() as s:
        sync_sources(s, settings.sources)
        record_crawl_outcome(s, "rfa-vietnamese", ok=False, error="HTTP 503 <b>down</b>")
        record_crawl_outcome(s, "baoquangtri", ok=True)
        for role, name in USERS.items():
            add_user(s, name, hash_password(PASSWORD), role, "vi")
        snapshot_id = save_snapshot(
            s,
            Snapshot(
                url="https://news.example/baoquangtri/1",
                final_url="https://news.example/baoquangtri/1",
                status=200,
                body=SNAPSHOT_HTML,
                headers={"Content-Type": "text/html; charset=utf-8"},
                source_id="baoquangtri",
            ),
        )
        text = f"Mưa lớn ở Quảng Bình.\n\n{NARRATIVE_SENTENCE} Chính quyền bác bỏ."
        flagged = add_article(
            s, _article("baoquangtri", 1, "Lũ ở Quảng Bình", text, recent, snapshot_id)
        )
        copy = add_article(s, _article("bbc-vietnamese", 2, "Lũ ở Quảng Bình (BBC)", text, recent))
        calm = add_article(
            s,
            _article(
                "vnexpress", 3, "Du lịch Phong Nha đón khách", "Phong Nha đón nhiều khách.", recent
            ),
        )
        payload = add_article(s, _article("rfa-vietnamese", 4, PAYLOAD_TITLE, PAYLOAD_TEXT, recent))
        story = new_story(s, "Lũ ở Quảng Bình")
        assign_story(s, flagged, story)
        assign_story(s, copy, story)
        story2 = new_story(s, PAYLOAD_TITLE)
        assign_story(s, payload, story2)
        save_analysis(
            s,
            _analysis(
                flagged,
                score=0.8,
                stance="critical",
                topics=["disaster"],
                sentence=NARRATIVE_SENTENCE,
            ),
        )
        save_analysis(
            s,
            _analysis(
                copy, score=0.7, stance="critical", topics=["disaster"], sentence=NARRATIVE_SENTENCE
            ),
        )
        save_analysis(
            s, _analysis(calm, score=0.1, stance="supportive", topics=["tourism"], sentence=None)
        )
        save_analysis(
            s,
            _analysis(
                payload,
                score=0.9,
                stance="critical",
                topics=["disaster"],
                sentence=PAYLOAD_SENTENCE,
            ),
        )
        case_id = open_case(
            s,
            story_id=story,
            title="Lũ ở Quảng Bình",
            article_id=flagged,
            distortion_score=0.8,
            priority=75.0,
            topics=["disaster"],
        )
        payload_case = open_case(
            s,
            story_id=story2,
            title=PAYLOAD_TITLE,
            article_id=payload,
            distortion_score=0.9,
            priority=50.0,
            topics=["disaster"],
        )
    return Seeded(
        case_id=case_id,
        story_id=story,
        flagged_article=flagged,
        foreign_copy=copy,
        calm_article=calm,
        payload_article=payload,
        payload_case=payload_case,
        snapshot_id=snapshot_id,
    )


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)
