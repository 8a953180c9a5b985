"""normalize_text rewrites old-style tone marks with one pattern over the words
it found (issue 14, crawl path cost); it must give exactly what rewriting every
\\w+ token through underthesea's table gives."""

from __future__ import annotations

import random
import re
import unicodedata

from nlp.normalize import _BLANKS, _ZERO_WIDTH, _token_map, normalize_text
from tests.conftest import FIXTURES


def _word_by_word(text: str) -> str:
    """The former rule: each \\w+ token of up to six characters through the table."""
    table = _token_map()
    return re.sub(
        r"\w+",
        lambda match: (
            table.get(match.group(), match.group()) if len(match.group()) <= 6 else match.group()
        ),
        text,
    )


def _reference(text: str) -> str:
    """normalize_text's steps as they were: the word-by-word rule, one pattern for
    every whitespace run."""
    text = unicodedata.normalize("NFC", text)
    text = _ZERO_WIDTH.sub("", text).replace("ð", "đ").replace("Ð", "Đ")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _word_by_word(text)
    text = re.sub(r"[^\S\n]+", " ", text)  # the former whitespace rule
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANKS.sub("\n\n", text).strip()


def test_retoning_matches_the_word_by_word_rule_on_mixed_text() -> None:
    table = _token_map()
    keys = sorted(table)
    short = [k for k in keys if len(k) <= 6]
    long = [k for k in keys if len(k) > 6]
    rng = random.Random(14)
    plain = [
        "Quảng",
        "Bình",
        "mưa",
        "lũ",
        "người",
        "dân",
        "hoà",
        "bình",
        "thuỷ",
        "lợi",
        "khoẻ",
        "2026",
        "a_b",
    ]
    glue = [" ", ", ", ". ", "\n", "_", "-", "", "3", "\u200b", "  ", "\t", " \u00a0 ", "\n \t\n"]
    for _ in range(300):
        words = [
            rng.choice(short)
            if roll < 0.3
            else rng.choice(long or short)
            if roll < 0.35
            else rng.choice(plain)
            for roll in (rng.random() for _ in range(rng.randint(0, 40)))
        ]
        text = "".join(word + rng.choice(glue) for word in words)
        assert normalize_text(text) == _reference(text), text
    assert normalize_text("hoà bình, thuỷ lợi") == "hòa bình, thủy lợi"
    assert normalize_text("hoà_bình") == "hoà_bình"  # one token, not in the table


def test_retoning_matches_the_word_by_word_rule_on_real_pages() -> None:
    pages = sorted((FIXTURES / "site" / "vi").rglob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8", errors="replace")
        assert normalize_text(text) == _reference(text), page
