"""The verifier's training data: invented narratives and labelled (claim, sentence) pairs.

Files: nlp/data/verify/narratives-*.jsonl and pairs-*.jsonl (team-written, see
DATA_CARD.md there). Splits are by narrative, never by pair, and by a stable
hash of the narrative id, so they never change between runs:

* `heldout(id)`: about 20% of the narratives, the gate's held-out set; never
  trained on by the shipped model, never used for choices;
* the rest train the shipped model, and `lono_folds` leaves each of them out in
  turn for every choice (features, regularisation, thresholds).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

LABELS = ("asserts", "denies", "related", "unrelated")
_HELDOUT_SALT = "claims-heldout-v1"
_HELDOUT_PERCENT = 20


@dataclass(frozen=True, slots=True)
class Claim:
    id: str
    statement_vi: str
    statement_en: str
    subjects: tuple[str, ...] = ()  # the writers' own list (the `subjects:` override)
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Pair:
    narrative: str
    lang: str
    title: str
    before: str
    sentence: str
    after: str
    label: str
    kind: str


# News about the narrative's subject or topic that asserts nothing: what surrounds a repeat
# in a real article, and what crowds it out of the few sentences the matcher verifies.
FILLER_KINDS = frozenset({"unrelated", "shared-names", "same-subject-news", "same-topic"})


def folder() -> Path:
    return Path(str(resources.files("nlp") / "data" / "verify"))


def _rows(pattern: str, root: Path | None) -> Iterator[dict[str, object]]:
    for path in sorted((root or folder()).glob(pattern)):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)


def read_claims(root: Path | None = None) -> list[Claim]:
    claims: dict[str, Claim] = {}
    for row in _rows("narratives-*.jsonl", root):
        claim = Claim(
            id=str(row["id"]),
            statement_vi=str(row.get("statement_vi") or ""),
            statement_en=str(row.get("statement_en") or ""),
            subjects=tuple(str(s) for s in row.get("subjects") or ()),  # type: ignore[attr-defined]
            topics=tuple(str(t) for t in row.get("topics") or ()),  # type: ignore[attr-defined]
        )
        claims.setdefault(claim.id, claim)
    return sorted(claims.values(), key=lambda c: c.id)


def read_pairs(root: Path | None = None) -> list[Pair]:
    """Every well-formed pair of a known narrative (a line being appended is skipped)."""
    known = {c.id for c in read_claims(root)}
    pairs: list[Pair] = []
    for row in _rows("pairs-*.jsonl", root):
        if row.get("narrative") not in known or row.get("label") not in LABELS:
            continue
        pairs.append(
            Pair(
                **{
                    key: str(row.get(key) or "")
                    for key in ("narrative", "lang", "title", "before", "sentence", "after")
                },
                label=str(row["label"]),
                kind=str(row.get("kind") or ""),
            )
        )
    return pairs


def heldout(narrative_id: str) -> bool:
    """The gate's held-out narratives: a fixed ~20% by sha1 of the id."""
    digest = hashlib.sha1(f"{_HELDOUT_SALT}:{narrative_id}".encode()).hexdigest()
    return int(digest[:8], 16) % 100 < _HELDOUT_PERCENT


def lono_folds(pairs: Sequence[Pair]) -> Iterator[tuple[str, list[int], list[int]]]:
    """(narrative, train rows, test rows) leaving each narrative out in turn."""
    narratives = sorted({p.narrative for p in pairs})
    for narrative in narratives:
        test = [i for i, p in enumerate(pairs) if p.narrative == narrative]
        train = [i for i, p in enumerate(pairs) if p.narrative != narrative]
        yield narrative, train, test


@functools.cache
def _file_digest(root: str) -> str:
    hasher = hashlib.sha256()
    for path in sorted(Path(root).glob("*.jsonl")):
        hasher.update(path.name.encode())
        hasher.update(path.read_bytes())
    return hasher.hexdigest()


def data_digest(root: Path | None = None) -> str:
    """sha256 over the training files (16 hex digits); the cue lists are hashed separately."""
    return _file_digest(str(root or folder()))[:16]
