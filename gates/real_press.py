"""Quality gate: real press with no distortion in it raises (almost) no flags.

Every VNTC article (real 2000s domestic newspapers, train and test splits)
that the shipped config's gazetteer finds naming a watched place, plus 300
others drawn by a fixed seed, goes through the analyzer `presswatch analyze`
uses, with the shipped config.yaml. None of these repeats a watched
narrative, so every flag is a false alarm an analyst would have to clear.
Exits 1 above the pinned ceiling.

    python gates/real_press.py
"""

from __future__ import annotations

import gzip
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.analysis import Document  # noqa: E402
from core.loading import load_settings  # noqa: E402
from nlp.places import Gazetteer, relevant  # noqa: E402
from nlp.registry import build_analyzer  # noqa: E402

MAX_FLAGS = 2  # the ceiling for this set
OTHERS = 300
SEED = 20261202


def datasets() -> Path:
    return Path(os.environ.get("PRESSWATCH_DATASETS", ROOT.parent / "shared" / "datasets"))


def articles(folder: Path) -> Iterator[tuple[str, str, str]]:
    """(id, title, body) of every VNTC article; the first line is the headline."""
    for name in ("train_full.jsonl.gz", "test_full.jsonl.gz"):
        with gzip.open(folder / name, "rt", encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                title, _, body = str(row["text"]).strip().partition("\n")
                yield str(row["id"]), title.strip(), body.strip()


def main() -> int:
    start = time.perf_counter()
    settings = load_settings(ROOT / "config.yaml")
    gazetteer = Gazetteer(settings.watch.all_places())
    named: list[Document] = []
    others: list[Document] = []
    for doc_id, title, body in articles(datasets() / "vntc"):
        doc = Document(id=doc_id, title=title, text=body, language="vi", origin="domestic")
        (named if relevant(gazetteer.find(f"{title}\n\n{body}")) else others).append(doc)
    chosen = named + random.Random(SEED).sample(others, OTHERS)
    analyzer = build_analyzer(settings.analysis())
    flags: list[str] = []
    rebuttals = 0
    for offset in range(0, len(chosen), 32):
        for result in analyzer.analyze(chosen[offset : offset + 32]):
            rebuttals += len(getattr(result, "rebuttals", ()))
            if result.distortion.flagged:
                reasons = "; ".join(
                    f"{r.kind}:{r.ref} «{r.sentence}»" for r in result.distortion.reasons
                )
                flags.append(f"{result.id}: score {result.distortion.score:.2f}: {reasons}")
    for line in flags:
        print("  flagged", line)
    print(
        f"real-press gate: {len(flags)} flagged of {len(chosen)} articles "
        f"({len(named)} naming a watched place, {OTHERS} others), {rebuttals} rebuttals, "
        f"ceiling {MAX_FLAGS}, in {time.perf_counter() - start:.0f} s"
    )
    if len(flags) > MAX_FLAGS:
        print("FAIL: more false flags on real press than the ceiling", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
