"""Test data for the library of answers: a narrative answered before (a closed case
with a response and its link), a new case repeating it, an article rebutting it,
and response templates, stored through the repository functions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.analysis import AnalysisResult, Distortion, LabelScore, NarrativeMatch, TopicScore
from core.record import Article
from pipeline.review.workflow import close_case, open_case, set_response
from storage.analyses import StoredAnalysis, save_analysis
from storage.answer_templates import create_template, save_version
from storage.articles import add_article, assign_story, new_story
from storage.db import Database
from storage.models import CaseRow

NARRATIVE = "relief-rice-mouldy"
OTHER_NARRATIVE = "airport-sold-abroad"
ANSWER_LINK = "https://quangtri.gov.vn/dinh-chinh-gao-cuu-tro"
ANSWER = f"Sở Nông nghiệp đã kiểm tra và đính chính: gạo cứu trợ đạt chuẩn. {ANSWER_LINK}"
REBUTTAL_SENTENCE = "Thông tin gạo cứu trợ ở Lệ Thủy bị mốc là sai sự thật."
TEMPLATE_TEXT = "Kính gửi quý báo: thông tin gạo cứu trợ bị mốc là không đúng sự thật."
TEMPLATE_TEXT_V2 = TEMPLATE_TEXT + " Đề nghị đính chính."
TOPIC_TEMPLATE_TEXT = "Mẫu chung về thiên tai: số liệu cứu trợ được công khai."


@dataclass
class AnswersSeeded:
    answered_case: int  # closed as responded, with ANSWER
    dismissed_case: int  # closed as no_action, older, no response
    new_case: int  # open, repeats NARRATIVE
    other_case: int  # open, repeats OTHER_NARRATIVE only
    rebuttal_article: int
    template_id: int
    topic_template_id: int


def _result(
    n: int,
    *,
    narratives: tuple[str, ...] = (),
    rebuttals: tuple[str, ...] = (),
    topics: tuple[str, ...] = ("disaster",),
) -> AnalysisResult:
    return AnalysisResult(
        id=str(n),
        language="vi",
        relevant=True,
        places=(),
        topics=tuple(TopicScore(id=t, score=0.9) for t in topics),
        stance=LabelScore(label="critical" if narratives else "supportive", score=0.8),
        tone=LabelScore(label="neutral", score=0.6),
        narratives=tuple(
            NarrativeMatch(id=ref, score=0.7, sentence="Gạo cứu trợ toàn là gạo mốc.")
            for ref in narratives
        ),
        rebuttals=tuple(
            NarrativeMatch(id=ref, score=0.8, sentence=REBUTTAL_SENTENCE) for ref in rebuttals
        ),
        distortion=Distortion(score=0.8 if narratives else 0.1, flagged=bool(narratives)),
        backend="scripted",
        model_version="test-1",
    )


def _story_with_article(
    database: Database, n: int, title: str, when: dt.datetime, result: AnalysisResult
) -> tuple[int, int]:
    url = f"https://news.example/answers/{n}"
    article = Article(
        url=url,
        canonical_url=url,
        source_id="baoquangtri",
        title=title,
        text=f"{title}. Quảng Bình.",
        published_at=when,
        language="vi",
        content_hash=f"{n:064d}",
        relevant=True,
    )
    with database.session() as s:
        article_id = add_article(s, article)
        story = new_story(s, title)
        assign_story(s, article_id, story)
        save_analysis(
            s,
            StoredAnalysis(
                article_id=article_id,
                analyzer_version="test-1",
                backend="scripted",
                model_version="test-1",
                result=result,
            ),
        )
    return story, article_id


def _case(
    database: Database, n: int, title: str, when: dt.datetime, narratives: tuple[str, ...]
) -> int:
    story, article_id = _story_with_article(
        database, n, title, when, _result(n, narratives=narratives)
    )
    with database.session() as s:
        case_id = open_case(
            s,
            story_id=story,
            title=title,
            article_id=article_id,
            distortion_score=0.8,
            priority=60.0,
            topics=["disaster"],
        )
        row = s.get(CaseRow, case_id)
        assert row is not None
        row.opened_at = when  # the past, so times to respond and orders are known
    return case_id


def seed_answers(database: Database, now: dt.datetime | None = None) -> AnswersSeeded:
    """The library's data; the sources must exist (`sync_sources`, or tests.web.seed)."""
    now = now or dt.datetime.now(dt.UTC)
    dismissed = _case(
        database, 901, "Tin đồn gạo mốc (lần 1)", now - dt.timedelta(days=30), (NARRATIVE,)
    )
    answered = _case(database, 902, "Gạo cứu trợ bị mốc?", now - dt.timedelta(days=3), (NARRATIVE,))
    new = _case(database, 903, "Lại tin gạo cứu trợ mốc", now - dt.timedelta(hours=1), (NARRATIVE,))
    other = _case(database, 904, "Sân bay bị bán?", now - dt.timedelta(hours=2), (OTHER_NARRATIVE,))
    with database.session() as s:
        close_case(s, dismissed, "no_action", "anh")
        row = s.get(CaseRow, dismissed)
        assert row is not None
        row.closed_at = now - dt.timedelta(days=29)
        set_response(s, answered, ANSWER, "anh")
        close_case(s, answered, "responded", "anh")
    _, rebuttal = _story_with_article(
        database,
        905,
        "Sự thật về gạo cứu trợ Lệ Thủy",
        now - dt.timedelta(days=2),
        _result(905, rebuttals=(NARRATIVE,)),
    )
    with database.session() as s:
        template = create_template(
            s,
            kind="narrative",
            ref=NARRATIVE,
            title="Trả lời báo chí",
            text=TEMPLATE_TEXT,
            author="root",
        )
        save_version(s, template.id, TEMPLATE_TEXT_V2, "lan")
        topic_template = create_template(
            s,
            kind="topic",
            ref="disaster",
            title="Thiên tai",
            text=TOPIC_TEMPLATE_TEXT,
            author="root",
        )
    return AnswersSeeded(
        answered_case=answered,
        dismissed_case=dismissed,
        new_case=new,
        other_case=other,
        rebuttal_article=rebuttal,
        template_id=template.id,
        topic_template_id=topic_template.id,
    )
