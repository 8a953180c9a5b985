"""Decide whether two extracted texts of one article differ in substance.

Tokens are whitespace-separated after Unicode NFC: English words and
Vietnamese syllables alike. Punctuation-only tokens are dropped so that a
changed comma or extra blank line is not an edit. Paragraphs that also occur
in other pages of the same site (a rotating ad or related-links block that
extraction let through) are removed before comparing, and a change counts as
an edit only when more than ``min_changed_tokens`` tokens differ.

A rotating block is also recognised by its slot: where paragraphs were
replaced one for one by paragraphs the site shows elsewhere, the ones they
replaced were the block's earlier rotation (an ad seen on this page only, so
far). The price: a real paragraph the outlet swapped for a site-wide block is
not an edit.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

DEFAULT_MIN_CHANGED_TOKENS = 3

Op = Literal["equal", "insert", "delete", "replace"]


@dataclass(frozen=True)
class DiffChunk:
    op: Op
    old: str
    new: str


@dataclass(frozen=True)
class TextDiff:
    changed_tokens: int
    chunks: tuple[DiffChunk, ...]

    def is_edit(self, min_changed_tokens: int = DEFAULT_MIN_CHANGED_TOKENS) -> bool:
        return self.changed_tokens > min_changed_tokens


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _is_word(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


def tokens(text: str) -> list[str]:
    return [t for t in normalise(text).split() if _is_word(t)]


def paragraphs(text: str) -> list[str]:
    blocks = unicodedata.normalize("NFC", text).replace("\r\n", "\n").split("\n")
    return [p for p in (normalise(b) for b in blocks) if p]


def strip_boilerplate(text: str, site_paragraphs: Iterable[str]) -> str:
    """Drop paragraphs that also appear in other pages of the same site."""
    shared = {normalise(p) for p in site_paragraphs}
    return "\n".join(p for p in paragraphs(text) if p not in shared)


def _without_site_blocks(old: str, new: str, shared: set[str]) -> tuple[str, str]:
    """Both texts without the site's paragraphs and their one-for-one rotations."""
    before, after = paragraphs(old), paragraphs(new)
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    kept_old: list[str] = []
    kept_new: list[str] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        olds = [p for p in before[i1:i2] if p not in shared]
        news = [p for p in after[j1:j2] if p not in shared]
        if op == "replace":
            swapped_in = (j2 - j1) - len(news)  # site paragraphs now in the slot
            swapped_out = (i2 - i1) - len(olds)
            if not news and len(olds) == swapped_in:
                olds = []
            elif not olds and len(news) == swapped_out:
                news = []
        kept_old += olds
        kept_new += news
    return "\n".join(kept_old), "\n".join(kept_new)


def diff_texts(old: str, new: str, site_paragraphs: Iterable[str] = ()) -> TextDiff:
    shared = {normalise(p) for p in site_paragraphs}
    old, new = _without_site_blocks(old, new, shared) if shared else (old, new)
    old_tokens = tokens(old)
    new_tokens = tokens(new)
    matcher = difflib.SequenceMatcher(a=old_tokens, b=new_tokens, autojunk=False)
    chunks: list[DiffChunk] = []
    changed = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "equal":
            changed += max(i2 - i1, j2 - j1)
        chunks.append(DiffChunk(op, " ".join(old_tokens[i1:i2]), " ".join(new_tokens[j1:j2])))
    return TextDiff(changed, tuple(chunks))
