"""End to end: each pair as a small article through the whole claim stage.

The pair's title, previous sentence, sentence and next sentence become one
article; its narrative is configured as an office would (the two statements,
each also its only example); `NarrativeMatcher.match` retrieves, anchors and
verifies. The article is flagged when any of its sentences asserts the
narrative: this counts retrieval misses and context sentences, which the
pair-level figures in `evaluate` do not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.analysis import Document
from core.config import Narrative
from nlp.claims.data import Claim, Pair
from nlp.claims.matcher import NarrativeMatcher
from nlp.claims.model import Verifier
from nlp.text import document_text, split_sentences


@dataclass(frozen=True)
class EndToEnd:
    articles: int
    flag_precision: float
    flag_recall: float
    rebuttal_recall: float  # of the denying pairs, how many came out as rebuttals

    def line(self) -> str:
        return (
            f"{'end to end (articles)':<28} n={self.articles:<5} flag P {self.flag_precision:.3f} "
            f"R {self.flag_recall:.3f}  rebuttals found {self.rebuttal_recall:.3f}"
        )


def configured(claim: Claim) -> Narrative:
    return Narrative(
        id=claim.id,
        statement_vi=claim.statement_vi,
        statement_en=claim.statement_en,
        examples_vi=[claim.statement_vi or claim.statement_en],
        examples_en=[claim.statement_en or claim.statement_vi],
    )


def end_to_end(
    claims: Sequence[Claim], pairs: Sequence[Pair], verifier: Callable[[], Verifier]
) -> EndToEnd:
    matchers = {c.id: NarrativeMatcher([configured(c)], verifier=verifier) for c in claims}
    tp = fp = fn = denied = found_denied = 0
    for pair in pairs:
        body = " ".join(t for t in (pair.before, pair.sentence, pair.after) if t)
        doc = Document(id="pair", title=pair.title, text=body)
        result = matchers[pair.narrative].match(
            split_sentences(document_text(doc)), len(pair.title.strip())
        )
        flagged = any(not c.denied for c in result)
        gold = pair.label == "asserts"
        tp += flagged and gold
        fp += flagged and not gold
        fn += gold and not flagged
        if pair.label == "denies":
            denied += 1
            found_denied += any(c.denied for c in result)
    return EndToEnd(
        articles=len(pairs),
        flag_precision=tp / (tp + fp) if tp + fp else 0.0,
        flag_recall=tp / (tp + fn) if tp + fn else 0.0,
        rebuttal_recall=found_denied / denied if denied else 0.0,
    )
