"""The Jinja2 environment: autoescape on for every template, whatever its name."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
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
    out: list[Markup] = []
    position = 0
    for start, end, ref in spans:
        out.append(_plain(text[position:start]))
        out.append(Markup(_MARK).format(ref, _plain(text[start:end])))
        position = end
    out.append(_plain(text[position:]))
    body = Markup("").join(out)
    paras = [part for part in body.split("\n\n") if part.strip()]
    return Markup("").join(Markup("<p>") + Markup(p) + Markup("</p>\n") for p in paras)


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
