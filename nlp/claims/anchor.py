"""What a claim is about, and whether an article names it: the anchor step.

A narrative's subjects come from its statements (both languages): capitalised
multi-word names ("Hang Sơn Đoòng", "Dong Hoi airport" → "Dong Hoi"), single
capitalised words inside a sentence ("Samsung"), quoted names, the watched
places of config.watch and the broad geography of nlp/data/cues/broad_places.txt
(each with all its spellings). `subjects:` in config replaces the derived ones.

Broad places (a province, a country, a region) anchor a claim only when it has
no specific subject (and a claim about the watched province is anchored by any
of the office's places too): "Bãi Sao ở Phú Quốc" is about Bãi Sao, and a story about
another beach of the same island must not pass. Matching folds diacritics and
case on both sides. Being anchored is necessary for a match, never sufficient:
the verifier still reads what the sentence says about the subject.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from nlp.claims.cues import read_list
from nlp.matching import SEPARATORS
from nlp.normalize import fold, has_vietnamese_marks, normalize_text

_TOKEN = re.compile(r"[^\W_]+(?:\.[^\W_]+)*")
_JOINER = re.compile(r"^\s*(?:[-\u2010-\u2014]\s*)?$")  # what may sit between two name words
_QUOTED = re.compile(r"[\"“‘'«]([^\"”’'»]{2,60})[\"”’'»]")
_SENTENCE_END = re.compile(r"[.!?:;]\s*$")


@functools.lru_cache(maxsize=16384)
def folded(text: str) -> str:
    """The form subjects are matched in: NFC, folded, one space for any separator."""
    return " ".join(re.split(SEPARATORS, fold(normalize_text(text)))).strip()


def surface(text: str) -> str:
    """`folded` without the folding: lowercase, diacritics kept; aligned with `folded`
    character by character (fold maps one NFC character to one)."""
    return " ".join(re.split(SEPARATORS, normalize_text(text).lower())).strip()


@functools.cache
def broad_names() -> tuple[str, ...]:
    return tuple(a.strip() for line in read_list("broad_places.txt") for a in line.split("|"))


@functools.cache
def broad_places() -> tuple[tuple[str, ...], ...]:
    """Alias groups (folded) of provinces, countries and regions."""
    return tuple(
        tuple(dict.fromkeys(folded(alias) for alias in line.split("|") if alias.strip()))
        for line in read_list("broad_places.txt")
    )


@functools.cache
def subject_heads() -> frozenset[str]:
    """Words that say what kind of thing a subject is ("sân bay", "hang", "nhà máy"), folded."""
    return frozenset(folded(h) for h in read_list("subject_heads.txt"))


@functools.cache
def _not_names() -> frozenset[str]:
    return frozenset(folded(w) for w in read_list("not_names.txt"))


def capitalised_names(text: str, *, singles: bool = True) -> list[str]:
    """Runs of capitalised words: names. A sentence's first word counts only with
    a capitalised neighbour ("Hang Én ..." yes, "Sân bay ..." no); `singles=False`
    also leaves out every one-word name (see `derive_subjects`)."""
    text = normalize_text(text)
    tokens = list(_TOKEN.finditer(text))
    runs: list[list[re.Match[str]]] = []
    for index, token in enumerate(tokens):
        word = token.group()
        if not word[:1].isupper():
            continue
        previous = tokens[index - 1] if index else None
        joined = (
            previous is not None
            and runs
            and runs[-1][-1] is previous
            and _JOINER.match(text[previous.end() : token.start()]) is not None
        )
        if joined:
            runs[-1].append(token)
        else:
            runs.append([token])
    names: list[str] = []
    for run in runs:
        first = run[0]
        initial = first.start() == 0 or _SENTENCE_END.search(text[: first.start()]) is not None
        words = [t.group() for t in run]
        while words and folded(words[0]) in _not_names():
            words, initial = words[1:], False
        while words and folded(words[-1]) in _not_names():
            words = words[:-1]
        if not words or (len(words) == 1 and (initial or not singles)):
            continue
        names.append(
            text[run[0].start() : run[-1].end()] if len(words) == len(run) else " ".join(words)
        )
    quoted = [m.group(1).strip() for m in _QUOTED.finditer(text) if len(m.group(1).split()) <= 5]
    return [*names, *quoted]


def _variants(name: str) -> list[str]:
    """The name folded, and without a generic head ("hang son doong" → "son doong")."""
    base = folded(name)
    words = base.split()
    found = [base]
    heads = subject_heads()
    for size in (3, 2, 1):
        if len(words) > size and " ".join(words[:size]) in heads:
            core = words[size:]
            if len(core) >= 2 or len(core[0]) >= 5:
                found.append(" ".join(core))
            break
    for size in (3, 2, 1):
        if len(words) > size and " ".join(words[-size:]) in heads:
            core = words[:-size]
            if len(core) >= 2 or len(core[0]) >= 5:
                found.append(" ".join(core))
            break
    # A long name is often shortened to its first two words ("Phong Nha" for
    # "Phong Nha - Kẻ Bàng", "Cat Linh" for the Cát Linh - Hà Đông railway).
    broad = {alias for group in broad_places() for alias in group}
    for name in list(found):
        parts = name.split()
        if len(parts) >= 3 and parts[0] not in heads and " ".join(parts[:2]) not in broad:
            found.append(" ".join(parts[:2]))
    return list(dict.fromkeys(found))


def _pattern(aliases: Iterable[str]) -> re.Pattern[str] | None:
    return _compiled(tuple(sorted({a for a in aliases if a}, key=lambda a: (-len(a), a))))


@functools.lru_cache(maxsize=4096)
def _compiled(unique: tuple[str, ...]) -> re.Pattern[str] | None:
    if not unique:
        return None
    body = "|".join(r"\s+".join(re.escape(part) for part in a.split()) for a in unique)
    # An English plural or possessive ("the Paracels", "Yagi's") is the same name.
    return re.compile(rf"(?<![^\W_])(?:{body})(?:'?s)?(?![^\W_])")


@dataclass(frozen=True)
class Subjects:
    """A narrative's subjects: alias groups, specific and broad."""

    specific: tuple[tuple[str, ...], ...]
    broad: tuple[tuple[str, ...], ...]
    # folded alias -> how it is written with diacritics (lowercase), from the sources
    written: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def _patterns(self, groups: tuple[tuple[str, ...], ...]) -> tuple[Any, Any]:
        aliases = [a for group in groups for a in group]
        forms = dict(self.written)
        marked = [w for a in aliases for w in forms.get(a, ())]
        return _pattern(aliases), _pattern([*aliases, *marked])

    @functools.cached_property
    def _specific(self) -> tuple[Any, Any]:
        return self._patterns(self.specific)

    @functools.cached_property
    def _broad(self) -> tuple[Any, Any]:
        return self._patterns(self.broad)

    @property
    def required(self) -> re.Pattern[str] | None:
        """What the article must name: a specific subject if there is one, else a broad one.
        (The folded pattern; `anchored` also keeps diacritics honest.)"""
        return (self._specific if self.specific else self._broad)[0]  # type: ignore[no-any-return]

    def names(self) -> list[str]:
        return [group[0] for group in (*self.specific, *self.broad)]

    @staticmethod
    def _count(patterns: tuple[Any, Any], text: str) -> int:
        """Mentions in `text`: folded when it has no diacritics, else as written
        ("Còn có" is not "Cồn Cỏ"; "Con Co" in a Vietnamese sentence still is)."""
        plain, marked = patterns
        if plain is None or not text:
            return 0
        if has_vietnamese_marks(text):
            return len(marked.findall(surface(text)))
        return len(plain.findall(folded(text)))

    def hits(self, text: str) -> tuple[int, int]:
        """(specific, broad) subject mentions in `text`."""
        return self._count(self._specific, text), self._count(self._broad, text)

    def anchored(self, texts: Sequence[str]) -> bool:
        """Does any of `texts` (sentence, neighbours, title) name the required subject?
        A narrative without any subject anchors everywhere."""
        patterns = self._specific if self.specific else self._broad
        return patterns[0] is None or any(self._count(patterns, t) for t in texts if t)

    def other_names(self, text: str) -> int:
        """Names in `text` that are none of the subjects ("another lake", another port)."""
        known = [p[0] for p in (self._specific, self._broad) if p[0] is not None]
        count = 0
        for name in capitalised_names(text):
            form = folded(name)
            if form in _not_names() or any(p.search(form) for p in known):
                continue
            count += 1
        return count


def derive_subjects(
    statements: Sequence[str],
    places: Sequence[tuple[Sequence[str], bool]] = (),
    override: Sequence[str] = (),
) -> Subjects:
    """Subjects of a claim from its statements; `places` are config.watch's places as
    (names, broad); `override` (config `subjects:`) replaces the derivation."""
    if override:
        groups = tuple(tuple(dict.fromkeys(_variants(name))) for name in override)
        return Subjects(specific=groups, broad=(), written=_written(groups, override))
    gazetteer = [(tuple(dict.fromkeys(folded(n) for n in names)), broad) for names, broad in places]
    broad_groups = [(group, True) for group in broad_places()]
    known = [*gazetteer, *broad_groups]
    specific: list[tuple[str, ...]] = []
    broad: list[tuple[str, ...]] = []

    def add(group: tuple[str, ...], is_broad: bool) -> None:
        target = broad if is_broad else specific
        if not any(set(group) & set(other) for other in (*specific, *broad)):
            target.append(group)

    texts = [s for s in statements if s]
    forms = [folded(s) for s in texts]
    words = [set(form.split()) for form in forms]
    names = [capitalised_names(statement, singles=False) for statement in texts]
    spans = [folded(n) for found in names for n in found]
    taken = {w for span in spans for w in span.split()} | {
        w
        for group, _b in known
        for alias in group
        if any(re.search(rf"(?<!\w){re.escape(alias)}(?!\w)", form) for form in forms)
        for w in alias.split()
    }
    for index, statement in enumerate(texts):
        # A one-word name ("Samsung", "Yagi", "Rục") must be in every statement, even as
        # the first word: a capitalised word in one language only is rarely a subject.
        for token in _TOKEN.finditer(normalize_text(statement)):
            word, form = token.group(), folded(token.group())
            if not word[:1].isupper() or form in _not_names() or form in taken:
                continue
            others = [w for i, w in enumerate(words) if i != index]
            if others and all(form in w for w in others):
                names[index].append(word)
                taken.add(form)
    for form in forms:
        for group, is_broad in known:
            pattern = _pattern(group)
            if pattern is None or not pattern.search(form):
                continue
            # "Lào" inside "Lào Cai" is not Laos: a known name inside a longer name is not named.
            inside = any(
                alias != span and pattern.search(span) and span not in group
                for span in spans
                for alias in group
            )
            if not inside:
                add(group, is_broad)
    for found in names:
        for name in found:
            variants = _variants(name)
            if any(variants[0] in g for g, _b in known):
                continue  # a known place, added above with all its spellings
            add(tuple(dict.fromkeys(variants)), False)
    watched = [group for group, is_broad in gazetteer if is_broad]
    if not specific and any(group in broad for group in watched):
        # A claim about the watched province is about each of its places: "a poll
        # worker in Bố Trạch" speaks of Quảng Bình. Only the office's own gazetteer
        # knows what lies inside the province, so only it widens the anchor.
        broad.extend(group for group, is_broad in gazetteer if not is_broad and group)
    sources = [*texts, *(n for names_, _b in places for n in names_), *broad_names()]
    written = _written((*specific, *broad), sources)
    return Subjects(specific=tuple(specific), broad=tuple(broad), written=written)


def _written(
    groups: Sequence[tuple[str, ...]], sources: Sequence[str]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """How each folded alias is written in `sources` (statements, place names)."""
    found: dict[str, set[str]] = {a: set() for group in groups for a in group}
    aligned = [(folded(t), surface(t)) for t in sources]
    # not aligned (decomposed input): the folded form still matches unmarked text
    aligned = [(f, w) for f, w in aligned if len(f) == len(w)]
    for alias, forms in found.items():
        pattern = _pattern([alias])
        for form, written in aligned:
            if pattern is not None and alias in form:
                for match in pattern.finditer(form):
                    forms.add(written[match.start() : match.start() + len(alias)])
    return tuple((a, tuple(sorted(w))) for a, w in sorted(found.items()))
