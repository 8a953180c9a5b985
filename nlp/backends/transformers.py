"""The transformers backend (filled in below the contract commit)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.errors import PresswatchError

if TYPE_CHECKING:
    from nlp.analyzer import RuleAnalyzer
    from pipeline.config import Settings


def build_transformers_analyzer(settings: Settings) -> RuleAnalyzer:
    raise PresswatchError("the transformers backend is not available yet")
