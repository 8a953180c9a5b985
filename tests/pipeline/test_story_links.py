"""Cross-language story links: the English and Vietnamese versions of one story share
one story and one case, in either order, when the embedding is close AND the texts
share their figures and names AND their analyses agree on the watched narratives.
Another story on the same place and subject (the official aid report against the
"aid never arrived" story, which the embedding puts closer than the true version),
an article outside the window and versions whose stories both have cases stay apart."""

from __future__ import annotations

import datetime as dt

import pytest

from core.config import Settings
from nlp.encoder import shared_encoder
from pipeline.process import story_links_eval
from pipeline.process.analyse import run_process
from pipeline.process.story_links import THRESHOLD, LinkRule, StoryLinker, link_text
from storage.cases import get_case, list_cases
from storage.db import Database
from storage.models import ArticleRow
from storage.sources import sync_sources
from tests.pipeline.helpers import NOW, ScriptedAnalyzer, store_article

VI_TITLE = "Quảng Bình hỗ trợ hơn 1.500 hộ dân vùng lũ Lệ Thủy"
VI_TEXT = (
    "UBND tỉnh Quảng Bình đã trao hỗ trợ cho hơn 1.500 hộ dân bị thiệt hại do mưa lũ tại "
    "huyện Lệ Thủy. Tổng kinh phí là 12 tỷ đồng cùng 80 tấn gạo từ nguồn dự trữ quốc gia; "
    "mỗi hộ có nhà bị sập được hỗ trợ 40 triệu đồng."
)
EN_TITLE = "Quang Binh flood victims receive VND12 billion in aid"
EN_TEXT = (
    "More than 1,500 households in Le Thuy district, Quang Binh province, received a "
    "total of VND12 billion and 80 tonnes of rice to recover from last month's floods. "
    "Families whose houses collapsed received VND40 million each."
)
# Same place, same floods, the opposite story: no figure of the official report.
CLAIM_TITLE = "Người dân vùng lũ Lệ Thủy nói tiền cứu trợ không đến tay"
CLAIM_TEXT = (
    "Nhiều tuần sau trận lũ ở huyện Lệ Thủy, tỉnh Quảng Bình, một số người dân nói họ "
    "chưa nhận được khoản hỗ trợ nào dù chính quyền công bố đã chi hàng chục tỷ đồng."
)
FLAG = " SCORE=0.8"  # the scripted analyzer: flagged, repeating its one narrative


def _stories(database: Database, *ids: int) -> list[int | None]:
    with database.session() as session:
        return [session.get(ArticleRow, i).story_id for i in ids]  # type: ignore[union-attr]


def _setup(database: Database, settings: Settings) -> None:
    with database.session() as session:
        sync_sources(session, settings.sources)


def _vi(database: Database, title: str = VI_TITLE, text: str = VI_TEXT, **kw: object) -> int:
    return store_article(
        database, source_id="vnexpress", title=title, text=text, new_story_title=title, **kw
    )[0]  # type: ignore[arg-type]


def _en(database: Database, text: str = EN_TEXT, hours: float = 5, **kw: object) -> int:
    return store_article(
        database,
        source_id="bbc-vietnamese",
        title=EN_TITLE,
        text=text,
        language="en",
        published_at=NOW + dt.timedelta(hours=hours),
        new_story_title=EN_TITLE,
        **kw,  # type: ignore[arg-type]
    )[0]


@pytest.mark.parametrize("english_first", [False, True])
def test_versions_in_either_order_share_one_story_and_case(
    database: Database, settings: Settings, english_first: bool
) -> None:
    _setup(database, settings)
    analyzer = ScriptedAnalyzer()
    first = _en(database, EN_TEXT + FLAG) if english_first else _vi(database, text=VI_TEXT + FLAG)
    run_process(settings, database, analyzer, now=NOW)
    second = _vi(database, text=VI_TEXT + FLAG) if english_first else _en(database, EN_TEXT + FLAG)
    run_process(settings, database, analyzer, now=NOW)
    story_first, story_second = _stories(database, first, second)
    assert story_first == story_second is not None
    with database.session() as session:
        cases = list_cases(session)
        assert len(cases) == 1
        detail = get_case(session, cases[0].id)
        assert {a.language for a in detail.articles} == {"vi", "en"}
    # A rerun changes nothing.
    assert run_process(settings, database, analyzer, now=NOW).analysed == 0
    assert _stories(database, first, second) == [story_first, story_second]


def test_opposite_story_on_the_same_floods_is_not_linked_though_closer(
    database: Database, settings: Settings
) -> None:
    """The failure of the embedding-only linker on the demo's press: the English aid
    report is as close to the "aid never arrived" story as to its own version."""
    vectors = shared_encoder().encode(
        [link_text(EN_TITLE, "", EN_TEXT), link_text(CLAIM_TITLE, "", CLAIM_TEXT)]
    )
    assert float(vectors[0] @ vectors[1]) >= THRESHOLD  # the embedding alone would link
    _setup(database, settings)
    claim = _vi(database, CLAIM_TITLE, CLAIM_TEXT)
    run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    en = _en(database)
    run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    assert len(set(_stories(database, claim, en))) == 2
    official = _vi(database)  # its true version arrives: they join
    run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    story_claim, story_en, story_official = _stories(database, claim, en, official)
    assert story_en == story_official != story_claim


def test_a_narrative_one_version_repeats_and_the_other_does_not_keeps_them_apart(
    database: Database, settings: Settings
) -> None:
    _setup(database, settings)
    vi = _vi(database, text=VI_TEXT + FLAG)  # repeats the narrative
    run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    en = _en(database)  # same figures and names, no narrative
    run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    assert len(set(_stories(database, vi, en))) == 2


def test_outside_the_window_not_linked(database: Database, settings: Settings) -> None:
    _setup(database, settings)
    vi = _vi(database)
    late = _en(database, hours=100)
    run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    assert len(set(_stories(database, vi, late))) == 2


def _set_relevant(database: Database, article_id: int, relevant: bool) -> None:
    with database.session() as session:
        row = session.get(ArticleRow, article_id)
        assert row is not None
        row.relevant = relevant


def test_versions_whose_stories_both_have_cases_stay_apart(
    database: Database, settings: Settings
) -> None:
    _setup(database, settings)
    vi = _vi(database, text=VI_TEXT + FLAG)
    en = _en(database, EN_TEXT + FLAG, relevant=False)
    analyzer = ScriptedAnalyzer()
    run_process(settings, database, analyzer, now=NOW)  # the Vietnamese case opens
    _set_relevant(database, vi, False)
    _set_relevant(database, en, True)
    run_process(settings, database, analyzer, now=NOW)  # the English one opens its own
    _set_relevant(database, vi, True)
    linker = StoryLinker(settings.watch)
    with database.session() as session:
        assert linker.link(session, en) is None
        assert linker.link(session, vi) is None
        assert len(list_cases(session)) == 2
    assert len(set(_stories(database, vi, en))) == 2


def test_team_pairs_held_out_linked_without_false_links() -> None:
    """Held-out half of the team-written set (its card: nlp/data/stories/README.md):
    the embedding alone at the shipped cut links other stories; with the figures and
    names check none, and at least 14 of the 20 true pairs (15 measured)."""
    vi, en = story_links_eval.load()
    held_vi = [t for t in vi if not story_links_eval.in_dev(t)]
    held_en = [t for t in en if not story_links_eval.in_dev(t)]
    sims = story_links_eval.similarities(held_vi, held_en)
    checked = story_links_eval.figures(held_vi, held_en, sims, LinkRule())
    assert checked["false_links"] == 0 and checked["linked"] >= 14, checked
    loose = LinkRule(check_numbers=False)
    assert story_links_eval.figures(held_vi, held_en, sims, loose)["false_links"] > 0
