"""Duplicate detection: exact (content hash) and near (MinHash LSH on word shingles).

A syndicated copy with small edits (another outlet's byline, a changed
headline, a trimmed paragraph) keeps most word 3-grams of the original, while
a different story on the same topic shares only a few; Jaccard 0.5 sits
between the two.
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


def to_bytes(signature: Any) -> bytes:
    return bytes(np.asarray(signature.hashvalues, dtype="<u8").tobytes())


def from_bytes(data: bytes) -> Any:
    from datasketch import MinHash

    values = np.frombuffer(data, dtype="<u8").astype(np.uint64)
    return MinHash(num_perm=len(values), hashvalues=values, scheme=SCHEME)


class NearDuplicateIndex:
    """MinHash LSH over stored texts; `match` gives the most similar stored key."""

    def __init__(self, threshold: float = THRESHOLD) -> None:
        from datasketch import MinHashLSH

        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._signatures: dict[Hashable, Any] = {}

    def __len__(self) -> int:
        return len(self._signatures)

    def add(self, key: Hashable, signature: Any) -> None:
        if key in self._signatures:
            return
        self._lsh.insert(key, signature)
        self._signatures[key] = signature

    def remove(self, key: Hashable) -> None:
        """Forget `key` (its article was rolled back: the id may be given again)."""
        if self._signatures.pop(key, None) is not None:
            self._lsh.remove(key)

    def match(self, signature: Any) -> tuple[Hashable, float] | None:
        """The stored key most similar to `signature`, if its estimated Jaccard passes."""
        best: tuple[Hashable, float] | None = None
        for key in self._lsh.query(signature):
            similarity = float(signature.jaccard(self._signatures[key]))
            if similarity >= self.threshold and (best is None or similarity > best[1]):
                best = (key, similarity)
        return best
