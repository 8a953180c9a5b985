"""What two language versions of one story must share beyond an embedding: its
figures and its names.

Multilingual e5 puts two stories about one place and one subject as close as two
versions of one story (measured on the demo's press: an English cable-car story at
0.82 against a Vietnamese border-marker story). Versions of one story keep its
figures (1.500 hộ / 1,500 households, 12 tỷ đồng / VND12 billion, 30% / 30
percent, 14/9 / September 14) and its names (Lệ Thủy / Le Thuy, Kiến Giang /
Kien Giang), where a different event on the same place has other figures and
shares at most the place. `anchors` reads both kinds from a text in its own
number format; `compare` says how two anchor sets agree.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from nlp.normalize import strip_diacritics

# Multipliers written after a figure: "12 tỷ đồng", "VND12 billion", "3 triệu khách".
_SCALE = {
    "nghìn": 1e3,
    "ngàn": 1e3,
    "triệu": 1e6,
    "tỷ": 1e9,
    "tỉ": 1e9,
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
}
# Numbers English spells out (Vietnamese press writes figures as digits).
_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
    "một": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "năm": 5,
}
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        1,
    )
    for name in names
}
_SCALES = "|".join(sorted(_SCALE, key=len, reverse=True))
_FIGURE = re.compile(
    rf"(?<![\d.,])(\d[\d.,]*\d|\d)(?:\s*-?\s*({_SCALES})\b)?(\s*(?:%|phần trăm|percent))?",
    re.IGNORECASE,
)
_WORD_FIGURE = re.compile(rf"\b({'|'.join(_WORDS)})\b(?:\s*-?\s*({_SCALES})\b)?", re.IGNORECASE)
_VI_DATE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?![\d/])")
_EN_DATE = re.compile(
    rf"\b(?:({'|'.join(_MONTHS)})\.?\s+(\d{{1,2}})|(\d{{1,2}})\s+({'|'.join(_MONTHS)}))\b",
    re.IGNORECASE,
)
# Words, and the hyphens that may join the words of one name ("Phong Nha - Kẻ Bàng",
# "Phong Nha-Ke Bang"); anything else ends a name.
_TOKEN = re.compile(r"[^\W\d_]+|-|\S")


@dataclass(frozen=True)
class Anchors:
    numbers: frozenset[str]  # "1500", "12000000000", "30%", "d14-9"
    names: frozenset[str]  # folded syllable pairs of capitalised names: "le thuy"


@dataclass(frozen=True)
class Agreement:
    shared_numbers: int
    numbers_a: int
    numbers_b: int
    shared_names: int

    @property
    def evidence(self) -> int:
        return self.shared_numbers + self.shared_names

    def numbers_disagree(self) -> bool:
        """One side gives figures none of which the other repeats, or both give
        several and share under half of the smaller set: another event."""
        if not (self.numbers_a or self.numbers_b):
            return False
        if self.shared_numbers == 0:
            return True
        smaller = min(self.numbers_a, self.numbers_b)
        return smaller >= 3 and self.shared_numbers * 2 < smaller


def _value(digits: str, language: str) -> float | None:
    thousands, decimal = (".", ",") if language == "vi" else (",", ".")
    body = digits.replace(thousands, "")
    if body.count(decimal) > 1:
        return None
    try:
        return float(body.replace(decimal, "."))
    except ValueError:
        return None


def _number_key(value: float, percent: bool) -> str:
    text = f"{value:.6g}" if value < 1e6 else str(round(value))
    return f"{text}%" if percent else text


def numbers(text: str, language: str) -> set[str]:
    """Figures of the text, in one notation whatever the language's number format.
    A bare 1 ("một", "a", "one") is left out, and so are Vietnamese number words
    without a scale ("năm" is also "year"); small counts stay: "6 người" and "Six
    held" are the same two dredging arrests (dev half: 12 -> 14 of 20 pairs linked,
    no false link)."""
    found: set[str] = set()
    text = unicodedata.normalize("NFC", text)
    for match in _VI_DATE.finditer(text):
        day, month = int(match.group(1)), int(match.group(2))
        if 1 <= day <= 31 and 1 <= month <= 12:
            found.add(f"d{day}-{month}")
    for match in _EN_DATE.finditer(text):
        month_name = (match.group(1) or match.group(4)).lower()
        day = int(match.group(2) or match.group(3))
        if 1 <= day <= 31:
            found.add(f"d{day}-{_MONTHS[month_name]}")
    # Dates read, their digits are no counts.
    text = _EN_DATE.sub(" ", _VI_DATE.sub(" ", text))
    for match in _FIGURE.finditer(text):
        value = _value(match.group(1), language)
        if value is None:
            continue
        scale, percent = match.group(2), match.group(3) is not None
        if scale:
            value *= _SCALE[scale.lower()]
        if value < 2 and not scale and not percent and value == int(value):
            continue
        found.add(_number_key(value, percent))
    for match in _WORD_FIGURE.finditer(text):
        word, scale = match.group(1).lower(), match.group(2)
        value = float(_WORDS[word])
        if word in ("một", "hai", "ba", "bốn", "năm") and not scale:
            continue  # Vietnamese words too common to be figures without a scale
        if scale:
            value *= _SCALE[scale.lower()]
        elif value < 2:
            continue
        found.add(_number_key(value, False))
    return found


def names(text: str, ignore: Iterable[str] = ()) -> set[str]:
    """Folded syllable pairs of the capitalised names in the text ("Lệ Thủy" and
    "Le Thuy" both give "le thuy"), without those of `ignore` (the watched province
    itself, which every relevant article names). A sentence's capitalised first word
    may join a pair ("the quang"), which the other language never repeats."""
    skip = {pair for name in ignore for pair in _pairs(_fold(name).split())}
    found: set[str] = set()
    run: list[str] = []
    for token in [*_TOKEN.findall(unicodedata.normalize("NFC", text)), "."]:
        if token[0].isupper():
            run.append(_fold(token))
        elif token != "-" or not run:
            found.update(_pairs(run))
            run = []
    return found - skip


def _pairs(words: list[str]) -> set[str]:
    return {f"{a} {b}" for a, b in itertools.pairwise(words)}


def _fold(text: str) -> str:
    return strip_diacritics(text).lower()


def anchors(text: str, language: str, ignore: Iterable[str] = ()) -> Anchors:
    return Anchors(frozenset(numbers(text, language)), frozenset(names(text, ignore)))


def compare(a: Anchors, b: Anchors) -> Agreement:
    return Agreement(
        shared_numbers=len(a.numbers & b.numbers),
        numbers_a=len(a.numbers),
        numbers_b=len(b.numbers),
        shared_names=len(a.names & b.names),
    )
