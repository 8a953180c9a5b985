"""Feature rows for the team-written pairs, and fitting the verifier on them.

Every pair is also seen once more with the claim's statement in the sentence's
own language removed: an office often writes a narrative in Vietnamese only,
and the sentence repeating it is English (the cross-language case). The IDF of
the character n-grams is fitted on the training texts only.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from nlp.claims.anchor import Subjects, derive_subjects
from nlp.claims.cues import Cues
from nlp.claims.data import FILLER_KINDS, Claim, Pair
from nlp.claims.features import Context, FeatureBuilder, PreparedClaim, fit_idf
from nlp.claims.model import Array, Recipe, Verifier, fit
from nlp.claims.vectors import VectorCache
from nlp.normalize import has_vietnamese_marks


@dataclass(frozen=True)
class Variant:
    """Which statements the claim keeps: both, or only the other language than the sentence's."""

    cross: bool = False
    subjects: str = "derived"  # or "given": the writers' own subjects (the config override)


def claim_subjects(claim: Claim, mode: str) -> Subjects:
    if mode == "given" and claim.subjects:
        return derive_subjects((), override=claim.subjects)
    return derive_subjects((claim.statement_vi, claim.statement_en))


def prepared_claims(
    claims: Sequence[Claim], builder: FeatureBuilder, cache: VectorCache, variant: Variant
) -> dict[tuple[str, str], PreparedClaim]:
    """(claim id, which statements: "both" | "vi" | "en") -> prepared claim."""
    statements = [s for c in claims for s in (c.statement_vi, c.statement_en) if s]
    vectors = dict(zip(statements, cache.encode(statements), strict=True))
    found: dict[tuple[str, str], PreparedClaim] = {}
    for claim in claims:
        subjects = claim_subjects(claim, variant.subjects)
        for keep in ("both", "vi", "en"):
            vi = claim.statement_vi if keep in ("both", "vi") else ""
            en = claim.statement_en if keep in ("both", "en") else ""
            if not (vi or en):
                continue
            own = {"vi": vectors[vi]} if vi else {}
            own |= {"en": vectors[en]} if en else {}
            found[(claim.id, keep)] = builder.prepare(claim.id, vi, en, subjects, own)
    return found


def pair_rows(
    pairs: Sequence[Pair],
    claims: Sequence[Claim],
    builder: FeatureBuilder,
    cache: VectorCache,
    variant: Variant = Variant(),
) -> Array:
    """Feature rows of `pairs`; `variant.cross` keeps only the statement in the other language."""
    prepared = prepared_claims(claims, builder, cache, variant)
    sentence_vectors = cache.encode([p.sentence for p in pairs])
    rows = np.zeros((len(pairs), len(builder.names)), dtype=np.float32)
    by_claim: dict[tuple[str, str], list[int]] = {}
    for index, pair in enumerate(pairs):
        keep = "both"
        if variant.cross:
            keep = "en" if has_vietnamese_marks(pair.sentence) else "vi"
            if (pair.narrative, keep) not in prepared:
                keep = "both"
        by_claim.setdefault((pair.narrative, keep), []).append(index)
    for key, indices in by_claim.items():
        contexts = [
            Context(pairs[i].sentence, pairs[i].before, pairs[i].after, pairs[i].title)
            for i in indices
        ]
        rows[indices] = builder.rows(prepared[key], contexts, sentence_vectors[indices])
    return rows


def training_texts(pairs: Sequence[Pair], claims: Sequence[Claim]) -> list[str]:
    """What the n-gram IDF is fitted on: the training narratives' statements and pair texts."""
    texts = [s for c in claims for s in (c.statement_vi, c.statement_en) if s]
    texts += [t for p in pairs for t in (p.title, p.before, p.sentence, p.after) if t]
    return list(dict.fromkeys(texts))


def in_other_contexts(pairs: Sequence[Pair], seed: int = 11) -> list[Pair]:
    """Each filler sentence (news on the claim's subject or topic asserting nothing) once
    more, under another pair's headline and beside its sentences: in a long article the
    sentences around a repeat share its headline and neighbours, yet repeat nothing. The
    context features alone must not make an assertion (boosted trees read them so:
    long held-out articles fell to precision 0.71, filler sentences flagged)."""
    rng = random.Random(seed)
    hosts: dict[str, list[Pair]] = {}
    for pair in pairs:
        hosts.setdefault(pair.narrative, []).append(pair)
    found = []
    for pair in pairs:
        if pair.label not in ("related", "unrelated") or pair.kind not in FILLER_KINDS:
            continue
        others = [h for h in hosts[pair.narrative] if h.sentence != pair.sentence]
        if not others:
            continue
        host = rng.choice(others)
        beside = rng.choice([t for t in (host.before, host.sentence, host.after) if t])
        found.append(replace(pair, title=host.title, before=beside, kind="in-context"))
    return found


def train(
    pairs: Sequence[Pair],
    claims: Sequence[Claim],
    cache: VectorCache,
    recipe: Recipe,
    *,
    subjects: str = "derived",
) -> tuple[Verifier, FeatureBuilder]:
    """Fit on `pairs` (plus their cross-language copies and, for the stacked recipe, their
    filler sentences in other pairs' contexts)."""
    idf = fit_idf(training_texts(pairs, claims))
    if recipe.kind == "stacked":
        pairs = [*pairs, *in_other_contexts(pairs)]
    builder = FeatureBuilder(idf, Cues())
    rows = np.vstack(
        [
            pair_rows(pairs, claims, builder, cache, Variant(cross=False, subjects=subjects)),
            pair_rows(pairs, claims, builder, cache, Variant(cross=True, subjects=subjects)),
        ]
    )
    labels = [p.label for p in pairs] * 2
    groups = [p.narrative for p in pairs] * 2
    verifier = fit(rows, labels, recipe, idf, groups=groups, stack_from=builder.scalar_start)
    return verifier, builder
