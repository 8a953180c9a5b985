"""The stance/tone seed set (nlp/data/stance/seed.jsonl, see SEED_CARD.md) and its split.

Every sentence falls in `train`, `dev` or `heldout` by a hash of its folded
text, so the split never changes between runs or machines and a sentence
re-added with other diacritics or case lands where it was. Models train on
`train`; `dev` is for choices; `heldout` is read only by gates/stance.py.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from nlp.normalize import fold, normalize_text

Split = Literal["train", "dev", "heldout"]
TASKS = ("stance", "tone")
LABELS = {
    "stance": ("supportive", "neutral", "critical"),
    "tone": ("positive", "neutral", "negative"),
}
# Percent of the hash space per split: 70 / 15 / 15.
_TRAIN, _DEV = 70, 85


@dataclass(frozen=True, slots=True)
class SeedItem:
    text: str
    lang: str
    stance: str
    tone: str
    theme: str
    hard: str
    part: str

    @property
    def split(self) -> Split:
        return split_of(self.text)

    def label(self, task: str) -> str:
        return self.stance if task == "stance" else self.tone


def seed_path() -> Path:
    return Path(str(resources.files("nlp") / "data" / "stance" / "seed.jsonl"))


def split_of(text: str) -> Split:
    """train / dev / heldout by sha1 of the folded, normalised text (70/15/15)."""
    key = fold(normalize_text(text)).lower().strip()
    bucket = int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % 100
    if bucket < _TRAIN:
        return "train"
    return "dev" if bucket < _DEV else "heldout"


def load_seed(path: Path | None = None) -> list[SeedItem]:
    path = path or seed_path()
    items: list[SeedItem] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                item = SeedItem(
                    text=str(row["text"]),
                    lang=str(row["lang"]),
                    stance=str(row["stance"]),
                    tone=str(row["tone"]),
                    theme=str(row.get("theme", "")),
                    hard=str(row.get("hard", "")),
                    part=str(row.get("part", "")),
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: bad seed line: {exc}") from None
            if item.stance not in LABELS["stance"] or item.tone not in LABELS["tone"]:
                raise ValueError(f"{path}:{number}: unknown label {item.stance}/{item.tone}")
            items.append(item)
    return items


def split(items: list[SeedItem], name: Split) -> list[SeedItem]:
    return [item for item in items if item.split == name]
