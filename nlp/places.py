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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nlp.normalize import fold, normalize_text
from nlp.types import PlaceMention

if TYPE_CHECKING:
    from pipeline.config import Place, Settings

_SEPARATORS = r"[\s\-\u2010-\u2014_]+"
_COMBINING = re.compile("[\u0300-\u036f]")
# "preceded/followed by a letter or digit", underscores (segmented text) allowed.
_LEFT = r"(?<![^\W_])"
_RIGHT = r"(?![^\W_])"

# Capitalised words that, right before a place name, make it a person's name.
SURNAMES = {
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Đinh",
    "Đào",
    "Lương",
    "Trương",
    "Trịnh",
    "Đoàn",
    "Quách",
    "Lưu",
    "Tô",
    "Tạ",
    "Lâm",
    "Châu",
    "Thái",
    "Mạc",
    "Kiều",
    "Văn",
    "Thị",
    "Hữu",
    "Đức",
    "Công",
    "Đình",
    "Xuân",
    "Minh",
    "Ngọc",
}
# The same without diacritics, minus words that are common English ("To", "Ha", "Do").
SURNAMES_ASCII = {
    "nguyen",
    "tran",
    "pham",
    "hoang",
    "huynh",
    "phan",
    "vu",
    "vo",
    "dang",
    "bui",
    "ngo",
    "duong",
    "dinh",
    "dao",
    "luong",
    "truong",
    "trinh",
    "doan",
    "quach",
    "luu",
    "thi",
    "van",
    "huu",
    "duc",
    "cong",
    "xuan",
    "ngoc",
}
TITLES = {
    "ông",
    "bà",
    "anh",
    "chị",
    "cô",
    "chú",
    "bác",
    "em",
    "cháu",
    "cụ",
    "ngài",
    "bé",
    "mr",
    "mrs",
    "ms",
    "miss",
    "dr",
    "mr.",
    "mrs.",
    "ms.",
    "dr.",
    "sir",
}
TITLES_ASCII = {"ong", "ba", "chi", "co", "chu", "bac", "chau", "cu", "ngai"}

_WINDOW = 150  # characters either side where an ambiguous name looks for context
_NEAR_WORDS = 3  # a single lowercase context word must sit this close


@dataclass(frozen=True)
class _Name:
    place: str
    variants: frozenset[str]  # normalised lowercase forms with diacritics, as configured


def _name_pattern(folded_name: str) -> str:
    parts = [re.escape(part) for part in re.split(_SEPARATORS, folded_name) if part]
    return _SEPARATORS.join(parts)


def _norm_lower(text: str) -> str:
    return re.sub(_SEPARATORS, " ", normalize_text(text).lower()).strip()


def _fold_with_map(text: str) -> tuple[str, list[int]]:
    """Fold any Unicode form; `starts[i]` is where folded char i starts in `text`."""
    chars: list[str] = []
    starts: list[int] = []
    for index, char in enumerate(text):
        if unicodedata.combining(char):
            continue  # belongs to the previous base letter
        chars.append(fold(char) if len(fold(char)) == 1 else char)
        starts.append(index)
    starts.append(len(text))
    return "".join(chars), starts


class _PhraseMatcher:
    """Finds configured phrases diacritics-insensitively, keeping diacritics honest."""

    def __init__(self, phrases: Iterable[tuple[str, str]]) -> None:
        by_folded: dict[str, dict[str, set[tuple[str, tuple[bool, ...]]]]] = {}
        for key, phrase in phrases:
            folded = " ".join(re.split(_SEPARATORS, fold(normalize_text(phrase)))).strip()
            if not folded:
                continue
            form = (_norm_lower(phrase), _capital_mask(phrase))
            by_folded.setdefault(folded, {}).setdefault(key, set()).add(form)
        self._lookup = by_folded
        alternatives = sorted(by_folded, key=len, reverse=True)
        body = "|".join(_name_pattern(name) for name in alternatives) or r"(?!x)x"
        self.regex = re.compile(f"{_LEFT}(?:{body}){_RIGHT}")

    def keys_for(self, surface: str) -> list[str]:
        """The keys whose phrase this surface really is: diacritics and capitals honest."""
        nfc = unicodedata.normalize("NFC", surface)
        folded = " ".join(re.split(_SEPARATORS, fold(nfc))).strip()
        entries = self._lookup.get(folded, {})
        if not entries:
            return []
        plain = nfc.isascii()
        lowered = _norm_lower(nfc)
        mask = _capital_mask(nfc)
        shouting = nfc.isupper()
        keys = []
        for key, forms in entries.items():
            for form, wanted in forms:
                if not (plain or lowered == form):
                    continue
                if shouting or all(m or not w for m, w in zip(mask, wanted, strict=False)):
                    keys.append(key)
                    break
        return keys

    def finditer(self, text: str) -> Iterator[tuple[int, int, str, list[str]]]:
        """(start, end, surface, keys) of every honest match; offsets index `text`."""
        if _COMBINING.search(text):
            folded, starts = _fold_with_map(text)
        else:
            folded, starts = fold(text), []
        position = 0
        while True:
            match = self.regex.search(folded, position)
            if match is None:
                return
            start, end = match.span()
            if starts:
                start, end = starts[start], starts[end]
            surface = text[start:end]
            keys = self.keys_for(surface)
            if keys:
                yield start, end, surface, keys
                position = match.end()
            else:  # a longer phrase that fails may hide a shorter honest one inside
                position = match.start() + 1


def _capital_mask(phrase: str) -> tuple[bool, ...]:
    return tuple(w[:1].isupper() for w in re.split(_SEPARATORS, phrase) if w)


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
        self._names = _PhraseMatcher((place.id, name) for place in places for name in place.names)
        self._context = {
            place.id: _PhraseMatcher((word, word) for word in place.context)
            for place in places
            if place.ambiguous
        }
        self._conflicts = {
            place.id: _PhraseMatcher((word, word) for word in place.conflicts)
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
        self, matcher: _PhraseMatcher, text: str, start: int, end: int
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
