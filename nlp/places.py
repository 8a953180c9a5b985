"""The gazetteer: mentions of the watched place and its parts, with offsets.

One regular expression over a folded copy of the text (lowercase, no
diacritics, same length as the input when it is NFC) finds candidates in
Vietnamese with or without diacritics and in English; then each candidate is
checked against what the architecture notes say goes wrong:

* text with diacritics must carry the name's own diacritics ("Đông Hội" is not
  "Đồng Hới"), text without them may match the bare name;
* proper nouns are capitalised ("chả lo" is not Cha Lo) — unless the whole
  text is typed in lowercase, where capitals say nothing;
* a person reads as a person: a title, kinship word or profession right before
  the name ("ông", "nhà văn", "NSƯT", "MC", "Mr", "novelist", "striker") or a
  capitalised surname ("Trần Quang Bình");
* an `ambiguous` place counts only with one of its `context` words nearby and
  none of its `conflicts` ("huyện Quảng Ninh" yes, "tỉnh Quảng Ninh" no);
* a name of three or more syllables survives one wrong letter or mark
  ("Phong Nha - Kẻ Bảng"), checked by edit distance on the candidate only.

Decomposed (NFD) input takes a slower path with an index map, so offsets
always refer to the string as given.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.analysis import PlaceMention
from nlp.matching import SEPARATORS, PhraseMatcher
from nlp.normalize import fold, has_vietnamese_marks, normalize_text

if TYPE_CHECKING:
    from core.config import Place

# Bump when a rule change here changes which mentions count: stored relevance is re-decided.
GAZETTEER_VERSION = "3"


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
# Titles, kinship words and professions that put a person's name after them
# (compared lowercase, one or two words right before the name).
TITLES = _words(
    "ông bà anh chị cô chú bác em cháu cụ ngài bé "
    "nsnd nsưt nsut mc btv ca_sĩ nhà_văn nhà_thơ nhà_báo nghệ_sĩ nhạc_sĩ họa_sĩ hoạ_sĩ "
    "diễn_viên đạo_diễn danh_ca danh_hài hoa_hậu á_hậu người_mẫu cầu_thủ tiền_đạo "
    "tiền_vệ hậu_vệ thủ_môn hlv vđv vận_động_viên giáo_sư gs pgs ts ths bác_sĩ bs "
    "luật_sư kỹ_sư nhà_khoa_học biên_tập_viên dẫn_chương_trình phát_thanh_viên "
    "nữ_ca_sĩ nam_ca_sĩ nữ_nghệ_sĩ tác_giả "
    "mr mrs ms miss dr sir prof mr. mrs. ms. dr. prof. "
    "writer novelist author poet singer actress actor artist presenter anchor "
    "journalist striker midfielder defender goalkeeper footballer coach "
    "painter musician composer scientist lawyer"
)
TITLES_ASCII = _words(
    "ong ba chi co chu bac chau cu ngai nsnd nsut btv ca_si nha_van nha_tho nha_bao "
    "nghe_si nhac_si hoa_si dien_vien dao_dien danh_ca hoa_hau cau_thu tien_dao thu_mon "
    "giao_su bac_si luat_su tac_gia"
)

_WINDOW = 150  # characters either side where an ambiguous name looks for context
_NEAR_WORDS = 3  # a single lowercase context word must sit this close
_FUZZY_SYLLABLES = 3  # names this long survive one wrong letter or mark


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


# The first letter of each run of letters (a letter after none): found in C, and
# counted by map, as a Python loop over the words cost a crawled page ~0.2 ms.
_WORD_INITIAL = re.compile(r"(?<![^\W\d_])[^\W\d_]")


def caseless(text: str) -> bool:
    """Typed without capitals (chat, comments): capitalisation is no evidence there."""
    letters = _WORD_INITIAL.findall(text[:3000])
    return len(letters) >= 3 and sum(map(str.isupper, letters)) <= len(letters) // 50


def _spelling(text: str) -> str:
    return " ".join(re.split(SEPARATORS, normalize_text(text).lower())).strip()


def _capitals(phrase: str) -> tuple[bool, ...]:
    return tuple(w[:1].isupper() for w in re.split(SEPARATORS, phrase) if w)


def _close_spelling(surface: str, spelling: str, capitals: tuple[bool, ...] | None) -> bool:
    """One letter or mark away from the name and capitalised like it (None: caseless text)."""
    written = _spelling(surface)
    target = fold(spelling) if written.isascii() else spelling
    if capitals is not None and not surface.isupper():
        wanted = [c for c in capitals if c]
        if sum(a and b for a, b in zip(_capitals(surface), capitals, strict=False)) < len(wanted):
            return False
    return _edits_at_most_one(written, target)


def _edits_at_most_one(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


class Gazetteer:
    """Finds the watched place and its parts in any text; built once from config."""

    def __init__(self, places: Sequence[Place]) -> None:
        self.places = {place.id: place for place in places}
        pairs = [(place.id, name) for place in places for name in place.names]
        self._names = PhraseMatcher(pairs)
        self._names_caseless = PhraseMatcher(pairs, check_case=False)
        self._context = {
            place.id: PhraseMatcher(((word, word) for word in place.context), check_case=False)
            for place in places
            if place.ambiguous
        }
        self._conflicts = {
            place.id: PhraseMatcher(((word, word) for word in place.conflicts), check_case=False)
            for place in places
            if place.conflicts
        }
        self._fuzzy = self._fuzzy_names(pairs)
        # Every anchor in one pattern: most texts hold none, and one scan of the text
        # then replaces one scan per fuzzy name (22 for the shipped watch list).
        self._any_anchor = re.compile(
            "|".join(dict.fromkeys(f"(?:{fuzzy[3].pattern})" for fuzzy in self._fuzzy))
        )

    @staticmethod
    def _fuzzy_names(
        pairs: Sequence[tuple[str, str]],
    ) -> list[tuple[str, str, tuple[bool, ...], re.Pattern[str], object]]:
        """(place id, spelling, anchor, pattern) for names long enough to survive a typo.

        The pattern lets one letter differ, go missing or double in the folded
        text; it is tried only where the name's first or last two syllables
        occur exactly (the anchor), so its cost stays near zero.
        """
        import regex  # type: ignore[import-untyped]

        out: list[tuple[str, str, tuple[bool, ...], re.Pattern[str], object]] = []
        for place_id, name in pairs:
            syllables = [s for s in re.split(SEPARATORS, fold(normalize_text(name))) if s]
            if len(syllables) < _FUZZY_SYLLABLES:
                continue
            body = SEPARATORS.join(regex.escape(s) for s in syllables)
            pattern = regex.compile(rf"(?<![^\W_])(?:{body}){{e<=1}}(?![^\W_])", regex.BESTMATCH)
            anchors = (syllables[:2], syllables[-2:])
            anchor = re.compile("|".join(SEPARATORS.join(map(re.escape, a)) for a in anchors))
            out.append((place_id, _spelling(name), _capitals(name), anchor, pattern))
        return out

    def find(self, text: str) -> list[PlaceMention]:
        """Every mention in `text`, in order; offsets index `text` as given."""
        text_caseless = caseless(text)
        matcher = self._names_caseless if text_caseless else self._names
        mentions: list[PlaceMention] = []
        for start, end, surface, keys in matcher.finditer(text):
            place_id = self._accept(text, start, end, keys)
            if place_id is not None:
                mentions.append(PlaceMention(name=place_id, start=start, end=end, surface=surface))
        if self._fuzzy:
            mentions = self._with_misspellings(text, mentions, text_caseless)
        return mentions

    def _with_misspellings(
        self, text: str, mentions: list[PlaceMention], text_caseless: bool
    ) -> list[PlaceMention]:
        if unicodedata.normalize("NFC", text) != text:
            return mentions  # decomposed input: offsets would not line up; exact names only
        folded = fold(text)
        if self._any_anchor.search(folded) is None:
            return sorted(mentions, key=lambda m: m.start)  # as below, with nothing found
        found = list(mentions)
        for place_id, spelling, capitals, anchor, pattern in self._fuzzy:
            if anchor.search(folded) is None:
                continue
            for match in pattern.finditer(folded):  # type: ignore[attr-defined]
                start, end = match.span()
                if any(m.start < end and m.end > start for m in found):
                    continue
                surface = text[start:end]
                close = _close_spelling(surface, spelling, None if text_caseless else capitals)
                if close and self._accept(text, start, end, [place_id]):
                    found.append(PlaceMention(name=place_id, start=start, end=end, surface=surface))
        return sorted(found, key=lambda m: m.start)

    def _accept(
        self,
        text: str,
        start: int,
        end: int,
        candidates: list[str],
    ) -> str | None:
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

    def _found_near(self, matcher: PhraseMatcher, text: str, start: int, end: int) -> bool:
        for hit in self._hits(matcher, text, start, end):
            if _contains(hit, start, end) or (
                not _overlaps(hit, start, end) and self._near(text, start, end, hit)
            ):
                return True
        return False

    def _conflicting(self, place_id: str, text: str, start: int, end: int) -> bool:
        matcher = self._conflicts.get(place_id)
        return matcher is not None and self._found_near(matcher, text, start, end)

    def _confirmed(self, place_id: str, text: str, start: int, end: int) -> bool:
        context = self._context[place_id]
        if self._found_near(context, text, start, end):
            return True
        # A district is often named alone, its context a sentence away ("Hàng cứu trợ về
        # Lệ Thủy" over a story of a flooded commune): where the office set
        # context_scope "article", the article as a whole confirms it when it has a
        # context word and nothing anywhere in it speaks of the other reading.
        if self.places[place_id].context_scope != "article":
            return False
        conflicts = self._conflicts.get(place_id)
        return _anywhere(context, text) and (conflicts is None or not _anywhere(conflicts, text))


def _anywhere(matcher: PhraseMatcher, text: str) -> bool:
    """A phrase anywhere in `text`; in text with diacritics only as written ("ba năm"
    is three years, not "bà")."""
    marked = has_vietnamese_marks(text)
    for _start, _end, surface, keys in matcher.finditer(text):
        if (
            not marked
            or fold(surface) != surface.lower()
            or all(fold(k) == k.lower() for k in keys)
        ):
            return True
    return False


def _overlaps(hit: tuple[int, int, str], start: int, end: int) -> bool:
    return hit[0] < end and hit[1] > start


def _contains(hit: tuple[int, int, str], start: int, end: int) -> bool:
    return hit[0] <= start and hit[1] >= end and (hit[1] - hit[0]) > (end - start)


def _is_person(text: str, start: int) -> bool:
    previous = [unicodedata.normalize("NFC", w).rstrip(".,") for w in _words_before(text, start, 3)]
    if not previous or not previous[0]:
        return False
    word = previous[0]
    # one, two or three words before the name, as one title ("nhà văn", "nữ ca sĩ")
    for size in (1, 2, 3):
        if len(previous) < size:
            break
        phrase = "_".join(w.lower() for w in reversed(previous[:size]))
        if phrase in TITLES or phrase + "." in TITLES:
            return True
        # unmarked titles only in lowercase: "Cu Ba Đồng Hới" is Cuba, not "bà"
        first = previous[size - 1]
        if phrase.isascii() and fold(phrase) in TITLES_ASCII and first[:1].islower():
            return True
    if not word[:1].isupper():
        return False
    return word in SURNAMES or (word.isascii() and fold(word) in SURNAMES_ASCII)


def relevant(mentions: Sequence[PlaceMention]) -> bool:
    """Whether an article is about the watched place: at least one accepted mention."""
    return len(mentions) > 0
