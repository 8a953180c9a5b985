"""Figures of the near-duplicate step on the team-written short articles
(nlp/data/stories/near_duplicates.jsonl, card in nlp/data/stories/README.md):
`python -m crawlers.dedup_eval`.

Each half is clustered as the crawl does (`pipeline.crawl.store`): articles arrive
one by one (originals, then the other stories, then the copies), each joins the
story of its best match in the index or opens a new one. A copy in its original's
story is linked; any story holding two different team stories is a false merge
(counted once per wrongly joined article). Stories numbered odd are the dev half
(tuned on), even ones the held-out half (reported).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawlers import dedup

DATA = Path(__file__).resolve().parents[1] / "nlp" / "data" / "stories" / "near_duplicates.jsonl"


@dataclass(frozen=True)
class Item:
    id: str
    story: str  # the team story it tells (a copy tells its original's)
    kind: str  # original, copy, other
    title: str
    text: str


def _build_copy(original: dict[str, Any], row: dict[str, Any]) -> str:
    sentences = list(original["sentences"])
    for index, sentence in row.get("edits", {}).items():
        sentences[int(index)] = sentence
    for index in sorted(row.get("drop", []), reverse=True):
        del sentences[index]
    if row.get("prefix"):
        sentences[0] = f"{row['prefix']} {sentences[0][0].lower()}{sentences[0][1:]}"
    if row.get("suffix"):
        sentences.append(row["suffix"])
    return " ".join(sentences)


def load(path: Path = DATA) -> list[Item]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    by_id = {r["id"]: r for r in rows}
    items = []
    for row in rows:
        if row["kind"] == "copy":
            text = _build_copy(by_id[row["of"]], row)
            items.append(Item(row["id"], row["of"], "copy", row["title"], text))
        else:
            text = " ".join(row["sentences"])
            items.append(Item(row["id"], row["id"], row["kind"], row["title"], text))
    return items


def half(items: list[Item], *, dev: bool) -> list[Item]:
    """Dev: stories numbered odd (v01, e03, ...); held-out: even."""
    return [i for i in items if (int(i.story[1:3]) % 2 == 1) == dev]


def figures(
    items: list[Item],
    signature: Callable[[str, str], Any] = dedup.article_minhash,
    make_index: Callable[[], dedup.NearDuplicateIndex] = dedup.NearDuplicateIndex,
) -> dict[str, int]:
    order = {"original": 0, "other": 1, "copy": 2}
    index = make_index()
    cluster: dict[str, int] = {}
    for number, item in enumerate(sorted(items, key=lambda i: order[i.kind])):
        match = index.match(signature(item.title, item.text))
        cluster[item.id] = cluster[str(match[0])] if match else number
        index.add(item.id, signature(item.title, item.text))
    by_id = {i.id: i for i in items}
    copies = [i for i in items if i.kind == "copy"]
    linked = sum(1 for c in copies if cluster[c.id] == cluster[c.story])
    false = 0
    for item in items:
        first = next(i for i in items if cluster[i.id] == cluster[item.id])
        false += int(by_id[first.id].story != item.story)
    return {"copies": len(copies), "linked": linked, "false_merges": false}


def main() -> None:
    items = load()
    for name, dev in (("dev", True), ("held-out", False)):
        print(f"{name:8} {figures(half(items, dev=dev))}")


if __name__ == "__main__":
    main()
