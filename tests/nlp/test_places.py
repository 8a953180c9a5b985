"""The gazetteer, on a small watch list written here (not the office's config)."""

from __future__ import annotations

import unicodedata

import pytest

from core.config import Place
from nlp.places import Gazetteer, caseless, relevant

PLACES = [
    Place(id="ha-tinh", kind="province", names=["Hà Tĩnh", "Ha Tinh", "tỉnh Hà Tĩnh"]),
    Place(id="vinh", kind="city", names=["Thành Vinh", "Thanh Vinh"]),
    Place(id="ky-anh", kind="town", names=["Kỳ Anh", "Ky Anh"]),
    Place(
        id="thien-cam",
        kind="landmark",
        names=["Thiên Cầm"],
        ambiguous=True,
        context=["biển", "bãi", "beach", "Cẩm Xuyên"],
        conflicts=["ca sĩ", "singer", "MC"],
    ),
    Place(
        id="huong-son",
        kind="district",
        names=["Hương Sơn", "Huong Son"],
        ambiguous=True,
        context=["huyện", "district", "Hà Tĩnh"],
        conflicts=["tỉnh Hương Sơn", "Hà Nội", "chùa Hương"],
        context_scope="article",
    ),
    Place(id="vu-quang", kind="landmark", names=["Vườn quốc gia Vũ Quang", "Vũ Quang"]),
    Place(id="cau-treo", kind="border_gate", names=["Cầu Treo", "cửa khẩu Cầu Treo"]),
]


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer(PLACES)


def names(gazetteer: Gazetteer, text: str) -> list[str]:
    return [m.name for m in gazetteer.find(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mưa lớn ở Hà Tĩnh, thị xã Kỳ Anh ngập.", ["ha-tinh", "ky-anh"]),
        ("Mua lon o Ha Tinh suot dem", ["ha-tinh"]),
        ("HÀ TĨNH MƯA LỚN", ["ha-tinh"]),
        ("Hà_Tĩnh có mưa", ["ha-tinh"]),
        ("Hà Tình đi chơi", []),  # the diacritics say it is another word
        ("cầu treo bắc qua suối, cửa khẩu Cầu Treo đông xe", ["cau-treo"]),
        ("Bãi biển Thiên Cầm đón khách", ["thien-cam"]),
        ("Huyện Hương Sơn có mưa đá", ["huong-son"]),
    ],
)
def test_finds_places_in_any_spelling(gazetteer: Gazetteer, text: str, expected: list[str]) -> None:
    assert names(gazetteer, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Ông Nguyễn Kỳ Anh phát biểu tại hội nghị.",  # surname + name
        "Tran Ky Anh said on Monday.",
        "bà Kỳ Anh cho biết",
        "Nhà văn Kỳ Anh ra mắt tiểu thuyết.",  # profession before the name
        "NSƯT Kỳ Anh biểu diễn",
        "MC Kỳ Anh dẫn chương trình",
        "Writer Ky Anh won the prize.",
        "The novelist Ky Anh spoke.",
        "Mr Ky Anh arrived.",
        "Ca sĩ Thiên Cầm hát ở Hà Nội",  # conflict word of an ambiguous place
        "Singer Thien Cam released a single",
        "Hương Sơn đẹp",  # ambiguous without context
        "Lễ hội chùa Hương, Hương Sơn, Hà Nội",  # the other Hương Sơn
    ],
)
def test_people_and_other_places_do_not_count(gazetteer: Gazetteer, text: str) -> None:
    assert names(gazetteer, text) == []


def test_one_wrong_letter_or_mark_in_a_long_name(gazetteer: Gazetteer) -> None:
    assert names(gazetteer, "Đoàn khảo sát Vườn quốc gia Vũ Quảng hôm qua") == ["vu-quang"]
    assert names(gazetteer, "Đoàn khảo sát Vườn quốc gia Vũ Quangg hôm qua") == ["vu-quang"]
    # short names stay exact: one letter changes them into other words
    assert names(gazetteer, "Kỳ Ảnh đi chơi") == []


def test_lowercase_text_still_finds_places(gazetteer: Gazetteer) -> None:
    text = "hôm qua tôi về hà tĩnh, đi qua kỳ anh rồi lên cửa khẩu cầu treo"
    assert caseless(text)
    assert names(gazetteer, text) == ["ha-tinh", "ky-anh", "cau-treo"]
    assert names(gazetteer, "ông kỳ anh nói vậy thôi") == []
    # in normally written text, a lowercase look-alike is not the proper noun
    assert names(gazetteer, "Chiếc cầu treo mới. Cửa khẩu Cầu Treo mở.") == ["cau-treo"]


def test_offsets_refer_to_the_input_also_when_decomposed(gazetteer: Gazetteer) -> None:
    text = unicodedata.normalize("NFD", "Về Kỳ Anh, Hà Tĩnh hôm nay")
    mentions = gazetteer.find(text)
    assert [m.name for m in mentions] == ["ky-anh", "ha-tinh"]
    for mention in mentions:
        assert text[mention.start : mention.end] == mention.surface
    assert unicodedata.normalize("NFC", mentions[1].surface) == "Hà Tĩnh"
    assert relevant(mentions)
    assert not relevant([])


def test_an_ambiguous_district_named_alone_is_confirmed_by_the_article() -> None:
    gazetteer = Gazetteer(PLACES)
    text = (
        "Hương Sơn được mùa lạc.\n\nSau nhiều tháng nắng hạn, nông dân nhiều xã trong "
        "huyện vẫn thu hơn hai tấn mỗi héc-ta."
    )
    assert names(gazetteer, text) == ["huong-son"]
    # a conflict anywhere in the article keeps the other reading
    other = "Hương Sơn đông khách. Ba huyện lân cận đưa xe đón khách về chùa Hương."
    assert names(gazetteer, other) == []
    # "ba năm" (three years) is not the conflict "bà": diacritics are honest
    assert names(gazetteer, "Hương Sơn được mùa. Ba năm qua, huyện trồng thêm lạc.") == [
        "huong-son"
    ]
    # by default a context word must sit next to the name
    near_only = [p.model_copy(update={"context_scope": "near"}) for p in PLACES]
    assert names(Gazetteer(near_only), text) == []


def test_an_unmarked_title_counts_only_in_lowercase() -> None:
    gazetteer = Gazetteer(PLACES)
    assert names(gazetteer, "Bệnh viện Hữu nghị Việt Nam – Cu Ba Thành Vinh quá tải") == ["vinh"]
    assert names(gazetteer, "hom qua ba Ky Anh noi") == []
