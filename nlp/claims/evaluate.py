"""Leave-one-narrative-out figures for the verifier, and the held-out check the gate runs.

    python -m nlp.claims.evaluate lono [--recipe lr-c0.05]   # choices, train narratives only
    python -m nlp.claims.evaluate heldout                    # shipped weights, held-out narratives

A pair is flagged when its subject is anchored (sentence, neighbours or title)
and P(asserts) reaches the threshold; a rebuttal when anchored and "denies" wins.
Figures are printed for the pairs as written (both statements) and for the
cross-language case (only the statement in the other language than the sentence).
The LONO n-gram IDF is fitted once on all train narratives' texts (it holds
no labels); the held-out check uses the shipped model, fitted on train narratives only.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nlp.claims.cues import Cues
from nlp.claims.data import LABELS, Claim, Pair, heldout, lono_folds, read_claims, read_pairs
from nlp.claims.features import FeatureBuilder, fit_idf
from nlp.claims.model import Array, Recipe, fit
from nlp.claims.training import Variant, pair_rows, training_texts
from nlp.claims.vectors import VectorCache

FLAG_THRESHOLD = 0.5  # a reference cut; the shipped one is build.FLAG_THRESHOLD


@dataclass(frozen=True)
class Report:
    name: str
    macro_f1: float
    flag_precision: float
    flag_recall: float
    deny_precision: float
    deny_recall: float
    pairs: int

    def line(self) -> str:
        return (
            f"{self.name:<28} n={self.pairs:<5} macro-F1 {self.macro_f1:.3f}  "
            f"flag P {self.flag_precision:.3f} R {self.flag_recall:.3f}  "
            f"denies P {self.deny_precision:.3f} R {self.deny_recall:.3f}"
        )


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def score(
    name: str,
    pairs: Sequence[Pair],
    probabilities: Array,
    anchored: Sequence[bool],
    threshold: float = FLAG_THRESHOLD,
) -> Report:
    from sklearn.metrics import f1_score

    gold = [p.label for p in pairs]
    predicted = [LABELS[i] for i in probabilities.argmax(axis=1)]
    # An unanchored pair is "related" at best, whatever the model says.
    predicted = [
        p if a or p == "unrelated" else "related" for p, a in zip(predicted, anchored, strict=True)
    ]
    macro = float(f1_score(gold, predicted, labels=list(LABELS), average="macro", zero_division=0))
    flags = [
        bool(a and row[0] >= threshold) for row, a in zip(probabilities, anchored, strict=True)
    ]
    truth = [g == "asserts" for g in gold]
    tp = sum(f and t for f, t in zip(flags, truth, strict=True))
    denied = [p == "denies" for p in predicted]
    dtruth = [g == "denies" for g in gold]
    dtp = sum(d and t for d, t in zip(denied, dtruth, strict=True))
    return Report(
        name=name,
        macro_f1=macro,
        flag_precision=_ratio(tp, sum(flags)),
        flag_recall=_ratio(tp, sum(truth)),
        deny_precision=_ratio(dtp, sum(denied)),
        deny_recall=_ratio(dtp, sum(dtruth)),
        pairs=len(pairs),
    )


def reports(
    pairs: Sequence[Pair], probs: Array, cross: Array, anchored: Sequence[bool], threshold: float
) -> list[Report]:
    found = [score("all", pairs, probs, anchored, threshold)]
    for lang in ("vi", "en"):
        rows = [i for i, p in enumerate(pairs) if p.lang == lang]
        found.append(
            score(
                f"{lang} sentences",
                [pairs[i] for i in rows],
                probs[rows],
                [anchored[i] for i in rows],
                threshold,
            )
        )
    found.append(score("cross-language", pairs, cross, anchored, threshold))
    return found


def split(
    claims: Sequence[Claim], pairs: Sequence[Pair], held: bool
) -> tuple[list[Claim], list[Pair]]:
    chosen = [c for c in claims if heldout(c.id) == held]
    ids = {c.id for c in chosen}
    return chosen, [p for p in pairs if p.narrative in ids]


def lono(
    cache: VectorCache, recipe: Recipe, subjects: str = "derived"
) -> tuple[list[Pair], Array, Array, list[bool]]:
    """Out-of-fold probabilities (as written, cross-language) for every train narrative's pairs."""
    claims, pairs = split(read_claims(), read_pairs(), held=False)
    builder = FeatureBuilder(fit_idf(training_texts(pairs, claims)), Cues())
    plain = pair_rows(pairs, claims, builder, cache, Variant(False, subjects))
    cross = pair_rows(pairs, claims, builder, cache, Variant(True, subjects))
    cache.save()
    anchored_column = builder.names.index("anchored")
    anchored = [bool(a) for a in plain[:, anchored_column]]
    out_plain = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
    out_cross = np.zeros_like(out_plain)
    labels = np.array([p.label for p in pairs])
    for _narrative, train_rows, test_rows in lono_folds(pairs):
        x = np.vstack([plain[train_rows], cross[train_rows]])
        y = [*labels[train_rows], *labels[train_rows]]
        groups = [pairs[i].narrative for i in train_rows] * 2
        idf = builder.idf.diagonal().astype(np.float32)
        model = fit(x, y, recipe, idf, groups=groups, stack_from=builder.scalar_start)
        out_plain[test_rows] = model.probabilities(plain[test_rows])
        out_cross[test_rows] = model.probabilities(cross[test_rows])
    return pairs, out_plain, out_cross, anchored


def choose_threshold(
    pairs: Sequence[Pair], probs: Array, anchored: Sequence[bool], floor: float = 0.85
) -> float:
    """The lowest P(asserts) cut whose flag precision stays >= `floor` (most recall)."""
    best = 0.9
    for cut in np.arange(0.95, 0.19, -0.025):
        report = score("", pairs, probs, anchored, float(cut))
        if report.flag_precision >= floor:
            best = float(cut)
    return round(best, 3)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="verifier figures")
    parser.add_argument("what", choices=("lono", "heldout"))
    parser.add_argument("--cache", type=Path, default=Path("data") / "models")
    parser.add_argument("--kind", default="logistic")
    parser.add_argument("--c", type=float, default=Recipe.c)
    parser.add_argument("--hidden", type=int, default=Recipe.hidden)
    parser.add_argument("--alpha", type=float, default=Recipe.alpha)
    parser.add_argument("--subjects", default="derived")
    args = parser.parse_args(argv)
    cache = VectorCache(args.cache)
    start = time.perf_counter()
    if args.what == "lono":
        recipe = Recipe(kind=args.kind, c=args.c, hidden=args.hidden, alpha=args.alpha)
        pairs, probs, cross, anchored = lono(cache, recipe, args.subjects)
        threshold = choose_threshold(pairs, probs, anchored)
        print(
            f"LONO over {len({p.narrative for p in pairs})} train narratives, {recipe.name}, "
            f"subjects {args.subjects}, threshold {threshold}"
        )
        for report in reports(pairs, probs, cross, anchored, threshold):
            print("  " + report.line())
        for report in reports(pairs, probs, cross, anchored, FLAG_THRESHOLD):
            print("  @0.5 " + report.line())
    else:
        from nlp.claims.build import heldout_reports

        for report in heldout_reports(cache):
            print("  " + report.line())
    print(f"({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
