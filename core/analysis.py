"""The result types every NLP backend returns. A leaf module.

They mirror the `presswatch analyze` JSON-lines output one to one (see
`AnalysisResult.to_json`), which is a stable interface for evaluations.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

StanceLabel = Literal["supportive", "neutral", "critical"]
ToneLabel = Literal["positive", "neutral", "negative"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Document:
    """One text to analyse: what the crawler stored, or a line of `analyze` input."""

    id: str
    title: str
    text: str
    url: str | None = None
    language: str | None = None
    source: str | None = None
    origin: Literal["domestic", "foreign"] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class PlaceMention:
    name: str  # the place id from config
    start: int  # character offsets into title + "\n\n" + text
    end: int
    surface: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class TopicScore:
    id: str
    score: float


@dataclass(frozen=True, kw_only=True, slots=True)
class LabelScore:
    label: str
    score: float
    sentences: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class NarrativeMatch:
    id: str
    score: float
    sentence: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Reason:
    """One reason behind a distortion score, pointing at the text that produced it."""

    kind: Literal["narrative", "sensitive_topic", "stance", "origin", "tone"]
    weight: float
    detail: str
    sentence: str | None = None
    ref: str | None = None  # narrative id, topic id, ...


@dataclass(frozen=True, kw_only=True, slots=True)
class Distortion:
    score: float
    flagged: bool
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class AnalysisResult:
    id: str
    language: str
    relevant: bool
    places: tuple[PlaceMention, ...]
    topics: tuple[TopicScore, ...]
    stance: LabelScore
    tone: LabelScore
    narratives: tuple[NarrativeMatch, ...]
    distortion: Distortion
    backend: str = "embedded"
    model_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The `presswatch analyze` output line (plus backend/model_version)."""
        data = asdict(self)
        data.pop("extra")
        return data
