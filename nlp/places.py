"""The gazetteer: mentions of the watched place and its parts, with offsets.

One regular expression over a folded copy of the text (lowercase, no
diacritics, same length as the input when it is NFC) finds candidates in
Vietnamese with or without diacritics and in English; then each candidate is
checked against what the architecture notes say goes wrong:

* text with diacritics must carry the name's own diacritics ("Đông Hội" is not
  "Đồng Hới"), text without them may match the bare name;
* proper nouns are capitalised ("chả lo" is not Cha Lo);
* a surname or a title right before the name makes it a person
  ("Trần Quang Bình", "ông Quảng Bình");
* an `ambiguous` place counts only with one of its `context` words nearby and
  none of its `conflicts` ("huyện Quảng Ninh" yes, "tỉnh Quảng Ninh" no).

Decomposed (NFD) input takes a slower path with an index map, so offsets
always refer to the string as given.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.analysis import PlaceMention
from nlp.matching import PhraseMatcher
from nlp.normalize import fold

if TYPE_CHECKING:
    from core.config import Place, Settings


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Capitalised words that, right before a place name, make it a person's name.
SURNAMES = _words(
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Đào "
    "Lương Trương Trịnh Đoàn Quách Lưu Tô Tạ Lâm Châu Thái Mạc Kiều Văn Thị Hữu Đức "
    "Công Đình Xuân Minh Ngọc"
)
# The same without diacritics, minus words that are common English ("To", "Ha", "Do").
SURNAMES_ASCII = _words(
    "nguyen tran pham hoang huynh phan vu vo dang bui ngo duong dinh dao luong truong "
    "trinh doan quach luu thi van huu duc cong xuan ngoc"
)
TITLES = _words(
    "ông bà anh chị cô chú bác em cháu cụ ngài bé mr mrs ms miss dr mr. mrs. ms. dr. sir"
)
TITLES_ASCII = _words("ong ba chi co chu bac chau cu ngai")

_WINDOW = 150  # characters either side where an ambiguous name looks for context
_NEAR_WORDS = 3  # a single lowercase context word must sit this close


def _words_before(text: str, start: int, count: int) -> list[str]:
    """Up to `count` words right before `start`, nearest first, stopping at punctuation."""
    head = text[max(0, start - 80) : start]
    words: list[str] = []
    for token in reversed(re.findall(r"[^\s]+|\s+", head)):
        if token.isspace():
            continue
        word = token
        if not re.fullmatch(r"[\w.'’]+", word):
            break
        words.append(word)
        if len(words) >= count:
            break
    return words


class Gazetteer:
    """Finds the watched place and its parts in any text; built once from config."""

    def __init__(self, places: Sequence[Place]) -> None:
        self.places = {place.id: place for place in places}
        self._names = PhraseMatcher((place.id, name) for place in places for name in place.names)
        self._context = {
            place.id: PhraseMatcher((word, word) for word in place.context)
            for place in places
            if place.ambiguous
        }
        self._conflicts = {
            place.id: PhraseMatcher((word, word) for word in place.conflicts)
            for place in places
            if place.conflicts
        }

    @classmethod
    def from_settings(cls, settings: Settings) -> Gazetteer:
        return cls(settings.watch.all_places())

    def find(self, text: str) -> list[PlaceMention]:
        """Every mention in `text`, in order; offsets index `text` as given."""
        mentions: list[PlaceMention] = []
        for start, end, surface, keys in self._names.finditer(text):
            place_id = self._accept(text, start, end, keys)
            if place_id is not None:
                mentions.append(PlaceMention(name=place_id, start=start, end=end, surface=surface))
        return mentions

    def _accept(self, text: str, start: int, end: int, candidates: list[str]) -> str | None:
        if _is_person(text, start):
            return None
        for place_id in candidates:
            place = self.places[place_id]
            if self._conflicting(place_id, text, start, end):
                continue
            if not place.ambiguous or self._confirmed(place_id, text, start, end):
                return place_id
        return None

    def _hits(
        self, matcher: PhraseMatcher, text: str, start: int, end: int
    ) -> list[tuple[int, int, str]]:
        lo, hi = max(0, start - _WINDOW), min(len(text), end + _WINDOW)
        return [(lo + a, lo + b, surface) for a, b, surface, _ in matcher.finditer(text[lo:hi])]

    def _near(self, text: str, start: int, end: int, hit: tuple[int, int, str]) -> bool:
        a, b, surface = hit
        if a <= start and b >= end:
            return True  # the phrase contains the mention ("tỉnh Quảng Ninh")
        if " " in surface.strip() or surface[:1].isupper():
            return True  # a proper noun or a phrase anywhere in the window
        between = text[b:start] if b <= start else text[end:a]
        if re.search(r"[.!?;:\n]", between):
            return False
        return len(between.split()) < _NEAR_WORDS

    def _conflicting(self, place_id: str, text: str, start: int, end: int) -> bool:
        matcher = self._conflicts.get(place_id)
        if matcher is None:
            return False
        for hit in self._hits(matcher, text, start, end):
            if _contains(hit, start, end) or (
                not _overlaps(hit, start, end) and self._near(text, start, end, hit)
            ):
                return True
        return False

    def _confirmed(self, place_id: str, text: str, start: int, end: int) -> bool:
        matcher = self._context[place_id]
        for hit in self._hits(matcher, text, start, end):
            if _contains(hit, start, end) or (
                not _overlaps(hit, start, end) and self._near(text, start, end, hit)
            ):
                return True
        return False


def _overlaps(hit: tuple[int, int, str], start: int, end: int) -> bool:
    return hit[0] < end and hit[1] > start


def _contains(hit: tuple[int, int, str], start: int, end: int) -> bool:
    return hit[0] <= start and hit[1] >= end and (hit[1] - hit[0]) > (end - start)


def _is_person(text: str, start: int) -> bool:
    previous = _words_before(text, start, 1)
    if not previous:
        return False
    word = unicodedata.normalize("NFC", previous[0]).rstrip(".")
    plain = fold(word)
    if word.lower() in TITLES or word.lower() + "." in TITLES:
        return True
    if word.isascii() and plain in TITLES_ASCII and word[:1].islower():
        return True
    if not word[:1].isupper():
        return False
    return word in SURNAMES or (word.isascii() and plain in SURNAMES_ASCII)


def relevant(mentions: Sequence[PlaceMention]) -> bool:
    """Whether an article is about the watched place: at least one accepted mention."""
    return len(mentions) > 0
