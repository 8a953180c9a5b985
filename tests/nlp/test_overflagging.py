"""The analyzer's over-flag shapes (a flag must mean something) and the repeats it must keep.

Texts are written for these tests, shaped like the demo's sample articles.
"""

from __future__ import annotations

import pytest

from core.analysis import Document, LabelScore
from nlp import distortion
from nlp.analyzer import Analyzer

REBUTTAL = Document(
    id="rebuttal",
    title="Tỉnh bác tin đồn xây cáp treo vào hang Sơn Đoòng",
    text=(
        "UBND tỉnh Quảng Bình cho biết thông tin về cáp treo vào hang Sơn Đoòng là sai sự thật. "
        "Sở Du lịch nói hang chỉ đón đoàn thám hiểm nhỏ mỗi năm. "
        "Mấy ngày qua, một số trang mạng đăng bài cho rằng hang Sơn Đoòng sẽ bị phá hủy để làm "
        "cáp treo. Các nhà khoa học khẳng định điều này không có cơ sở."
    ),
    origin="domestic",
)
EXPEDITION = Document(
    id="expedition",
    title="Son Doong tours sold out for next season",
    text=(
        "Every place on next year's tours of Son Doong, the world's largest cave in Quang Binh "
        "province, has been booked, the operator said on Monday. "
        "Groups of ten walk through the cave for four days with local porters and guides."
    ),
    origin="domestic",
)
AID = Document(
    id="aid",
    title="Quang Binh flood victims receive VND9 billion in aid",
    text=(
        "About 1,200 households in Le Thuy district, Quang Binh province, received VND9 billion "
        "and 60 tonnes of rice on Tuesday after last month's floods. "
        "Lists of the families helped were posted at each village hall."
    ),
    origin="domestic",
)
VISITORS = Document(
    id="visitors",
    title="Phong Nha - Kẻ Bàng đón vị khách thứ một triệu",
    text=(
        "Vườn quốc gia Phong Nha - Kẻ Bàng vừa đón vị khách thứ một triệu trong năm. "
        "Các tour khám phá hang Sơn Đoòng và hang Én đã kín chỗ đến hết mùa khô năm sau."
    ),
    origin="domestic",
)
BORDER_REPEAT = Document(
    id="border",
    title="Mốc biên giới Cha Lo gây tranh cãi",
    text=(
        "Nhiều tài khoản chia sẻ ảnh kèm lời khẳng định rằng cột mốc biên giới bị dời vào sâu "
        "lãnh thổ Việt Nam và người dân đã mất đất ở cửa khẩu Cha Lo, tỉnh Quảng Bình. "
        "Có bài còn viết chính quyền đã bí mật nhượng đất biên giới cho nước ngoài."
    ),
    origin="foreign",
)
RELIEF_REPEAT = Document(
    id="relief",
    title="Dân vùng lũ Quảng Bình nói tiền cứu trợ không đến tay",
    text=(
        "Một số người dân ở huyện Lệ Thủy, tỉnh Quảng Bình nói họ chưa nhận được hỗ trợ. "
        "Một người cho rằng hàng tỷ đồng ủng hộ đồng bào miền Trung đã bị chính quyền địa phương "
        "chiếm đoạt, còn hàng cứu trợ bị giữ lại ở xã."
    ),
    origin="foreign",
)
CABLE_REPEAT = Document(
    id="cable",
    title="Cable car plan threatens the world's largest cave, campaigners say",
    text=(
        "Son Doong, the world's largest cave, is about to be destroyed by a cable car project in "
        "Quang Binh province, according to campaigners. "
        "Officials in Vietnam could not be reached for comment."
    ),
    origin="foreign",
)


@pytest.mark.parametrize("doc", [REBUTTAL, EXPEDITION, AID, VISITORS], ids=lambda d: d.id)
def test_over_flag_shapes_are_not_flagged(analyzer: Analyzer, doc: Document) -> None:
    result = analyzer.analyze([doc])[0]
    assert result.relevant
    assert result.narratives == ()
    assert not result.distortion.flagged
    assert all(r.kind != "stance" or "p=0.5" not in r.detail for r in result.distortion.reasons)


def test_rebuttal_keeps_the_rumour_as_a_rebuttal(analyzer: Analyzer) -> None:
    result = analyzer.analyze([REBUTTAL])[0]
    assert [r.id for r in result.rebuttals] == ["son-doong-cable-car"]
    assert result.rebuttals[0].sentence


@pytest.mark.parametrize(
    ("doc", "narrative"),
    [
        (BORDER_REPEAT, "border-land-ceded"),
        (RELIEF_REPEAT, "flood-relief-embezzled"),
        (CABLE_REPEAT, "son-doong-cable-car"),
    ],
    ids=lambda v: getattr(v, "id", v),
)
def test_real_repeats_stay_flagged(analyzer: Analyzer, doc: Document, narrative: str) -> None:
    result = analyzer.analyze([doc])[0]
    assert narrative in [n.id for n in result.narratives]
    assert result.distortion.flagged
    for reason in result.distortion.reasons:
        assert reason.kind == "origin" or reason.sentence  # every reason points at text


def test_entity_names_alone_do_not_repeat_a_claim(analyzer: Analyzer) -> None:
    result = analyzer.analyze([CABLE_REPEAT])[0]
    # "officials could not be reached" shares words with the relief narrative, not its claim.
    assert "flood-relief-embezzled" not in [n.id for n in result.narratives]


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
