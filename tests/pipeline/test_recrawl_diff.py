"""Recrawl diff (issue 15): whitespace, punctuation, NFC and a rotating ad
block are not edits; a real change of words or syllables is."""

from __future__ import annotations

import unicodedata

from pipeline.recrawl.diff import diff_texts

BODY = "Tỉnh khởi công dự án cầu mới.\nDự án dài ba cây số, hoàn thành năm 2028."
AD_A = "Quảng cáo: mua bảo hiểm xe máy giá rẻ hôm nay ngay"
AD_B = "Related: ten tips for cheaper flights this summer holiday"


def test_whitespace_punctuation_and_nfc_are_not_edits() -> None:
    noisy = unicodedata.normalize("NFD", BODY.replace(" ", "   ") + "\n\n — ")
    assert not diff_texts(BODY, noisy).is_edit()
    assert diff_texts(BODY, noisy).changed_tokens == 0


def test_rotating_block_seen_on_other_pages_is_not_an_edit() -> None:
    diff = diff_texts(BODY + "\n" + AD_A, BODY + "\n" + AD_B, [AD_A, AD_B])
    assert diff.changed_tokens == 0
    without_site = diff_texts(BODY + "\n" + AD_A, BODY + "\n" + AD_B)
    assert without_site.is_edit()


def test_changed_syllables_are_an_edit_and_highlighted() -> None:
    edited = BODY.replace("ba cây số", "năm trăm mét").replace("2028", "2031")
    diff = diff_texts(BODY, edited)
    assert diff.is_edit()
    changed = [c for c in diff.chunks if c.op != "equal"]
    assert any("2031" in c.new and "2028" in c.old for c in changed)


def test_small_change_below_threshold_is_not_an_edit() -> None:
    assert not diff_texts("one two three four five", "one two three four six").is_edit()


def test_an_ad_seen_on_this_page_only_rotated_out_for_a_site_one_is_not_an_edit() -> None:
    own_ad = "Quảng cáo: tour du lịch biển mùa hè giảm giá ba mươi phần trăm"
    diff = diff_texts(BODY + "\n" + own_ad, BODY + "\n" + AD_A, [AD_A, AD_B])
    assert diff.changed_tokens == 0
    # A real paragraph replaced by another real one stays an edit.
    real = "Dự án bị hoãn đến năm 2031 vì thiếu vốn đối ứng của tỉnh."
    assert diff_texts(BODY + "\n" + own_ad, BODY + "\n" + real, [AD_A, AD_B]).is_edit()
