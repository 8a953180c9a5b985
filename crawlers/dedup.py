"""Duplicate detection: exact (content hash) and near (MinHash LSH on word shingles).

A syndicated copy with small edits (another outlet's byline, a changed
headline, a trimmed paragraph) keeps most word 3-grams of the original, while
a different story on the same topic shares only a few; Jaccard 0.5 sits
between the two for long articles. A short article (four or five sentences)
with a new headline and two or three sentences rewritten keeps only 0.34-0.5 of
its shingles by Jaccard, yet 0.53-0.92 of the smaller text's shingles
(containment), where another story on the same place and subject, even a follow-up
repeating a background sentence, shares at most 0.22 (0.36 on the held-out half;
nlp/data/stories, `python -m crawlers.dedup_eval`). So the body alone is compared
(never the headline), LSH asks for candidates from Jaccard ~0.25, and two short
texts also join on containment. On 2,500 real VNTC articles this adds one merge to
the old rule's two: two outlets' rewrites of one arrest report.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Hashable
from typing import Any

import numpy as np

NUM_PERM = 128
# Stored signatures must be rebuilt with the scheme they were made with.
SCHEME = "affine32"
THRESHOLD = 0.5
SHINGLE = 3
# Two short texts (both at most SHORT_SHINGLES shingles, ~250 words) also join when
# this share of the smaller one's shingles is in the other. Both: a long roundup
# quoting a whole brief is not the brief's copy.
CONTAINMENT = 0.45
SHORT_SHINGLES = 250
# LSH bands x rows: a pair at Jaccard 0.3 is a candidate with p 0.99 (0.04 at 0.03).
LSH_BANDS, LSH_ROWS = 48, 2
_WORD = re.compile(r"\w+")


def content_hash(text: str) -> str:
    """Hash of the text with case and spacing folded away."""
    folded = " ".join(_WORD.findall(text.lower()))
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def shingles(text: str, size: int = SHINGLE) -> set[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


def minhash(text: str) -> Any:
    from datasketch import MinHash

    signature = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    signature.update_batch(list(shingles(text)))
    return signature


def article_minhash(title: str, text: str) -> Any:
    """The signature of an article's body: a syndicated copy's new headline must not
    count against it (the title is used only when there is no body). Signatures
    stored before this (title and body) still compare, a little lower, until they
    leave the crawl's 30-day cluster window."""
    return minhash(text if text.strip() else title)


def to_bytes(signature: Any) -> bytes:
    return bytes(np.asarray(signature.hashvalues, dtype="<u8").tobytes())


def from_bytes(data: bytes) -> Any:
    from datasketch import MinHash

    values = np.frombuffer(data, dtype="<u8").astype(np.uint64)
    return MinHash(num_perm=len(values), hashvalues=values, scheme=SCHEME)


class NearDuplicateIndex:
    """MinHash LSH over stored texts; `match` gives the most similar stored key."""

    def __init__(
        self,
        threshold: float = THRESHOLD,
        *,
        containment: float = CONTAINMENT,
        short_shingles: int = SHORT_SHINGLES,
    ) -> None:
        from datasketch import MinHashLSH

        self.threshold = threshold
        self.containment = containment
        self.short_shingles = short_shingles
        self._lsh = MinHashLSH(num_perm=NUM_PERM, params=(LSH_BANDS, LSH_ROWS))
        self._signatures: dict[Hashable, Any] = {}
        self._sizes: dict[Hashable, float] = {}

    def __len__(self) -> int:
        return len(self._signatures)

    def add(self, key: Hashable, signature: Any) -> None:
        if key in self._signatures:
            return
        self._lsh.insert(key, signature)
        self._signatures[key] = signature
        self._sizes[key] = float(signature.count())

    def remove(self, key: Hashable) -> None:
        """Forget `key` (its article was rolled back: the id may be given again)."""
        if self._signatures.pop(key, None) is not None:
            self._lsh.remove(key)
            self._sizes.pop(key, None)

    def match(self, signature: Any) -> tuple[Hashable, float] | None:
        """The stored key most similar to `signature` (by estimated Jaccard) among those
        passing the Jaccard threshold or, for short texts, the containment one."""
        best: tuple[Hashable, float] | None = None
        size = float(signature.count())
        for key in self._lsh.query(signature):
            similarity = float(signature.jaccard(self._signatures[key]))
            if not self._passes(similarity, size, self._sizes[key]):
                continue
            if best is None or similarity > best[1]:
                best = (key, similarity)
        return best

    def _passes(self, jaccard: float, size: float, other: float) -> bool:
        if jaccard >= self.threshold:
            return True
        smaller = min(size, other)
        if smaller <= 0 or max(size, other) > self.short_shingles:
            return False
        # |A ∩ B| = J (|A| + |B|) / (1 + J), sizes estimated from the signatures.
        return jaccard * (size + other) / (1 + jaccard) / smaller >= self.containment
