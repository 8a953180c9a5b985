"""The gazetteer looks for misspelt names only in texts holding one of their
anchors, found by one combined pattern (issue 14, crawl path cost): it must find
exactly what trying every name's anchor on its own finds; and `caseless`, now
counted in C, decides as the word-by-word count did."""

from __future__ import annotations

import random
import re

from core.config import Place
from nlp.places import Gazetteer, caseless
from tests.conftest import FIXTURES

PLACES = [
    Place(id="quang-binh", kind="province", names=["Quảng Bình", "tỉnh Quảng Bình"]),
    Place(
        id="phong-nha", kind="landmark", names=["Phong Nha - Kẻ Bàng", "Vườn quốc gia Phong Nha"]
    ),
    Place(id="dong-hoi", kind="city", names=["thành phố Đồng Hới"]),
]
TEXTS = [
    "Mưa lớn ở tỉnh Quảng Bìnhh gây ngập.",  # one letter doubled
    "Du khách đến Vườn quốc gia Phong Nhà - Kẻ Bàng.",  # one mark wrong
    "Thành phố Đồng Hỏi chuẩn bị lễ hội.",
    "Ở Hà Nội hôm nay trời nắng, không nói đến nơi nào khác.",
    "",
]


def test_the_combined_anchor_finds_what_each_anchor_finds() -> None:
    gated = Gazetteer(PLACES)
    ungated = Gazetteer(PLACES)
    ungated._any_anchor = re.compile("")  # every text passes: each anchor is tried
    pages = [
        p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "site" / "vi").rglob("*.html"))
    ]
    found_any = False
    for text in [*TEXTS, *pages]:
        assert gated.find(text) == ungated.find(text), text[:80]
        found_any = found_any or bool(gated.find(text))
    assert [m.name for m in gated.find(TEXTS[0])] == ["quang-binh"]  # the misspelling found
    assert gated.find(TEXTS[3]) == []
    assert found_any


def _caseless_word_by_word(text: str) -> bool:
    """caseless as it was: the first letter of each word, found by a Python loop."""
    letters = [w[0] for w in re.findall(r"[^\W\d_]+", text[:3000])]
    return len(letters) >= 3 and sum(c.isupper() for c in letters) <= len(letters) // 50


def test_caseless_decides_as_the_word_by_word_count() -> None:
    rng = random.Random(14)
    pieces = ["Quảng", "bình", "ĐỒNG", "hới", "x2y", "_a", "3b", "é", " ", ", ", "\n", "-", "Ωmega"]
    texts = ["", "a b c", "A b c", *TEXTS]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 400))) for _ in range(300)]
    texts += ["mưa " * 900 + "Lớn " * 30]  # capitals past the first 3000 characters
    for text in texts:
        assert caseless(text) == _caseless_word_by_word(text), text[:80]
    assert caseless("mưa lũ ở quảng bình gây ngập nhiều nơi") is True
