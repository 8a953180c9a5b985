"""Quality gate: article-body F1 of `presswatch extract` on the Zyte article
extraction benchmark (all 181 pages), scored with that benchmark's metric.

The scorer is re-implemented from the benchmark's description (SOURCE.md) and
checked first against the stored reference outputs: it must reproduce
trafilatura 2.0.0's published F1 of 0.958 or the gate fails.

Run: python gates/extraction.py     (exit 1 below the floor)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

FLOOR = 0.95
PUBLISHED_TRAFILATURA = 0.958
ROOT = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("PRESSWATCH_DATASETS", ROOT.parent / "shared" / "datasets"))
BENCH = DATASETS / "article_extraction_benchmark"
_WORD = re.compile(r"\w+")


def _shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _WORD.findall(text or "")
    return Counter(tuple(tokens[i : i + size]) for i in range(max(len(tokens) - size + 1, 0)))


def score(truth: dict[str, str], predicted: dict[str, str]) -> dict[str, float]:
    """Mean per-document precision and recall over 4-token shingle multisets."""
    precisions, recalls, exact = [], [], 0
    for key, true_text in truth.items():
        pred_text = predicted.get(key, "") or ""
        t, p = _shingles(true_text), _shingles(pred_text)
        tp, fp, fn = sum((t & p).values()), sum((p - t).values()), sum((t - p).values())
        total = tp + fp + fn
        if total:
            tp, fp, fn = tp / total, fp / total, fn / total
        precisions.append(1.0 if fp == 0 else tp / (tp + fp))
        recalls.append(1.0 if fn == 0 else tp / (tp + fn))
        exact += _WORD.findall(true_text) == _WORD.findall(pred_text)
    precision = sum(precisions) / len(precisions)
    recall = sum(recalls) / len(recalls)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": f1, "precision": precision, "recall": recall, "accuracy": exact / len(truth)}


def _reference(name: str) -> dict[str, str]:
    data = json.loads((BENCH / "reference_outputs" / name).read_text(encoding="utf-8"))
    outputs = data["output"] if "output" in data and "version" in data else data
    return {key: (value or {}).get("articleBody") or "" for key, value in outputs.items()}


def _presswatch_outputs(keys: list[str]) -> dict[str, str]:
    paths = [str(BENCH / "html" / f"{key}.html.gz") for key in keys]
    command = [
        sys.executable,
        "-c",
        "from pipeline.cli import main; main()",
        "--config",
        str(ROOT / "config.yaml"),
        "extract",
        *paths,
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if result.returncode not in (0, 1):
        sys.exit(f"presswatch extract failed ({result.returncode}):\n{result.stderr[-2000:]}")
    by_path = {}
    for line in result.stdout.splitlines():
        row = json.loads(line)
        by_path[row["input"]] = row.get("text") or ""
    return {key: by_path.get(path, "") for key, path in zip(keys, paths, strict=True)}


def main() -> int:
    if not BENCH.is_dir():
        print(f"extraction gate: benchmark not found at {BENCH} (set PRESSWATCH_DATASETS)")
        return 1
    truth_data = json.loads((BENCH / "ground-truth.json").read_text(encoding="utf-8"))
    truth = {key: value["articleBody"] for key, value in truth_data.items()}
    reference = score(truth, _reference("trafilatura.json"))["f1"]
    print(
        f"scorer check: trafilatura 2.0.0 reference outputs F1 {reference:.3f} "
        f"(published {PUBLISHED_TRAFILATURA})"
    )
    if round(reference, 3) != PUBLISHED_TRAFILATURA:
        print("FAIL: the scorer does not reproduce the published figure")
        return 1
    started = time.perf_counter()
    metrics = score(truth, _presswatch_outputs(sorted(truth)))
    elapsed = time.perf_counter() - started
    print(
        f"presswatch extract on {len(truth)} pages: F1 {metrics['f1']:.3f} "
        f"P {metrics['precision']:.3f} R {metrics['recall']:.3f} "
        f"exact {metrics['accuracy']:.3f} ({elapsed:.0f} s); floor {FLOOR}"
    )
    if metrics["f1"] < FLOOR:
        print(f"FAIL: F1 {metrics['f1']:.3f} below the floor {FLOOR}")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
