"""The default backend: offline, linear stance/tone models and TF-IDF narratives."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from nlp import linear
from nlp.analyzer import RuleAnalyzer
from nlp.narratives import NarrativeMatcher

if TYPE_CHECKING:
    from core.config import Settings


class LinearClassifier:
    """The embedded sentence classifier: `nlp.linear` models, current at build time."""

    def __init__(self, models: linear.LinearModels) -> None:
        self.models = models
        self.version = f"{linear.RECIPE}-{models.key}"

    def predict_tasks(self, texts: Sequence[str]) -> dict[str, list[dict[str, float]]]:
        return self.models.predict_tasks(texts)

    def predict(self, task: str, texts: Sequence[str]) -> list[dict[str, float]]:
        return self.models.predict(task, texts)


def seed_background() -> list[str]:
    with linear.seed_path().open(encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle if line.strip()]


def build_embedded_analyzer(settings: Settings) -> RuleAnalyzer:
    models = linear.current(settings.data_dir)
    classifier = LinearClassifier(models)
    narratives = NarrativeMatcher(
        settings.narratives,
        settings.topics,
        threshold=settings.nlp.thresholds.narrative_similarity,
        background=seed_background(),
    )
    return RuleAnalyzer(
        settings, classifier, narratives, backend="embedded", model_version=classifier.version
    )
