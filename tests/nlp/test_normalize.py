from __future__ import annotations

import unicodedata

import pytest

from nlp.normalize import detect_language, fold, normalize_text, strip_diacritics


def test_normalize_is_nfc_with_one_tone_convention_and_clean_spaces() -> None:
    raw = unicodedata.normalize("NFD", "Hoà  bình ,\u200b Thuỷ điện\r\n\r\n\r\n  khoẻ")
    assert normalize_text(raw) == "Hòa bình , Thủy điện\n\nkhỏe"


def test_normalize_keeps_punctuation_spacing_and_is_idempotent() -> None:
    text = "Hà Nội, ngày 5/3 (TTXVN) — Quảng Bình."
    assert normalize_text(text) == text
    assert normalize_text(normalize_text(text)) == text


def test_fold_and_strip_diacritics() -> None:
    assert strip_diacritics("Quảng Bình, Đồng Hới") == "Quang Binh, Dong Hoi"
    assert strip_diacritics(unicodedata.normalize("NFD", "Lệ Thủy")) == "Le Thuy"
    assert fold("Đèo Ngang") == "deo ngang"
    assert len(fold("Phong Nha-Kẻ Bàng")) == len("Phong Nha-Kẻ Bàng")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Mưa lũ gây ngập sâu nhiều xã ở huyện Lệ Thủy, tỉnh Quảng Bình.", "vi"),
        ("Floods inundated thousands of homes in central Vietnam on Sunday.", "en"),
        ("Tinh Quang Binh bi lu lut nang, nhieu nha dan bi ngap", "vi"),
        ("Dang ky du thi cao dang tu 15/3", "vi"),
        ("Walt Disney said on Monday it would close the park", "en"),
        ("Les inondations ont touché des milliers de maisons dans le centre du pays.", "fr"),
        ("", "und"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language
