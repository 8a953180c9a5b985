"""Reading a stored analysis (the JSON of `AnalysisResult.to_json`) for reports.

One place knows the JSON's shape, so the digest, alerts, export and case view
agree on what "the topics" or "the stance" of an article are.
"""

from __future__ import annotations

from typing import Any


def topic_ids(result: dict[str, Any] | None, threshold: float = 0.0) -> list[str]:
    """Topic ids scoring at least `threshold`, best first."""
    if not result:
        return []
    topics = [t for t in result.get("topics") or [] if float(t.get("score", 0)) >= threshold]
    topics.sort(key=lambda t: -float(t.get("score", 0)))
    return [str(t["id"]) for t in topics]


def stance(result: dict[str, Any] | None) -> tuple[str, float]:
    """(label, score); ("", 0.0) when the article has no analysis."""
    data = (result or {}).get("stance") or {}
    return str(data.get("label", "")), float(data.get("score", 0.0))


def reasons(result: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The distortion reasons, heaviest first: kind, weight, detail, sentence, ref."""
    found = list(((result or {}).get("distortion") or {}).get("reasons") or [])
    return sorted(found, key=lambda r: -float(r.get("weight", 0)))


def narrative_ids(result: dict[str, Any] | None) -> list[str]:
    return [str(n["id"]) for n in (result or {}).get("narratives") or []]
