"""Diacritics-insensitive phrase matching that stays honest about diacritics.

Used by the gazetteer, the topic keyword rules and the context words: one
regular expression over a folded copy of the text (lowercase, no diacritics,
same length as NFC input) finds candidates; a candidate counts only if the
text has no diacritics at all there or carries the phrase's own ("bão" is a
storm, "báo" a newspaper), and, for names, the phrase's capitals.
Decomposed (NFD) input takes a slower path with an index map, so offsets
always refer to the string as given.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

from nlp.normalize import fold, normalize_text

SEPARATORS = r"[\s\-\u2010-\u2014_]+"
_COMBINING = re.compile("[\u0300-\u036f]")
# "preceded/followed by a letter or digit", underscores (segmented text) allowed.
_LEFT = r"(?<![^\W_])"
_RIGHT = r"(?![^\W_])"


def _name_pattern(folded_name: str) -> str:
    parts = [re.escape(part) for part in re.split(SEPARATORS, folded_name) if part]
    return SEPARATORS.join(parts)


def _norm_lower(text: str) -> str:
    return re.sub(SEPARATORS, " ", normalize_text(text).lower()).strip()


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


class PhraseMatcher:
    """Finds configured phrases diacritics-insensitively, keeping diacritics honest."""

    def __init__(self, phrases: Iterable[tuple[str, str]], *, check_case: bool = True) -> None:
        self.check_case = check_case
        by_folded: dict[str, dict[str, set[tuple[str, tuple[bool, ...]]]]] = {}
        for key, phrase in phrases:
            folded = " ".join(re.split(SEPARATORS, fold(normalize_text(phrase)))).strip()
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
        folded = " ".join(re.split(SEPARATORS, fold(nfc))).strip()
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
                if (
                    not self.check_case
                    or shouting
                    or all(m or not w for m, w in zip(mask, wanted, strict=False))
                ):
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
    return tuple(w[:1].isupper() for w in re.split(SEPARATORS, phrase) if w)
