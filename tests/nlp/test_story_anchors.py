"""Figures and names read alike from a Vietnamese text and its English version, and
differ for another event on the same place."""

from __future__ import annotations

from nlp.story_anchors import anchors, compare, names, numbers

VI = (
    "Quảng Bình hỗ trợ hơn 1.500 hộ dân vùng lũ Lệ Thủy. Tổng kinh phí là 12 tỷ đồng cùng "
    "80 tấn gạo; năng suất đạt 5,8 tấn mỗi ha, tăng 30%, dịp lễ 30/4, đón 1 triệu khách "
    "ở Phong Nha - Kẻ Bàng."
)
EN = (
    "Quang Binh supports more than 1,500 flood-hit households in Le Thuy with VND12 "
    "billion and 80 tonnes of rice; yields hit 5.8 tonnes a hectare, up 30 percent, over "
    "the April 30 break, with one million visitors to Phong Nha-Ke Bang."
)


def test_number_formats_of_both_languages_fold_to_one_notation() -> None:
    expected = {"1500", "12000000000", "80", "5.8", "30%", "d30-4", "1000000"}
    assert numbers(VI, "vi") == expected
    assert numbers(EN, "en") == expected
    # "1.500" is fifteen hundred in Vietnamese, one and a half in English.
    assert numbers("1.500 người", "vi") == {"1500"}
    assert numbers("1.5 km and 1,200 people", "en") == {"1.5", "1200"}


def test_small_counts_read_in_both_languages_and_vague_amounts_are_not_figures() -> None:
    assert numbers("Công an bắt giữ 6 người cùng 3 tàu hút cát", "vi") == {"6", "3"}
    assert numbers("Six held; police seized three dredgers", "en") == {"6", "3"}
    assert numbers("hai xã, ba ngày, hàng chục tỷ đồng, 1 người", "vi") == set()
    assert numbers("a man, one boat, hundreds of kilos", "en") == set()
    assert numbers("Twelve crews and 12 boats", "en") == {"12"}


def test_names_fold_diacritics_and_hyphens_and_leave_out_the_province() -> None:
    ignore = ["Quảng Bình"]
    assert names(VI, ignore) == names(EN, ignore) == {"le thuy", "phong nha", "nha ke", "ke bang"}


def test_another_event_on_the_same_place_disagrees_on_figures() -> None:
    """The demo's Son Doong pair: same cave, same names, other figures."""
    season = anchors(
        "The 2027 expedition season for Son Doong opened with all 1,000 places sold; each "
        "expedition costs USD 3,000 and takes groups of ten.",
        "en",
    )
    visitor = anchors(
        "Phong Nha đón vị khách thứ một triệu; lượng khách tăng 24%, khách quốc tế chiếm "
        "gần 30%, khách vào hang Sơn Đoòng giới hạn 1.000 người mỗi năm.",
        "vi",
    )
    agreement = compare(season, visitor)
    assert agreement.shared_numbers == 1 and agreement.numbers_disagree()
    same = compare(anchors(VI, "vi", ["Quảng Bình"]), anchors(EN, "en", ["Quảng Bình"]))
    assert not same.numbers_disagree() and same.evidence == 11


def test_figures_on_one_side_only_disagree() -> None:
    report = anchors("1.500 hộ dân nhận 12 tỷ đồng ở Lệ Thủy", "vi")
    claim = anchors("Residents in Le Thuy say the aid never arrived", "en")
    assert compare(report, claim).numbers_disagree()
