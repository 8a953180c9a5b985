"""The Jinja2 environment: autoescape on for every template, whatever its name."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup, escape
from starlette.templating import Jinja2Templates

from core.analysis import AnalysisResult

TEMPLATE_DIR = Path(__file__).with_name("templates")


class NameStrictUndefined(jinja2.ChainableUndefined):
    """A missing *template variable* is a bug and raises; a missing key inside stored
    data (an analysis JSON without `tone`, say) quietly renders as nothing."""

    __slots__ = ()

    def _check(self) -> None:
        if self._undefined_obj is jinja2.utils.missing:
            self._fail_with_undefined_error()

    def __str__(self) -> str:
        self._check()
        return ""

    def __bool__(self) -> bool:
        self._check()
        return False

    def __iter__(self) -> Iterator[Any]:
        self._check()
        return iter(())

    def __len__(self) -> int:
        self._check()
        return 0


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=NameStrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["paragraphs"] = paragraphs
    env.filters["safe_url"] = safe_url
    env.globals["stance_of"] = stance_of
    return Jinja2Templates(env=env)


def safe_url(url: str | None) -> str:
    """Only http(s) links from stored data; `javascript:` and friends become "#"."""
    text = (url or "").strip()
    return text if urlsplit(text).scheme.lower() in {"http", "https"} else "#"


def period_label(t: Callable[[str], str], key: str) -> str:
    """An ISO week or a month as the office says it: "2026-W48" is "Tuần 48/2026",
    "2026-11" is "Tháng 11/2026"; anything else is shown as is."""
    week = re.fullmatch(r"(\d{4})-W(\d{2})", key or "")
    if week:
        return t("period_week_label").format(week=int(week[2]), year=week[1])
    month = re.fullmatch(r"(\d{4})-(\d{2})", key or "")
    if month:
        return t("period_month_label").format(month=int(month[2]), year=month[1])
    return key


def stance_of(analysis: AnalysisResult | None) -> str | None:
    return (analysis.stance.label or None) if analysis else None


def paragraphs(text: str | None) -> Markup:
    """Plain text as escaped <p> paragraphs (blank lines separate them)."""
    parts = [part.strip() for part in (text or "").replace("\r\n", "\n").split("\n\n")]
    return Markup("").join(Markup("<p>{}</p>\n").format(escape(part)) for part in parts if part)


_MARK = '<mark class="flag" id="mark-{0}" data-ref="{0}">{1}<sup>{0}</sup></mark>'


def find_sentence(text: str, sentence: str) -> tuple[int, int] | None:
    """Where `sentence` occurs in `text`: exactly, else word by word across any
    whitespace (extraction and sentence splitting rarely agree on line breaks)."""
    needle = sentence.strip()
    if not needle:
        return None
    start = text.find(needle)
    if start >= 0:
        return start, start + len(needle)
    words = needle.split()
    pattern = r"\s+".join(re.escape(word) for word in words)
    match = re.search(pattern, text)
    return (match.start(), match.end()) if match else None


def highlight(text: str, sentences: list[tuple[str, int]]) -> Markup:
    """Escaped paragraphs of `text` with each given sentence wrapped in
    <mark data-ref="N">, N pointing at the reason it supports. The text is
    escaped piece by piece; nothing of it is ever trusted as markup. Text and
    sentences are compared in NFC, as the NLP stage normalises to it."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
    spans: list[tuple[int, int, int]] = []
    for sentence, ref in sentences:
        found = find_sentence(text, unicodedata.normalize("NFC", sentence))
        if found is None:
            continue
        start, end = found
        if any(s < end and start < e for s, e, _ in spans):
            continue
        spans.append((start, end, ref))
    spans.sort()
    paras: list[Markup] = []
    position = 0
    for cut, after in [*_breaks(text, spans), (len(text), len(text))]:
        if text[position:cut].strip():
            inside = [(s, e, r) for s, e, r in spans if position <= s < cut]
            paras.append(_marked_flags(text, position, cut, inside))
        position = after
    return Markup("").join(Markup("<p>") + p + Markup("</p>\n") for p in paras)


# A line that ends a sentence ends a paragraph: extractors put one paragraph on a
# line, with no blank line between. A line break mid-sentence (a wrapped line) is not.
_LINE_BREAK = re.compile(r"[ \t]*\n\s*")
_SENTENCE_END = (".", "!", "?", "…", ":", ";", '"', "”", "»", ")")


def _breaks(text: str, spans: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """(start, end) of each line break that separates paragraphs, never inside a mark."""
    found: list[tuple[int, int]] = []
    for match in _LINE_BREAK.finditer(text):
        start, end = match.span()
        if any(s < start < e for s, e, _ in spans):
            continue
        if match.group().count("\n") > 1 or text[:start].endswith(_SENTENCE_END):
            found.append((start, end))
    return found


def _marked_flags(text: str, start: int, end: int, spans: list[tuple[int, int, int]]) -> Markup:
    out: list[Markup] = []
    position = start
    for s, e, ref in spans:
        out.append(_plain(text[position:s]))
        out.append(Markup(_MARK).format(ref, _plain(text[s:e])))
        position = e
    out.append(_plain(text[position:end]))
    return Markup("").join(out).strip()


def _plain(chunk: str) -> Markup:
    return escape(chunk.replace("\r\n", "\n"))


def marked(text: str, spans: list[tuple[int, int]]) -> Markup:
    """`text` escaped, with each (start, end) span wrapped in <mark class="hit">
    (search words found in a title or snippet)."""
    out: list[Markup] = []
    position = 0
    for start, end in spans:
        out.append(_plain(text[position:start]))
        out.append(Markup('<mark class="hit">{}</mark>').format(_plain(text[start:end])))
        position = end
    out.append(_plain(text[position:]))
    return Markup("").join(out)
