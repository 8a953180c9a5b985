"""The result types every NLP backend returns. A leaf module.

They mirror the `presswatch analyze` JSON-lines output one to one (see
`AnalysisResult.to_json`), which is a stable interface for evaluations.
`AnalysisResult.from_json` reads that JSON back (as stored in `analyses.result`):
it is the only code that knows the stored shape, and it accepts rows written
before newer keys existed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, cast

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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


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
    narratives: tuple[NarrativeMatch, ...]  # asserting: the article repeats the claim
    distortion: Distortion
    # Denying or debunking a watched narrative: what the office can cite.
    rebuttals: tuple[NarrativeMatch, ...] = ()
    backend: str = "embedded"
    model_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The `presswatch analyze` output line (plus backend/model_version)."""
        data = asdict(self)
        data.pop("extra")
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AnalysisResult:
        """The result `to_json` wrote; keys an older row lacks take their defaults."""
        distortion = _mapping(data.get("distortion"))
        return cls(
            id=_str(data.get("id")),
            language=_str(data.get("language")),
            relevant=bool(data.get("relevant", False)),
            places=tuple(
                PlaceMention(
                    name=_str(p.get("name")),
                    start=int(p.get("start") or 0),
                    end=int(p.get("end") or 0),
                    surface=_str(p.get("surface")),
                )
                for p in _mappings(data.get("places"))
            ),
            topics=tuple(
                TopicScore(id=_str(t.get("id")), score=_float(t.get("score")))
                for t in _mappings(data.get("topics"))
            ),
            stance=_label_score(data.get("stance")),
            tone=_label_score(data.get("tone")),
            narratives=_matches(data.get("narratives")),
            distortion=Distortion(
                score=_float(distortion.get("score")),
                flagged=bool(distortion.get("flagged", False)),
                reasons=tuple(
                    Reason(
                        kind=cast(Any, _str(r.get("kind"))),
                        weight=_float(r.get("weight")),
                        detail=_str(r.get("detail")),
                        sentence=_optional_str(r.get("sentence")),
                        ref=_optional_str(r.get("ref")),
                    )
                    for r in _mappings(distortion.get("reasons"))
                ),
            ),
            rebuttals=_matches(data.get("rebuttals")),
            backend=_str(data.get("backend"), "embedded"),
            model_version=_str(data.get("model_version")),
        )

    def topic_ids(self, threshold: float = 0.0) -> list[str]:
        """Topic ids scoring at least `threshold`, best first."""
        ranked = sorted((t for t in self.topics if t.score >= threshold), key=lambda t: -t.score)
        return [t.id for t in ranked]

    def narrative_ids(self) -> list[str]:
        return [n.id for n in self.narratives]

    def rebuttal_ids(self) -> list[str]:
        return [n.id for n in self.rebuttals]

    def reasons_by_weight(self) -> list[Reason]:
        """The distortion reasons, heaviest first (ties keep their order)."""
        return sorted(self.distortion.reasons, key=lambda r: -r.weight)

    def labels(self) -> list[tuple[str, str, float]]:
        """(kind, ref, score) for every topic, narrative and rebuttal, each ref once at
        its best score: what article lists filter on (storage's `analysis_labels`)."""
        best: dict[tuple[str, str], float] = {}
        groups: tuple[tuple[str, tuple[TopicScore | NarrativeMatch, ...]], ...] = (
            ("topic", self.topics),
            ("narrative", self.narratives),
            ("rebuttal", self.rebuttals),
        )
        for kind, items in groups:
            for item in items:
                key = (kind, item.id)
                best[key] = max(best.get(key, item.score), item.score)
        return [(kind, ref, score) for (kind, ref), score in best.items()]


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _mappings(value: object) -> list[Mapping[str, Any]]:
    items = value if isinstance(value, list | tuple) else ()
    return [item for item in items if isinstance(item, Mapping)]


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _str(value: object, default: str = "") -> str:
    return default if value is None else str(value)


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _label_score(value: object) -> LabelScore:
    data = _mapping(value)
    sentences = data.get("sentences")
    return LabelScore(
        label=_str(data.get("label")),
        score=_float(data.get("score")),
        sentences=tuple(str(s) for s in sentences) if isinstance(sentences, list | tuple) else (),
    )


def _matches(value: object) -> tuple[NarrativeMatch, ...]:
    return tuple(
        NarrativeMatch(
            id=_str(m.get("id")),
            score=_float(m.get("score")),
            sentence=_str(m.get("sentence")),
        )
        for m in _mappings(value)
    )
