"""Sentences and the combined document text every stage shares."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.analysis import Document

# A sentence ends at . ! ? … (and closing quotes) before a space and a capital,
# digit or opening quote, or at a line break. Hand-written because underthesea's
# sent_tokenize costs more than the whole analysis budget on long articles.
_BOUNDARY = re.compile(r"([.!?…][\"”’»)]*)\s+(?=[\"“‘«(]?[^\W_a-zđ])|\n+")
_MAX_SENTENCE = 600


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    text: str


def document_text(doc: Document) -> str:
    """The text offsets refer to: title, blank line, body (as `PlaceMention` says)."""
    title, body = doc.title.strip(), doc.text.strip()
    if title and body:
        return f"{title}\n\n{body}"
    return title or body


def split_sentences(text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    position = 0
    for match in [*_BOUNDARY.finditer(text), None]:
        end = len(text)
        if match is not None:
            end = match.end(1) if match.group(1) else match.start()
        _add(sentences, text, position, end)
        if match:
            position = match.end()
    return sentences


def _add(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while end - start > _MAX_SENTENCE:  # run-on text without punctuation: cut at a space
        cut = text.rfind(" ", start, start + _MAX_SENTENCE)
        cut = cut if cut > start else start + _MAX_SENTENCE
        sentences.append(Sentence(start, cut, text[start:cut]))
        start = cut + 1
    if end > start:
        sentences.append(Sentence(start, end, text[start:end]))
