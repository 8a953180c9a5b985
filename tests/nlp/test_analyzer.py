from __future__ import annotations

import dataclasses

from core.analysis import Document
from core.config import Settings
from nlp.analyzer import Analyzer
from nlp.registry import build_analyzer

CABLE_CAR = Document(
    id="a",
    title="Hang Sơn Đoòng sắp bị phá hủy",
    text=(
        "Theo nguồn tin của chúng tôi, hang Sơn Đoòng sắp bị phá nát vì dự án cáp treo của "
        "tỉnh Quảng Bình. Chính quyền phớt lờ mọi lời cảnh báo của giới khoa học."
    ),
    origin="foreign",
)
DENIAL = Document(
    id="b",
    title="Bác bỏ tin đồn cáp treo vào hang Sơn Đoòng",
    text=(
        "UBND tỉnh Quảng Bình khẳng định thông tin hang Sơn Đoòng sắp bị phá hủy vì dự án cáp "
        "treo là sai sự thật. Tỉnh không có kế hoạch xây cáp treo vào hang."
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
    results = analyzer.analyze([CABLE_CAR, DENIAL, TOURISM])
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
    result = analyzer.analyze([CABLE_CAR])[0]
    assert result.relevant and result.language == "vi"
    assert [n.id for n in result.narratives] == ["son-doong-cable-car"]
    assert "cáp treo" in result.narratives[0].sentence
    assert result.stance.label == "critical"
    assert result.distortion.flagged
    kinds = {r.kind for r in result.distortion.reasons}
    assert {"narrative", "origin"} <= kinds
    narrative_reason = next(r for r in result.distortion.reasons if r.kind == "narrative")
    assert narrative_reason.sentence and narrative_reason.ref == "son-doong-cable-car"


def test_a_denial_is_not_a_repetition(analyzer: Analyzer) -> None:
    result = analyzer.analyze([DENIAL])[0]
    assert result.narratives == ()
    assert not result.distortion.flagged
    assert result.rebuttals[0].id == "son-doong-cable-car"


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
    result = stricter.analyze([dataclasses.replace(CABLE_CAR, origin=None)])[0]
    assert result.distortion.flagged == (result.distortion.score >= 0.9)
