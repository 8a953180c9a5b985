"""The verifier's weights: fit with scikit-learn, stored and run as plain numpy arrays.

A standardiser and a multinomial logistic regression (or a one-hidden-layer
MLP) over `features.FeatureBuilder` rows; the "stacked" recipe then feeds that
model's probabilities and the rows' scalar features (everything but the two
384-wide vector blocks) to boosted trees (`trees.py`), which read the
interactions a linear head cannot ("shares the claim's words" *and* "no
denial cue"). The linear probabilities the trees learn from are out-of-fold by
narrative, as they will be for a narrative an office adds. The .npz holds only arrays (no
pickle): scaling, layers, the IDF of the hashed n-grams, the label order and
the data hash it was built from, which `build.current` compares to detect a
stale file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from nlp.claims.data import LABELS
from nlp.claims.trees import TreeEnsemble, fit_trees

Array = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Recipe:
    """How to fit: the choices made by leave-one-narrative-out on the train narratives."""

    kind: str = "logistic"  # or "mlp", or "stacked" (logistic, then trees)
    c: float = 0.003  # logistic: inverse regularisation
    tree_weight: float = 0.3  # stacked: the trees' share of the log-probabilities
    hidden: int = 64  # mlp: hidden units
    alpha: float = 1e-2  # mlp: L2
    seed: int = 0

    @property
    def name(self) -> str:
        if self.kind == "mlp":
            return f"mlp{self.hidden}-a{self.alpha:g}"
        if self.kind == "stacked":
            return f"lr-c{self.c:g}+trees{STACK_FOLDS}-w{self.tree_weight:g}"
        return f"lr-c{self.c:g}"


STACK_FOLDS = 4  # narrative groups for the out-of-fold linear probabilities


@dataclass
class Verifier:
    mean: Array
    scale: Array
    layers: list[tuple[Array, Array]]  # (weights, bias); ReLU between, softmax last
    idf: Array
    labels: tuple[str, ...] = LABELS
    data_hash: str = ""
    recipe: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    trees: TreeEnsemble | None = None  # the stacked recipe's second stage
    stack_from: int = 0  # first row column the trees read (the scalar features)
    tree_weight: float = 1.0  # the trees' share of the log-probabilities

    def probabilities(self, rows: Array) -> Array:
        """(n, labels) probabilities."""
        if len(rows) == 0:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        linear = self.linear_probabilities(rows)
        if self.trees is None:
            return linear
        trees = _softmax(self.trees.raw(np.hstack([rows[:, self.stack_from :], linear])))
        # A product of the two experts: a sentence is sure only when both agree (the trees
        # alone found more repeats but flagged 16 real-press articles; see build.RECIPE).
        w = self.tree_weight
        mix = w * np.log(np.maximum(trees, 1e-6)) + (1 - w) * np.log(np.maximum(linear, 1e-6))
        return _softmax(mix.astype(np.float32))

    def linear_probabilities(self, rows: Array) -> Array:
        hidden = (rows - self.mean) / self.scale
        for index, (weights, bias) in enumerate(self.layers):
            hidden = hidden @ weights + bias
            if index < len(self.layers) - 1:
                hidden = np.maximum(hidden, 0.0)
        return _softmax(hidden)

    def save(self, path: Path) -> None:
        arrays: dict[str, npt.NDArray[np.generic]] = {
            "mean": self.mean.astype(np.float32),
            "scale": self.scale.astype(np.float32),
            "idf": self.idf.astype(np.float16),
            "labels": np.array(self.labels),
            "data_hash": np.array(self.data_hash),
            "recipe": np.array(self.recipe),
            "meta_keys": np.array(sorted(self.meta)),
            "meta_values": np.array([self.meta[k] for k in sorted(self.meta)]),
        }
        for index, (weights, bias) in enumerate(self.layers):
            arrays[f"w{index}"] = weights.astype(np.float16)
            arrays[f"b{index}"] = bias.astype(np.float32)
        if self.trees is not None:
            arrays |= self.trees.arrays("trees_")
            arrays["stack_from"] = np.array(self.stack_from)
            arrays["tree_weight"] = np.array(self.tree_weight)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial.npz")
        np.savez_compressed(partial, **arrays)  # type: ignore[arg-type]
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> Verifier:
        with np.load(path, allow_pickle=False) as data:
            layers = []
            index = 0
            while f"w{index}" in data:
                layers.append(
                    (data[f"w{index}"].astype(np.float32), data[f"b{index}"].astype(np.float32))
                )
                index += 1
            return cls(
                mean=data["mean"],
                scale=data["scale"],
                layers=layers,
                idf=data["idf"].astype(np.float32),
                labels=tuple(str(x) for x in data["labels"]),
                data_hash=str(data["data_hash"]),
                recipe=str(data["recipe"]),
                meta={
                    str(k): str(v)
                    for k, v in zip(data["meta_keys"], data["meta_values"], strict=True)
                },
                trees=TreeEnsemble.from_arrays(data, "trees_"),
                stack_from=int(data["stack_from"]) if "stack_from" in data else 0,
                tree_weight=float(data["tree_weight"]) if "tree_weight" in data else 1.0,
            )


def fit(
    rows: Array,
    labels: Sequence[str],
    recipe: Recipe,
    idf: Array,
    *,
    weights: Sequence[float] | None = None,
    groups: Sequence[str] | None = None,
    stack_from: int = 0,
) -> Verifier:
    """Fit on `rows` (features) and `labels` (names from LABELS). The stacked recipe
    needs each row's narrative (`groups`) and the first scalar column (`stack_from`)."""
    if recipe.kind == "stacked":
        if groups is None:
            raise ValueError("the stacked recipe needs each row's narrative (groups)")
        return _fit_stacked(rows, labels, recipe, idf, groups, stack_from)
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale < 1e-6] = 1.0
    x = (rows - mean) / scale
    y = np.array([LABELS.index(label) for label in labels])
    layers: list[tuple[Array, Array]]
    if recipe.kind == "mlp":
        mlp = MLPClassifier(
            hidden_layer_sizes=(recipe.hidden,),
            alpha=recipe.alpha,
            max_iter=300,
            early_stopping=False,
            random_state=recipe.seed,
        )
        mlp.fit(x, y)
        layers = _full_classes(
            [
                (w.astype(np.float32), b.astype(np.float32))
                for w, b in zip(mlp.coefs_, mlp.intercepts_, strict=True)
            ],
            mlp.classes_,
        )
    else:
        model = LogisticRegression(C=recipe.c, max_iter=2000)
        model.fit(x, y, sample_weight=None if weights is None else np.asarray(weights))
        layers = _full_classes(
            [(model.coef_.T.astype(np.float32), model.intercept_.astype(np.float32))],
            model.classes_,
        )
    return Verifier(
        mean=mean.astype(np.float32),
        scale=scale.astype(np.float32),
        layers=layers,
        idf=idf,
        recipe=recipe.name,
    )


def _fit_stacked(
    rows: Array,
    labels: Sequence[str],
    recipe: Recipe,
    idf: Array,
    groups: Sequence[str],
    stack_from: int,
) -> Verifier:
    from sklearn.model_selection import GroupKFold

    linear_recipe = Recipe(kind="logistic", c=recipe.c)
    verifier = fit(rows, labels, linear_recipe, idf)
    # What the trees learn from must look like what they will see: the linear head's
    # probabilities for narratives it was not fitted on.
    out_of_fold = np.zeros((len(rows), len(LABELS)), dtype=np.float32)
    label_list = list(labels)
    for train, test in GroupKFold(STACK_FOLDS).split(rows, groups=list(groups)):
        inner = fit(rows[train], [label_list[i] for i in train], linear_recipe, idf)
        out_of_fold[test] = inner.probabilities(rows[test])
    targets = np.array([LABELS.index(label) for label in labels])
    stacked = np.hstack([rows[:, stack_from:], out_of_fold])
    verifier.trees = fit_trees(stacked, targets, len(LABELS))
    verifier.stack_from = stack_from
    verifier.tree_weight = recipe.tree_weight
    verifier.recipe = recipe.name
    return verifier


def _softmax(scores: Array) -> Array:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    result: Array = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
    return result


def _full_classes(
    layers: list[tuple[Array, Array]], classes: npt.NDArray[np.int64]
) -> list[tuple[Array, Array]]:
    """Output columns in LABELS order even when a fold lacks a label (it gets -inf-ish bias)."""
    weights, bias = layers[-1]
    full_w = np.zeros((weights.shape[0], len(LABELS)), dtype=np.float32)
    full_b = np.full(len(LABELS), -30.0, dtype=np.float32)
    for column, label in enumerate(classes.tolist()):
        full_w[:, label] = weights[:, column]
        full_b[label] = bias[column]
    return [*layers[:-1], (full_w, full_b)]
