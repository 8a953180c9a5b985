"""Narratives as the analyzer meets them: each pair is a short article through the matcher.

    python -m nlp.claims.evaluate_articles kfold     # train narratives, 5 groups by id
    python -m nlp.claims.evaluate_articles heldout   # shipped weights, held-out narratives
    ... heldout --long                               # each pair inside a longer article

The pair-level figures (nlp.claims.evaluate) score the verifier alone. An office
sees more: retrieval picks at most `MAX_VERIFY` sentences, the anchor, the closest-claim
and shared-words rules, and a debunk's denial outranking the rumour it quotes.
Here every pair becomes an article (title, the sentence before, the sentence,
the sentence after) and `NarrativeMatcher.match` decides with the narratives of
its group configured side by side, as an office configures several at once. An
"asserts" pair is found when its narrative is flagged; any other flag (another
narrative, or a denial/related pair flagged) is a false alarm.

`kfold` trains one verifier per group on the other groups' pairs (no group's
narratives seen in training: the office's new narrative); `heldout` uses the
shipped weights (trained on train narratives only) on the held-out narratives.
The shipped config's gazetteer is passed as the analyzer passes it.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nlp.claims import build
from nlp.claims.data import FILLER_KINDS, Claim, Pair, heldout, read_claims, read_pairs
from nlp.claims.matcher import NarrativeMatcher
from nlp.claims.model import Verifier
from nlp.claims.training import train
from nlp.claims.vectors import VectorCache
from nlp.text import split_sentences

if TYPE_CHECKING:
    from core.config import Narrative, Place

GROUPS = 5


@dataclass
class ArticleReport:
    name: str
    found: int = 0
    missed: int = 0
    false_alarms: int = 0
    rebuttals_right: int = 0
    denials: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind -> [found, of]
    alarms_by_kind: Counter[str] = field(default_factory=Counter)

    @property
    def precision(self) -> float:
        return self.found / max(1, self.found + self.false_alarms)

    @property
    def recall(self) -> float:
        return self.found / max(1, self.found + self.missed)

    def lines(self) -> list[str]:
        kinds = " ".join(f"{k} {f / max(1, n):.2f}" for k, (f, n) in sorted(self.by_kind.items()))
        alarms = " ".join(f"{k} {n}" for k, n in self.alarms_by_kind.most_common())
        return [
            f"{self.name:<22} flag P {self.precision:.3f} R {self.recall:.3f} "
            f"({self.found} found, {self.missed} missed, {self.false_alarms} false alarms); "
            f"denials listed as rebuttals {self.rebuttals_right}/{self.denials}",
            f"  recall by kind: {kinds}",
            f"  false alarms by kind: {alarms or 'none'}",
        ]


def as_narrative(claim: Claim) -> Narrative:
    """A claim configured as an office would: both statements, each its own example."""
    from core.config import Narrative

    return Narrative(
        id=claim.id,
        statement_vi=claim.statement_vi,
        statement_en=claim.statement_en,
        examples_vi=[claim.statement_vi] if claim.statement_vi else [],
        examples_en=[claim.statement_en] if claim.statement_en else [],
    )


def long_bodies(pairs: Sequence[Pair], seed: int = 7) -> list[str]:
    """Each pair's before/sentence/after with three filler sentences of its own narrative
    (other pairs of FILLER_KINDS) ahead and up to three after: a longer article."""
    rng = random.Random(seed)
    filler: dict[str, list[str]] = {}
    for pair in pairs:
        if pair.label in ("related", "unrelated") and pair.kind in FILLER_KINDS:
            filler.setdefault(pair.narrative, []).append(pair.sentence)
    bodies = []
    for pair in pairs:
        pool = [t for t in filler.get(pair.narrative, []) if t != pair.sentence]
        chosen = rng.sample(pool, min(6, len(pool)))
        own = [t for t in (pair.before, pair.sentence, pair.after) if t]
        bodies.append(" ".join([*chosen[:3], *own, *chosen[3:]]))
    return bodies


def score(
    name: str, matcher: NarrativeMatcher, pairs: Sequence[Pair], *, long: bool = False
) -> ArticleReport:
    report = ArticleReport(name)
    bodies = long_bodies(pairs) if long else [None] * len(pairs)
    for pair, long_body in zip(pairs, bodies, strict=True):
        body = long_body or " ".join(t for t in (pair.before, pair.sentence, pair.after) if t)
        title = pair.title.strip()
        text = f"{title}\n\n{body}" if title else body
        found = matcher.match(split_sentences(text), len(title))
        flagged = {c.narrative for c in found if not c.denied}
        rebutted = {c.narrative for c in found if c.denied}
        if pair.label == "asserts":
            kind = report.by_kind.setdefault(pair.kind, [0, 0])
            kind[1] += 1
            if pair.narrative in flagged:
                kind[0] += 1
                report.found += 1
            else:
                report.missed += 1
        elif pair.narrative in flagged:
            report.false_alarms += 1
            report.alarms_by_kind[pair.kind] += 1
        others = len(flagged - {pair.narrative})
        report.false_alarms += others
        if others:
            report.alarms_by_kind["another narrative"] += others
        if pair.label == "denies":
            report.denials += 1
            report.rebuttals_right += pair.narrative in rebutted
    return report


def _group(claim_id: str) -> int:
    return int(hashlib.sha256(claim_id.encode()).hexdigest(), 16) % GROUPS


def kfold(
    cache: VectorCache, places: Sequence[Place] = (), floor: float = 0.5, *, long: bool = False
) -> ArticleReport:
    """Train narratives in `GROUPS` groups; each group's verifier never saw its narratives."""
    claims = [c for c in read_claims() if not heldout(c.id)]
    pairs = [p for p in read_pairs() if not heldout(p.narrative)]
    total = ArticleReport(f"k-fold ({GROUPS} groups)")
    for group in range(GROUPS):
        ids = {c.id for c in claims if _group(c.id) == group}
        verifier, _builder = train(
            [p for p in pairs if p.narrative not in ids],
            [c for c in claims if c.id not in ids],
            cache,
            build.RECIPE,
        )
        verifier.meta = {"threshold": str(build.FLAG_THRESHOLD)}
        part = score(
            f"group {group}",
            _matcher([c for c in claims if c.id in ids], places, verifier, floor),
            [p for p in pairs if p.narrative in ids],
            long=long,
        )
        _add(total, part)
    cache.save()
    return total


def heldout_articles(
    places: Sequence[Place] = (),
    floor: float = 0.5,
    verifier: Verifier | None = None,
    *,
    long: bool = False,
) -> ArticleReport:
    """The shipped verifier on the held-out narratives, all configured together."""
    shipped = verifier or build._load(build.shipped_path())
    if shipped is None:
        raise SystemExit("nlp/data/verify/verifier.npz is stale: run python -m nlp.claims.build")
    claims = [c for c in read_claims() if heldout(c.id)]
    ids = {c.id for c in claims}
    pairs = [p for p in read_pairs() if p.narrative in ids]
    return score("held-out", _matcher(claims, places, shipped, floor), pairs, long=long)


def _matcher(
    claims: Sequence[Claim], places: Sequence[Place], verifier: Verifier, floor: float
) -> NarrativeMatcher:
    from core.config import Thresholds

    return NarrativeMatcher(
        [as_narrative(c) for c in claims],
        places,
        verifier=lambda: verifier,
        flag_floor=floor,
        rebuttal_floor=Thresholds().rebuttal,
    )


def _add(total: ArticleReport, part: ArticleReport) -> None:
    total.found += part.found
    total.missed += part.missed
    total.false_alarms += part.false_alarms
    total.rebuttals_right += part.rebuttals_right
    total.denials += part.denials
    total.alarms_by_kind.update(part.alarms_by_kind)
    for kind, (found, of) in part.by_kind.items():
        row = total.by_kind.setdefault(kind, [0, 0])
        row[0] += found
        row[1] += of


def shipped_places(config: Path) -> list[Place]:
    from core.loading import load_settings

    return load_settings(config).watch.all_places()


def main(argv: Sequence[str] | None = None) -> int:
    from core.config import Thresholds

    parser = argparse.ArgumentParser(description="narratives at article level")
    parser.add_argument("what", choices=("kfold", "heldout"))
    parser.add_argument("--cache", type=Path, default=Path("data") / "models")
    parser.add_argument("--config", type=Path, default=Path("config.yaml"))
    parser.add_argument("--floor", type=float, default=Thresholds().narrative)
    parser.add_argument("--long", action="store_true", help="each pair among filler sentences")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    places = shipped_places(args.config) if args.config.exists() else []
    if args.what == "kfold":
        report = kfold(VectorCache(args.cache), places, args.floor, long=args.long)
    else:
        report = heldout_articles(places, args.floor, long=args.long)
    for line in report.lines():
        print(line)
    print(f"(floor {args.floor}, {len(places)} places, {time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
