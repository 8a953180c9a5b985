"""Quality gate: the topic classifier on a deterministic stratified VNTC subset.

Trains on the first 250 training articles of each class and scores the first 120
test articles of each class (by sha1 of the text, see nlp.topic_model), so the run
fits in the CI budget (~2 minutes on two cores). Exits 1 below the pinned floors.
The full-split figure comes from `benchmarks/bench_analysis.py --topics-full`.

    python gates/topics.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.topic_model import evaluate, read_labelled, stratified_subset  # noqa: E402

TRAIN_PER_CLASS = 250
TEST_PER_CLASS = 120
# Measured 0.8967 accuracy, 0.8953 macro-F1 on this subset; the floor leaves a margin for drift.
FLOOR_ACCURACY = 0.885
FLOOR_MACRO_F1 = 0.885


def datasets() -> Path:
    return Path(os.environ.get("PRESSWATCH_DATASETS", ROOT.parent / "shared" / "datasets"))


def main() -> int:
    folder = datasets() / "vntc"
    start = time.perf_counter()
    train_texts, train_labels = stratified_subset(
        *read_labelled(folder / "train_full.jsonl.gz"), TRAIN_PER_CLASS
    )
    test_texts, test_labels = stratified_subset(
        *read_labelled(folder / "test_full.jsonl.gz"), TEST_PER_CLASS
    )
    report = evaluate(train_texts, train_labels, test_texts, test_labels, jobs=2)
    for line in report.details():
        print(line)
    print(
        f"topics gate: accuracy {report.accuracy:.4f} (floor {FLOOR_ACCURACY}) "
        f"macro_f1 {report.macro_f1:.4f} (floor {FLOOR_MACRO_F1}) "
        f"in {time.perf_counter() - start:.0f} s"
    )
    if report.accuracy < FLOOR_ACCURACY or report.macro_f1 < FLOOR_MACRO_F1:
        print("FAIL: below the pinned floor", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
