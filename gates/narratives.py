"""Quality gate: the claim verifier on narratives it has never seen, and chance matches.

1. The shipped weights (nlp/data/verify/verifier.npz) must be current: built from
   today's pair files and cue lists (else: python -m nlp.claims.build).
2. Held-out narratives (a fixed ~20% by hash of the id, never trained on, never
   used for a choice): flag precision/recall (flag = anchored and P(asserts) over
   the threshold), denial precision/recall and 4-label macro-F1, for the pairs as
   written and cross-language (only the statement in the other language).
3. The same held-out narratives at article level, as the analyzer meets them
   (nlp.claims.evaluate_articles: each pair an article through NarrativeMatcher,
   all held-out narratives configured together, the shipped gazetteer passed).
4. Real ordinary news: the VNTC test sample (1,500 articles, 2005–2006 Vietnamese
   press, no distortion in it) through the narrative stage with the held-out
   narratives configured, relevance not required: at most MAX_CHANCE flags.

    python gates/narratives.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.analysis import Document  # noqa: E402
from core.config import Narrative, Thresholds  # noqa: E402
from nlp.claims import build  # noqa: E402
from nlp.claims.data import heldout, read_claims  # noqa: E402
from nlp.claims.evaluate_articles import heldout_articles, shipped_places  # noqa: E402
from nlp.claims.matcher import NarrativeMatcher  # noqa: E402
from nlp.claims.vectors import VectorCache  # noqa: E402
from nlp.text import document_text, split_sentences  # noqa: E402

# Floors: a little below what the held-out split measured when pinned (see the
# figures in nlp/data/verify/DATA_CARD.md); choices were made by LONO on the rest.
FLOORS = {
    # measured 2026-12-06 (61 narratives written, 10 held out; stacked verifier) at the
    # office's default floor (nlp.thresholds.narrative 0.5):
    # macro-F1 0.854, flag P 0.983 R 0.855, denies P 0.806 R 0.853
    # (2026-12-03, linear head alone: 0.834, P 0.976 R 0.825, denies P 0.759 R 0.853)
    "all": {
        "flag_precision": 0.95,
        "flag_recall": 0.82,
        "macro_f1": 0.82,
        "deny_precision": 0.76,
        "deny_recall": 0.82,
    },
    # measured: flag P 0.98 R 0.775 with only the other language's statement (was 0.973 R 0.720)
    "cross-language": {"flag_precision": 0.95, "flag_recall": 0.74},
}
# Article level (retrieval, anchor, rules, debunks outranking the rumour they quote):
# measured 2026-12-06 flag P 0.974 R 0.750 (was 0.966 R 0.710 on 2026-12-03).
# Recall is the known gap (the issue asks 0.90): the floor guards today's figure.
ARTICLE_FLOORS = {"precision": 0.94, "recall": 0.72}
MAX_CHANCE = 3  # flagged VNTC articles (of 1,500), held-out narratives configured; measured 0
VNTC_ARTICLES = 1500


def datasets() -> Path:
    return Path(os.environ.get("PRESSWATCH_DATASETS", ROOT.parent / "shared" / "datasets"))


def chance_flags(models_dir: Path) -> tuple[int, int, list[str]]:
    """(flagged articles, rebuttals, examples) on VNTC with the held-out narratives configured."""
    narratives = [
        Narrative(
            id=c.id,
            statement_vi=c.statement_vi,
            statement_en=c.statement_en,
            examples_vi=[c.statement_vi],
            examples_en=[c.statement_en],
        )
        for c in read_claims()
        if heldout(c.id)
    ]
    defaults = Thresholds()
    matcher = NarrativeMatcher(
        narratives,
        models_dir=models_dir,
        flag_floor=defaults.narrative,
        rebuttal_floor=defaults.rebuttal,
    )
    path = datasets() / "vntc" / "test_sample.jsonl"
    flagged = rebutted = 0
    examples: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for index, line in enumerate(handle):
            if index >= VNTC_ARTICLES:
                break
            row = json.loads(line)
            title, _, body = row["text"].partition("\n")
            doc = Document(id=row["id"], title=title, text=body)
            found = matcher.match(split_sentences(document_text(doc)), len(title.strip()))
            if any(not c.denied for c in found):
                flagged += 1
                c = next(c for c in found if not c.denied)
                examples.append(f"{c.narrative} {c.score:.2f}: {c.sentence.text[:120]}")
            rebutted += any(c.denied for c in found)
    return flagged, rebutted, examples


def main() -> int:
    start = time.perf_counter()
    failures: list[str] = []
    if build._load(build.shipped_path()) is None:
        print("FAIL: nlp/data/verify/verifier.npz is stale: run python -m nlp.claims.build")
        return 1
    with tempfile.TemporaryDirectory() as folder:
        cache = VectorCache(Path(folder))
        for report in build.heldout_reports(cache, flag_floor=Thresholds().narrative):
            print("held-out " + report.line())
            for key, floor in FLOORS.get(report.name, {}).items():
                value = getattr(report, key)
                if value < floor:
                    failures.append(f"{report.name} {key} {value:.3f} < {floor}")
        articles = heldout_articles(shipped_places(ROOT / "config.yaml"), Thresholds().narrative)
        for line in articles.lines():
            print("held-out articles " + line)
        for key, floor in ARTICLE_FLOORS.items():
            if getattr(articles, key) < floor:
                failures.append(f"articles {key} {getattr(articles, key):.3f} < {floor}")
        flagged, rebutted, examples = chance_flags(Path(folder))
    print(
        f"VNTC chance matches: {flagged} flagged, {rebutted} rebuttals in {VNTC_ARTICLES} articles"
    )
    for line in examples[:10]:
        print("  " + line)
    if flagged > MAX_CHANCE:
        failures.append(f"VNTC flags {flagged} > {MAX_CHANCE}")
    print(f"narratives gate in {time.perf_counter() - start:.0f} s")
    for failure in failures:
        print("FAIL: " + failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
