from __future__ import annotations

import unicodedata

import pytest

from core.config import Settings
from nlp.places import Gazetteer, relevant


@pytest.fixture(scope="module")
def gazetteer(project_settings: Settings) -> Gazetteer:
    return Gazetteer.from_settings(project_settings)


def names(gazetteer: Gazetteer, text: str) -> list[str]:
    return [m.name for m in gazetteer.find(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tỉnh Quảng Bình có hang Sơn Đoòng.", ["quang-binh", "son-doong"]),
        ("Tinh Quang Binh bi lu lut nang", ["quang-binh"]),
        ("QUẢNG BÌNH MƯA LỚN", ["quang-binh"]),
        ("Phong Nha - Kẻ Bàng national park", ["phong-nha-ke-bang"]),
        ("Quảng_Bình có lũ", ["quang-binh"]),
        ("Le Thuy district in Quang Binh", ["le-thuy", "quang-binh"]),
        ("chả lo gì cả, cửa khẩu Cha Lo mở cửa", ["cha-lo"]),
        ("Đông Hội đi chơi", []),  # diacritics say it is not Đồng Hới
    ],
)
def test_finds_places_in_any_spelling(gazetteer: Gazetteer, text: str, expected: list[str]) -> None:
    assert names(gazetteer, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Ông Trần Quang Bình phát biểu tại hội nghị.",
        "Tran Quang Binh said on Monday.",
        "ông Quảng Bình cho biết",
        "Nguyễn Quảng Bình là giáo viên.",
        "ca sĩ Lệ Thủy hát cải lương",
        "anh Minh Hóa kể lại",
    ],
)
def test_person_names_do_not_count(gazetteer: Gazetteer, text: str) -> None:
    assert names(gazetteer, text) == []


def test_the_other_quang_ninh(gazetteer: Gazetteer) -> None:
    assert names(gazetteer, "Lũ lụt ở huyện Quảng Ninh, tỉnh Quảng Bình") == [
        "quang-ninh-district",
        "quang-binh",
    ]
    assert names(gazetteer, "Quang Ninh district was flooded") == ["quang-ninh-district"]
    assert names(gazetteer, "Du lịch Hạ Long, tỉnh Quảng Ninh thu hút khách") == []
    assert names(gazetteer, "Quang Ninh province coal mines near Ha Long") == []
    assert names(gazetteer, "Quảng Ninh") == []  # ambiguous alone


def test_offsets_refer_to_the_input_also_when_decomposed(gazetteer: Gazetteer) -> None:
    text = unicodedata.normalize("NFD", "Về Đồng Hới, Quảng Bình hôm nay")
    mentions = gazetteer.find(text)
    assert [m.name for m in mentions] == ["dong-hoi", "quang-binh"]
    for mention in mentions:
        assert text[mention.start : mention.end] == mention.surface
    assert unicodedata.normalize("NFC", mentions[1].surface) == "Quảng Bình"
    assert relevant(mentions)
    assert not relevant([])
