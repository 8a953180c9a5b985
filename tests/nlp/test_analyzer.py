from __future__ import annotations

import dataclasses

from core.analysis import Document
from core.config import Settings
from nlp.analyzer import Analyzer
from nlp.registry import build_analyzer

# Written for these tests against the tests' office narratives
# (tests/fixtures/config/office.yaml): a repeat of airport-sold-abroad and its denial.
AIRPORT = Document(
    id="a",
    title="Người dân Quảng Bình bức xúc vì mất sân bay Đồng Hới",
    text=(
        "Sân bay Đồng Hới đã bị bán cho một công ty nước ngoài với giá rẻ mạt, mọi khoản thu từ "
        "đường bay giờ chảy vào túi người ngoại quốc. Chính quyền tỉnh Quảng Bình giấu kín thương "
        "vụ này với người dân."
    ),
    origin="foreign",
)
DENIAL = Document(
    id="b",
    title="Bác bỏ thông tin sân bay Đồng Hới bị bán cho nước ngoài",
    text=(
        "UBND tỉnh Quảng Bình khẳng định sân bay Đồng Hới vẫn do Nhà nước quản lý, không hề được "
        "bán cho bất kỳ doanh nghiệp nước ngoài nào. Thông tin lan truyền trên mạng là bịa đặt."
    ),
    origin="domestic",
)
TOURISM = Document(
    id="c",
    title="Quang Binh welcomes record numbers of tourists",
    text=(
        "Quang Binh province welcomed more than four million visitors this year. "
        "Tourism revenue rose sharply and new homestays opened in Phong Nha."
    ),
)


def test_results_in_order_with_everything_the_output_names(analyzer: Analyzer) -> None:
    results = analyzer.analyze([AIRPORT, DENIAL, TOURISM])
    assert [r.id for r in results] == ["a", "b", "c"]
    line = results[0].to_json()
    for key in (
        "id",
        "language",
        "relevant",
        "places",
        "topics",
        "stance",
        "tone",
        "narratives",
        "distortion",
    ):
        assert key in line
    assert set(line["distortion"]) >= {"score", "flagged", "reasons"}
    assert analyzer.analyze([]) == []


def test_narrative_repeated_is_flagged_with_reasons_pointing_at_text(analyzer: Analyzer) -> None:
    result = analyzer.analyze([AIRPORT])[0]
    assert result.relevant and result.language == "vi"
    assert [n.id for n in result.narratives] == ["airport-sold-abroad"]
    assert result.rebuttals == ()
    sentence = result.narratives[0].sentence
    assert sentence.startswith("Sân bay Đồng Hới đã bị bán") and sentence in AIRPORT.text
    assert result.stance.label == "critical"
    assert result.distortion.flagged
    kinds = {r.kind for r in result.distortion.reasons}
    assert {"narrative", "origin"} <= kinds
    narrative_reason = next(r for r in result.distortion.reasons if r.kind == "narrative")
    assert narrative_reason.ref == "airport-sold-abroad"
    assert narrative_reason.sentence == sentence


def test_a_denial_is_not_a_repetition(analyzer: Analyzer) -> None:
    result = analyzer.analyze([DENIAL])[0]
    assert result.narratives == ()
    assert not result.distortion.flagged
    assert [r.id for r in result.rebuttals] == ["airport-sold-abroad"]
    combined = f"{DENIAL.title}\n\n{DENIAL.text}"
    assert result.rebuttals[0].sentence in combined


def test_positive_tourism_story(analyzer: Analyzer) -> None:
    result = analyzer.analyze([TOURISM])[0]
    assert result.language == "en"
    assert {p.name for p in result.places} == {"quang-binh", "phong-nha-ke-bang"}
    assert result.topics[0].id == "tourism"
    assert result.stance.label in {"supportive", "neutral"}
    assert result.tone.label == "positive"
    assert not result.distortion.flagged


def test_place_offsets_index_title_blank_line_text(analyzer: Analyzer) -> None:
    result = analyzer.analyze([TOURISM])[0]
    combined = f"{TOURISM.title}\n\n{TOURISM.text}"
    for place in result.places:
        assert combined[place.start : place.end] == place.surface


def test_version_follows_config(nlp_settings: Settings, analyzer: Analyzer) -> None:
    again = build_analyzer(nlp_settings.analysis())
    assert again.version == analyzer.version and len(again.version) <= 64
    thresholds = nlp_settings.nlp.thresholds.model_copy(update={"flag": 0.9})
    changed = nlp_settings.model_copy(
        update={"nlp": nlp_settings.nlp.model_copy(update={"thresholds": thresholds})}
    )
    stricter = build_analyzer(changed.analysis())
    assert stricter.version != analyzer.version
    doc = dataclasses.replace(AIRPORT, origin=None)
    base = analyzer.analyze([doc])[0].distortion
    result = stricter.analyze([doc])[0].distortion
    assert result.score == base.score
    assert base.flagged and not result.flagged  # same score, the office's flag cut decides
    assert result.flagged == (result.score >= 0.9)
