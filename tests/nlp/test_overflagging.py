"""The analyzer's over-flag shapes (a flag must mean something) and the repeats it must keep.

Texts are written for these tests against the tests' office narratives
(tests/fixtures/config/office.yaml): `airport-sold-abroad` (Sân bay Đồng Hới /
Dong Hoi airport sold to a foreign group) and `relief-rice-mouldy` (the relief
rice handed out in Lệ Thủy was mouldy).
"""

from __future__ import annotations

import pytest

from core.analysis import Document, LabelScore
from core.config import Settings
from nlp import distortion
from nlp.analyzer import Analyzer
from nlp.registry import build_analyzer
from nlp.text import document_text, split_sentences

REBUTTAL = Document(
    id="rebuttal",
    title="Huyện Lệ Thủy bác tin gạo cứu trợ bị mốc",
    text=(
        "UBND huyện Lệ Thủy, tỉnh Quảng Bình cho biết thông tin gạo cứu trợ phát cho bà con vùng "
        "lũ bị mốc là không đúng sự thật. "
        "Toàn bộ số gạo được xuất mới từ kho dự trữ và đã được kiểm tra chất lượng trước khi phát. "
        "Mấy ngày qua, một số tài khoản mạng xã hội đăng ảnh bao gạo mốc và cho rằng đó là gạo cứu "
        "trợ ở Lệ Thủy. "
        "Cơ quan chức năng xác định các hình ảnh này được chụp ở nơi khác từ nhiều năm trước."
    ),
    origin="domestic",
)
ROUTE = Document(
    id="route",
    title="Dong Hoi airport opens its first route to Bangkok",
    text=(
        "Dong Hoi airport in Quang Binh province will welcome its first international flights "
        "next month, when a Thai budget carrier starts three weekly services to Bangkok. "
        "The provincial government hopes the route will bring more foreign visitors to Phong Nha."
    ),
    origin="domestic",
)
AID = Document(
    id="aid",
    title="Le Thuy flood victims receive 80 tonnes of rice",
    text=(
        "About 3,000 households in Le Thuy district, Quang Binh province, collected 80 tonnes of "
        "rice from the national reserve on Wednesday, ten days after the floods receded. "
        "Each family received 15 kilograms, and village heads signed for every bag."
    ),
    origin="domestic",
)
PASSENGERS = Document(
    id="passengers",
    title="Sân bay Đồng Hới đón gần 600.000 lượt khách",
    text=(
        "Cảng hàng không Đồng Hới vừa đón hành khách thứ 600.000 trong năm, tăng mạnh so với "
        "cùng kỳ. Ban giám đốc cho biết nhà ga sẽ được mở rộng bằng vốn ngân sách để phục vụ mùa "
        "du lịch hè."
    ),
    origin="domestic",
)
AIRPORT_ATTRIBUTED = Document(
    id="airport-attributed",
    title="Xôn xao chuyện sân bay Đồng Hới đổi chủ",
    text=(
        "Một blogger có tiếng ở hải ngoại khẳng định sân bay Đồng Hới đã được bán cho một tập đoàn "
        "của Singapore từ đầu năm. "
        "Người này viết rằng chính quyền Quảng Bình nhận tiền rồi giấu nhẹm thương vụ."
    ),
    origin="foreign",
)
RICE_REPEAT = Document(
    id="rice",
    title="Dân vùng lũ Lệ Thủy kêu gạo cứu trợ không thể nấu",
    text=(
        "Một số hộ dân ở huyện Lệ Thủy, tỉnh Quảng Bình cho biết bao gạo họ nhận sau đợt lũ đã lên "
        "mốc, bốc mùi hôi. Một người nói cả nhà phải đổ bỏ vì nấu lên không ai ăn nổi."
    ),
    origin="foreign",
)
AIRPORT_EN = Document(
    id="airport-en",
    title="Campaigners say Quang Binh sold its airport to foreign investors",
    text=(
        "Dong Hoi airport has quietly passed into the hands of a foreign conglomerate, according "
        "to campaigners abroad."
    ),
    origin="foreign",
)
RICE_EN = Document(
    id="rice-en",
    title="Rotten relief rice, Le Thuy families say",
    text=(
        "Families in Le Thuy district say the sacks of rice handed out after the floods were green "
        "with mould and smelled so bad that nobody could eat it, according to posts shared by a "
        "diaspora group."
    ),
    origin="foreign",
)
# Repeats the airport claim in its title; the body only names the relief claim's subject.
NAMES_ONLY = Document(
    id="names-only",
    title="Dong Hoi airport sold abroad, campaigners claim",
    text=(
        "Officials in Le Thuy district and in Dong Hoi could not be reached for comment on Sunday."
    ),
    origin="foreign",
)


@pytest.mark.parametrize("doc", [REBUTTAL, ROUTE, AID, PASSENGERS], ids=lambda d: d.id)
def test_over_flag_shapes_are_not_flagged(analyzer: Analyzer, doc: Document) -> None:
    result = analyzer.analyze([doc])[0]
    assert result.relevant
    assert result.narratives == ()
    assert not result.distortion.flagged
    assert all(r.kind != "stance" or "p=0.5" not in r.detail for r in result.distortion.reasons)


def test_rebuttal_keeps_the_rumour_as_a_rebuttal(analyzer: Analyzer) -> None:
    result = analyzer.analyze([REBUTTAL])[0]
    assert [r.id for r in result.rebuttals] == ["relief-rice-mouldy"]
    assert result.rebuttals[0].sentence in REBUTTAL.text


@pytest.mark.parametrize(
    ("doc", "narrative"),
    [
        (AIRPORT_ATTRIBUTED, "airport-sold-abroad"),
        (RICE_REPEAT, "relief-rice-mouldy"),
        (AIRPORT_EN, "airport-sold-abroad"),
        (RICE_EN, "relief-rice-mouldy"),
    ],
    ids=lambda v: getattr(v, "id", v),
)
def test_real_repeats_stay_flagged(analyzer: Analyzer, doc: Document, narrative: str) -> None:
    result = analyzer.analyze([doc])[0]
    assert [n.id for n in result.narratives] == [narrative]
    assert result.distortion.flagged
    for reason in result.distortion.reasons:
        assert reason.kind == "origin" or reason.sentence  # every reason points at text


@pytest.fixture(scope="module")
def vietnamese_only(nlp_settings: Settings) -> Analyzer:
    """The office's narratives with their English statements left out."""
    narratives = [n.model_copy(update={"statement_en": ""}) for n in nlp_settings.narratives]
    return build_analyzer(nlp_settings.model_copy(update={"narratives": narratives}).analysis())


@pytest.mark.parametrize(
    ("doc", "narrative"),
    [(AIRPORT_EN, "airport-sold-abroad"), (RICE_EN, "relief-rice-mouldy")],
    ids=lambda v: getattr(v, "id", v),
)
def test_a_repeat_in_the_other_language_stays_flagged(
    vietnamese_only: Analyzer, doc: Document, narrative: str
) -> None:
    result = vietnamese_only.analyze([doc])[0]
    assert result.language == "en"
    assert [n.id for n in result.narratives] == [narrative]
    assert result.distortion.flagged


def test_entity_names_alone_do_not_repeat_a_claim(
    analyzer: Analyzer, office_settings: Settings
) -> None:
    result = analyzer.analyze([NAMES_ONLY])[0]
    assert [n.id for n in result.narratives] == ["airport-sold-abroad"]
    # The body names Lệ Thủy (the relief claim's subject) and says nothing of rice: it is
    # verified against that claim (not merely left out by retrieval) and does not repeat it.
    relief = [n.id for n in office_settings.narratives].index("relief-rice-mouldy")
    matcher = analyzer.narratives  # type: ignore[attr-defined]
    sentences = split_sentences(document_text(NAMES_ONLY))
    assert (1, relief) in matcher.candidates(sentences, len(NAMES_ONLY.title))
    assert "relief-rice-mouldy" not in [n.id for n in result.narratives]


def test_weak_stance_is_no_reason_and_strong_stance_scales_above_chance() -> None:
    def stance_weight(p: float) -> float:
        result = distortion.score(
            narratives=(),
            topics=(),
            sensitive=set(),
            topic_threshold=0.5,
            stance=LabelScore(label="critical", score=p, sentences=("s",)),
            tone=LabelScore(label="neutral", score=1.0),
            origin=None,
            flag_threshold=0.55,
        )
        return sum(r.weight for r in result.reasons if r.kind == "stance")

    assert stance_weight(0.50) == 0.0
    assert stance_weight(0.70) == pytest.approx(0.4 * (0.70 - 1 / 3) * 1.5, abs=1e-3)
    assert stance_weight(1.0) == pytest.approx(0.4)
