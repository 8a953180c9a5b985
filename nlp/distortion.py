"""The distortion score: evidence combined into 0–1, each piece a reason pointing at text.

Noisy-or of the reasons' weights (1 - Π(1 - w)): any strong reason alone can
flag an article, several weak ones add up, and the score never passes 1.
Weights are deliberately few and readable; staff see them next to each reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.analysis import Distortion, LabelScore, NarrativeMatch, Reason, TopicScore

NARRATIVE_WEIGHT = 0.8  # at full strength: repeating a known false claim
# A match's score is the verifier's P(asserts), at least its threshold (nlp.claims.build):
# a verified repeat alone flags the article (weight >= 0.6 of 0.8), a confident one
# (P >= NARRATIVE_FULL) at full weight. Rebuttals carry no weight: an article that
# debunks a narrative is no distortion.
NARRATIVE_FULL = 0.6
NARRATIVE_BASE = 0.75  # share of NARRATIVE_WEIGHT any verified repeat carries
SENSITIVE_WEIGHT = 0.2  # per sensitive topic, at most two counted
STANCE_WEIGHT = 0.4  # × how far P(critical) is above chance, (p - 1/3) / (2/3)
STANCE_MIN = 0.55  # below this a three-class probability is not clearly above the others
TONE_WEIGHT = 0.1  # × how far P(negative) is above chance
TONE_MIN = 0.55
FOREIGN_WEIGHT = 0.15  # only when something else already points at distortion


def score(
    *,
    narratives: Sequence[NarrativeMatch],
    topics: Sequence[TopicScore],
    sensitive: set[str],
    topic_threshold: float,
    stance: LabelScore,
    tone: LabelScore,
    origin: str | None,
    flag_threshold: float,
    topic_sentences: dict[str, str] | None = None,
) -> Distortion:
    reasons: list[Reason] = []
    for match in narratives:
        reasons.append(
            Reason(
                kind="narrative",
                weight=round(
                    NARRATIVE_WEIGHT
                    * (
                        NARRATIVE_BASE
                        + (1 - NARRATIVE_BASE) * min(1.0, match.score / NARRATIVE_FULL)
                    ),
                    4,
                ),
                detail=f"repeats narrative '{match.id}'",
                sentence=match.sentence,
                ref=match.id,
            )
        )
    sensitive_hits = [t for t in topics if t.id in sensitive and t.score >= topic_threshold]
    for topic in sensitive_hits[:2]:
        reasons.append(
            Reason(
                kind="sensitive_topic",
                weight=round(SENSITIVE_WEIGHT * topic.score, 4),
                detail=f"sensitive topic '{topic.id}' (score {topic.score:.2f})",
                sentence=(topic_sentences or {}).get(topic.id),
                ref=topic.id,
            )
        )
    if stance.label == "critical" and stance.score >= STANCE_MIN:
        reasons.append(
            Reason(
                kind="stance",
                weight=round(STANCE_WEIGHT * _above_chance(stance.score), 4),
                detail=f"critical stance (p={stance.score:.2f})",
                sentence=stance.sentences[0] if stance.sentences else None,
            )
        )
    if tone.label == "negative" and tone.score >= TONE_MIN:
        reasons.append(
            Reason(
                kind="tone",
                weight=round(TONE_WEIGHT * _above_chance(tone.score), 4),
                detail=f"negative tone (p={tone.score:.2f})",
                sentence=tone.sentences[0] if tone.sentences else None,
            )
        )
    if origin == "foreign" and reasons:
        reasons.append(
            Reason(kind="origin", weight=FOREIGN_WEIGHT, detail="published by a foreign outlet")
        )
    remaining = 1.0
    for reason in reasons:
        remaining *= 1.0 - reason.weight
    value = round(1.0 - remaining, 4)
    reasons.sort(key=lambda r: -r.weight)
    return Distortion(score=value, flagged=value >= flag_threshold, reasons=tuple(reasons))


def _above_chance(probability: float) -> float:
    """0 at 1/3 (chance among three labels), 1 at certainty."""
    return max(0.0, min(1.0, (probability - 1.0 / 3.0) * 1.5))
