"""Figures of the cross-language story linker on the team-written set
(nlp/data/stories/crosslingual_pairs.jsonl and crosslingual_negatives.jsonl, card in
nlp/data/stories/README.md): `python -m pipeline.process.story_links_eval`.

Stories numbered odd (and the hard negatives written against them) are the dev half,
where the cut and the evidence rule are chosen; even ones the held-out half. Every
Vietnamese text of a half is compared with every English one, as production does
(all same-day, so the window passes): a true pair is linked when its English version
is the best passing match of its Vietnamese one; every other (vi, en) combination
that passes is a false link (which of the two arrives first decides which could be
made, so all count). The claim stage is not run here: these figures are the
embedding plus the figures-and-names check alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from nlp.encoder import shared_encoder
from nlp.story_anchors import anchors, compare
from pipeline.process.story_links import MIN_EVIDENCE, THRESHOLD, LinkRule

DATA = Path(__file__).resolve().parents[2] / "nlp" / "data" / "stories"
# What every text of the set names: the watched provinces and the country.
IGNORE = ("Quảng Bình", "Quảng Trị", "Việt Nam", "Vietnam")


@dataclass(frozen=True)
class Text:
    story: str  # the story told; a hard negative tells its own ("n05")
    language: str
    text: str


def load(directory: Path = DATA) -> tuple[list[Text], list[Text]]:
    """(Vietnamese texts, English texts) of the whole set."""
    vi: list[Text] = []
    en: list[Text] = []
    pairs = directory / "crosslingual_pairs.jsonl"
    for line in pairs.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        vi.append(Text(row["id"], "vi", row["vi"]))
        en.append(Text(row["id"], "en", row["en"]))
    negatives = directory / "crosslingual_negatives.jsonl"
    for line in negatives.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        (vi if row["lang"] == "vi" else en).append(Text(row["id"], row["lang"], row["text"]))
    return vi, en


def in_dev(text: Text) -> bool:
    return int(text.story[1:]) % 2 == 1


def similarities(vi: list[Text], en: list[Text]) -> npt.NDArray[np.float32]:
    encoder = shared_encoder()
    return encoder.encode([t.text for t in vi]) @ encoder.encode([t.text for t in en]).T


def figures(
    vi: list[Text], en: list[Text], sims: npt.NDArray[np.float32], rule: LinkRule
) -> dict[str, int]:
    va = [anchors(t.text, "vi", IGNORE) for t in vi]
    ea = [anchors(t.text, "en", IGNORE) for t in en]
    passes = np.array(
        [
            [rule.links(float(sims[i, j]), compare(va[i], ea[j])) for j in range(len(en))]
            for i in range(len(vi))
        ]
    )
    pairs = {t.story: j for j, t in enumerate(en)}
    linked = 0
    for i, text in enumerate(vi):
        j = pairs.get(text.story)
        if j is None or not passes[i, j]:
            continue
        rivals = [k for k in range(len(en)) if passes[i, k] and sims[i, k] > sims[i, j]]
        linked += int(not rivals)
    false = sum(
        1
        for i in range(len(vi))
        for j in range(len(en))
        if passes[i, j] and vi[i].story != en[j].story
    )
    true_pairs = sum(1 for t in vi if t.story in pairs)
    return {
        "pairs": true_pairs,
        "linked": linked,
        "false_links": false,
        "negatives": len(vi) + len(en) - 2 * true_pairs,
    }


def main() -> None:
    vi, en = load()
    for name, dev in (("dev", True), ("held-out", False)):
        hv = [t for t in vi if in_dev(t) == dev]
        he = [t for t in en if in_dev(t) == dev]
        sims = similarities(hv, he)
        for rule in (
            LinkRule(0.82, 0, check_numbers=False),  # the reverted linker (3bac81c)
            LinkRule(THRESHOLD, 0, check_numbers=False),  # the embedding alone
            LinkRule(THRESHOLD, MIN_EVIDENCE),
        ):
            print(f"{name:8} {rule} {figures(hv, he, sims, rule)}")


if __name__ == "__main__":
    main()
