"""Text normalisation and language identification, shared by the crawler and nlp.

`normalize_text` gives one canonical form for storage, dedup and matching:
NFC, one Vietnamese tone-mark convention (underthesea's: "hòa", "thủy",
"khỏe", plus its table of misplaced marks such as "nghịêp" -> "nghiệp"),
no zero-width characters, single spaces, at most one blank line in a row.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import unicodedata
from pathlib import Path

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# A run of horizontal whitespace becomes one space; single spaces are not matched
# at all (replacing each by itself was most of this step's cost).
_HSPACE = re.compile(r"[^\S\n]{2,}|[^\S\n ]")
_BLANKS = re.compile(r"\n\s*\n\s*")
_WORD = re.compile(r"\w+")
_VI_CHARS = re.compile(
    "[ăâđêôơưĂÂĐÊÔƠƯàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ]",
    re.IGNORECASE,
)


@functools.cache
def _token_map() -> dict[str, str]:
    """underthesea's tone-mark table, read from its data file directly.

    Importing `underthesea.pipeline.text_normalize` costs ~3 s (the whole
    package loads), and its `text_normalize` re-joins tokens with spaces
    ("Hà Nội, ngày" -> "Hà Nội , ngày"); we only want the per-word table.
    """
    import joblib

    spec = importlib.util.find_spec("underthesea")
    if spec is None or spec.origin is None:  # pragma: no cover - underthesea is a dependency
        return {}
    folder = Path(spec.origin).parent / "pipeline" / "text_normalize"
    rules = sorted(folder.glob("tn_rules_*.bin"))
    if not rules:  # pragma: no cover
        return {}
    data = joblib.load(rules[-1])
    return {unicodedata.normalize("NFC", k): v for k, v in data["token"].items()}


# underthesea's token_normalize only rewrites tokens of up to this many characters.
_LONGEST_TOKEN = 6


def _retone(text: str) -> str:
    """Every word of `text` in the table replaced by its spelling there.

    Most texts hold none of the table's words: they are found by a set
    intersection in C, and only the words found are rewritten, by one pattern
    (a Python call per word of every text was most of the cost of normalising).
    """
    table = _token_map()
    found = [
        word for word in set(_WORD.findall(text)).intersection(table) if len(word) <= _LONGEST_TOKEN
    ]
    if not found:
        return text
    # Whole \w+ tokens only, as _WORD splits them: no word character on either side.
    words = "|".join(map(re.escape, sorted(found, key=len, reverse=True)))
    return re.sub(rf"(?<!\w)(?:{words})(?!\w)", lambda match: table[match.group()], text)


def normalize_text(text: str) -> str:
    """NFC, one tone-mark convention, clean whitespace. Idempotent."""
    text = unicodedata.normalize("NFC", text)
    text = _ZERO_WIDTH.sub("", text).replace("ð", "đ").replace("Ð", "Đ")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _retone(text)
    text = _HSPACE.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANKS.sub("\n\n", text).strip()


_FOLD_TABLE: dict[int, str] = {}


def _fold_table() -> dict[int, str]:
    """Code point -> lowercase base letter, for every precomposed Latin letter."""
    if not _FOLD_TABLE:
        for code in (*range(0x41, 0x5B), *range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
            char = chr(code)
            base = unicodedata.normalize("NFD", char)[0].lower()
            if base.isascii() and base.isalpha() and base != char:
                _FOLD_TABLE[code] = base
        for char, base in (("đ", "d"), ("Đ", "d"), ("ð", "d"), ("Ð", "d")):
            _FOLD_TABLE[ord(char)] = base
    return _FOLD_TABLE


def fold(text: str) -> str:
    """Lowercase and strip diacritics character by character (same length as NFC input)."""
    return text.translate(_fold_table())


def strip_diacritics(text: str) -> str:
    """'Quảng Bình' -> 'Quang Binh' (keeps case; works on NFC or NFD input)."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).replace("đ", "d").replace("Đ", "D")


def has_vietnamese_marks(text: str) -> bool:
    return _VI_CHARS.search(unicodedata.normalize("NFC", text)) is not None


# A Vietnamese syllable without diacritics: onset, at most three vowels, coda.
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?[aeiouy]{1,3}(?:ch|nh|ng|[cmnpt])?"
)
_LATIN_WORD = re.compile(r"[a-z]+")


def _syllable_share(text: str) -> float:
    """Share of words that are well-formed Vietnamese syllables (for unmarked text).

    langid labels Vietnamese typed without diacritics as Javanese, Pidgin and
    the like; English fails the syllable shape often ("and", "with", "said").
    """
    words = _LATIN_WORD.findall(fold(text))
    if not words:
        return 0.0
    return sum(1 for w in words if _SYLLABLE.fullmatch(w)) / len(words)


_LANGUAGE_LIST = "vi en fr de es pt it nl ru uk pl cs zh ja ko th lo km my id ms tl hi ar fa tr sv"
LANGUAGES = (*_LANGUAGE_LIST.split(" "), "no", "da", "fi", "el", "he", "hu", "ro")


@functools.cache
def _identifier() -> object:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    # Only languages a Vietnamese press office meets; langid's long tail (Pidgin,
    # Javanese, Faroese...) is where short headlines otherwise land.
    identifier.set_languages(LANGUAGES)
    return identifier


def detect_language(text: str) -> str:
    """ISO 639-1 code of `text` ("vi", "en", ...), offline.

    py3langid (langid.py's model) decides; Vietnamese letters in more than a
    trace of the words settle it for "vi" first, because langid confuses short
    Vietnamese headlines with other languages and costs more on long texts.
    """
    sample = text[:2000]
    words = _WORD.findall(sample)
    if not words:
        return "und"
    marked = sum(1 for w in words if _VI_CHARS.search(w))
    if marked / len(words) >= 0.3:
        return "vi"
    if len(words) >= 3 and _syllable_share(sample) >= 0.75:
        return "vi"
    identifier = _identifier()
    lang, _score = identifier.classify(sample)  # type: ignore[attr-defined]
    return str(lang)
