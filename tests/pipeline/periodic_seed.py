"""A month of coverage for the trend and periodic-report tests: November 2026 (and
October before it), domestic and foreign outlets, syndicated copies, two
narratives, three cases answered in 6 h, in 48 h, and not yet.

Figures the tests check (local days, Asia/Ho_Chi_Minh):
- November: 10 relevant articles, 7 domestic, 3 foreign; October: 3 (2 + 1).
- November topics: disaster 4, tourism 3, investment 2, administration 1.
- November stances: supportive 4, critical 4, neutral 2.
- Narratives: relief-rice-mouldy 2 articles (foreign, W47), airport-sold-abroad 1 (W48).
- Promotion (supportive on tourism, investment, relief): stories A (2 outlets), B, D.
- ISO week 2026-W47 (16-22 Nov): articles 4, 5, 6, G (4 articles, 2 foreign).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from core.analysis import AnalysisResult, Distortion, LabelScore, NarrativeMatch, TopicScore
from core.config import Source
from core.record import Article
from pipeline.review.workflow import close_case, open_case, set_response
from storage.analyses import StoredAnalysis, save_analysis
from storage.articles import add_article, assign_story, new_story
from storage.db import Database
from storage.models import ArticleRow, CaseEventRow, CaseRow
from storage.sources import sync_sources

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
_numbers = itertools.count(1000)


def local(month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=ZONE).astimezone(dt.UTC)


@dataclass(frozen=True)
class Spec:
    story: str
    source: str
    at: dt.datetime
    title: str
    topic: str
    stance: str
    narrative: str | None = None
    score: float = 0.1
    relevant: bool = True


SPECS = [
    Spec(
        "A",
        "baoquangtri",
        local(11, 3),
        "Phong Nha đón 100.000 lượt khách",
        "tourism",
        "supportive",
    ),
    Spec(
        "A",
        "vnexpress",
        local(11, 3, 15),
        "Phong Nha đón 100.000 lượt khách (VnExpress)",
        "tourism",
        "supportive",
    ),
    Spec(
        "B",
        "tuoitre",
        local(11, 10),
        "Khu kinh tế Hòn La thu hút đầu tư",
        "investment",
        "supportive",
    ),
    Spec(
        "C",
        "bbc-vietnamese",
        local(11, 17, 8),
        "Gạo cứu trợ ở Lệ Thủy bị mốc?",
        "disaster",
        "critical",
        "relief-rice-mouldy",
        0.8,
    ),
    Spec(
        "C",
        "rfa-vietnamese",
        local(11, 18),
        "Dân Lệ Thủy nhận gạo mốc",
        "disaster",
        "critical",
        "relief-rice-mouldy",
        0.75,
    ),
    Spec(
        "D",
        "baoquangtri",
        local(11, 18, 10),
        "Cứu trợ kịp thời cho bà con vùng lũ",
        "disaster",
        "supportive",
    ),
    Spec(
        "G",
        "tuoitre",
        local(11, 20, 7),
        "Tin đồn giải tỏa chợ Đồng Hới",
        "disaster",
        "critical",
        None,
        0.6,
    ),
    Spec(
        "E",
        "rfa-vietnamese",
        local(11, 24),
        "Sân bay Đồng Hới đã bị bán?",
        "investment",
        "critical",
        "airport-sold-abroad",
        0.7,
    ),
    Spec(
        "F",
        "vnexpress",
        local(11, 25),
        "Giao thông Đồng Hới sau sáp nhập",
        "administration",
        "neutral",
    ),
    # The month's last local minutes count; the next local day does not.
    Spec("H", "baoquangtri", local(11, 30, 23, 30), "Hang Én mở cửa lại", "tourism", "neutral"),
    Spec("I", "baoquangtri", local(12, 1, 0, 30), "Tháng mười hai", "tourism", "supportive"),
    Spec(
        "J", "vnexpress", local(11, 5), "Không liên quan", "tourism", "supportive", relevant=False
    ),
    # October: the previous month.
    Spec("K", "baoquangtri", local(10, 10), "Du lịch tháng mười", "tourism", "supportive"),
    Spec("L", "bbc-vietnamese", local(10, 20), "Lũ tháng mười", "disaster", "neutral"),
    Spec("M", "vnexpress", local(10, 21), "Khách đến Quảng Bình", "tourism", "supportive"),
]


@dataclass
class SeededMonth:
    articles: dict[str, list[int]]  # story key -> article ids
    stories: dict[str, int]
    cases: dict[str, int]  # "rice" (answered in 6 h), "rumour" (48 h), "airport" (open)


def _analysis(article_id: int, spec: Spec) -> StoredAnalysis:
    narratives = (
        (NarrativeMatch(id=spec.narrative, score=0.8, sentence=spec.title),)
        if spec.narrative
        else ()
    )
    result = AnalysisResult(
        id=str(article_id),
        language="vi",
        relevant=True,
        places=(),
        topics=(TopicScore(id=spec.topic, score=0.9), TopicScore(id="security", score=0.2)),
        stance=LabelScore(label=spec.stance, score=0.8),
        tone=LabelScore(label="neutral", score=0.6),
        narratives=narratives,
        distortion=Distortion(score=spec.score, flagged=spec.score >= 0.55, reasons=()),
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


def _case(
    database: Database,
    story: int,
    article: int,
    title: str,
    opened: dt.datetime,
    answered: dt.timedelta | None,
) -> int:
    with database.session() as s:
        case_id = open_case(
            s,
            story_id=story,
            title=title,
            article_id=article,
            distortion_score=0.8,
            priority=70.0,
            topics=["disaster"],
        )
        if answered is not None:
            set_response(s, case_id, "https://quangtri.gov.vn/bac-bo", "lan")
            close_case(s, case_id, "responded", "lan")
    with database.session() as s:
        row = s.get(CaseRow, case_id)
        assert row is not None
        row.opened_at = opened
        for event in s.query(CaseEventRow).filter(CaseEventRow.case_id == case_id):
            event.at = opened if event.action == "opened" else opened + (answered or dt.timedelta())
        if answered is not None:
            row.closed_at = opened + answered
    return case_id


def seed_month(database: Database, sources: list[Source]) -> SeededMonth:
    with database.session() as s:
        sync_sources(s, sources)
    articles: dict[str, list[int]] = {}
    stories: dict[str, int] = {}
    with database.session() as s:
        for spec in SPECS:
            n = next(_numbers)
            url = f"https://news.example/{spec.source}/{n}"
            article_id = add_article(
                s,
                Article(
                    url=url,
                    canonical_url=url,
                    source_id=spec.source,
                    title=spec.title,
                    text=f"{spec.title}. Quảng Bình.",
                    published_at=spec.at,
                    language="vi",
                    content_hash=f"{n:064d}",
                    relevant=spec.relevant,
                ),
            )
            row = s.get(ArticleRow, article_id)
            assert row is not None
            row.fetched_at = spec.at
            if spec.story not in stories:
                stories[spec.story] = new_story(s, spec.title)
            assign_story(s, article_id, stories[spec.story])
            articles.setdefault(spec.story, []).append(article_id)
            if spec.relevant:
                save_analysis(s, _analysis(article_id, spec))
    cases = {
        "rice": _case(
            database,
            stories["C"],
            articles["C"][0],
            "Gạo cứu trợ ở Lệ Thủy bị mốc?",
            local(11, 17, 10),
            dt.timedelta(hours=6),
        ),
        "rumour": _case(
            database,
            stories["G"],
            articles["G"][0],
            "Tin đồn giải tỏa chợ Đồng Hới",
            local(11, 20, 8),
            dt.timedelta(hours=48),
        ),
        "airport": _case(
            database,
            stories["E"],
            articles["E"][0],
            "Sân bay Đồng Hới đã bị bán?",
            local(11, 24, 10),
            None,
        ),
    }
    return SeededMonth(articles=articles, stories=stories, cases=cases)
