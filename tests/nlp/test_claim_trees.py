"""The stacked verifier's trees, flattened to arrays, predict what scikit-learn predicts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlp.claims.data import LABELS
from nlp.claims.model import Recipe, Verifier, fit
from nlp.claims.trees import fit_trees


def _data(classes: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(400, 6)).astype(np.float32)
    # An interaction no single feature tells: the class is where two features agree.
    targets = ((rows[:, 0] > 0).astype(int) + (rows[:, 1] * rows[:, 2] > 0)) % classes
    return rows, targets.astype(np.int64)


@pytest.mark.parametrize("classes", [2, 4])
def test_flattened_trees_match_scikit_learn(classes: int) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    from nlp.claims.trees import BOOSTING

    rows, targets = _data(classes)
    trees = fit_trees(rows, targets, classes)
    reference = HistGradientBoostingClassifier(random_state=0, early_stopping=False, **BOOSTING)
    expected = reference.fit(rows, targets).predict_proba(rows)
    raw = trees.raw(rows).astype(np.float64)
    exp = np.exp(raw - raw.max(axis=1, keepdims=True))
    got = exp / exp.sum(axis=1, keepdims=True)
    present = sorted(set(targets.tolist()))
    assert np.allclose(got[:, present], expected, atol=1e-4)
    assert (got.argmax(axis=1) == targets).mean() > 0.9


def test_stacked_verifier_survives_save_and_load(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    rows = rng.normal(size=(240, 10)).astype(np.float32)
    labels = [LABELS[int(i)] for i in (rows[:, 8] > 0) * 2 + (rows[:, 9] > 0)]
    groups = [f"n{i % 8}" for i in range(len(rows))]
    idf = np.ones(4, dtype=np.float32)
    verifier = fit(rows, labels, Recipe(kind="stacked", c=0.5), idf, groups=groups, stack_from=8)
    assert verifier.trees is not None
    verifier.save(tmp_path / "v.npz")
    loaded = Verifier.load(tmp_path / "v.npz")
    assert loaded.trees is not None and loaded.stack_from == 8
    assert np.allclose(loaded.probabilities(rows), verifier.probabilities(rows), atol=1e-3)
    # The trees read the scalar columns: the labels are learnt from them.
    predicted = [LABELS[i] for i in loaded.probabilities(rows).argmax(axis=1)]
    assert sum(p == g for p, g in zip(predicted, labels, strict=True)) / len(labels) > 0.9


def test_stacked_recipe_needs_narratives() -> None:
    rows = np.zeros((8, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="groups"):
        fit(rows, ["asserts"] * 8, Recipe(kind="stacked"), np.ones(2, dtype=np.float32))


def test_a_cut_off_verifier_file_is_not_used(tmp_path: Path) -> None:
    from nlp.claims import build

    broken = tmp_path / "claims-verifier.npz"
    broken.write_bytes(build.shipped_path().read_bytes()[:5000])
    assert build._load(broken) is None
