"""What a backend plugs into the analyzer, and the interfaces it must meet.

A backend is a factory `build_components(config) -> Components`, named in
`nlp.registry.BACKENDS`; the registry builds the one `RuleAnalyzer` around
what it returns. Backends import this module, never the analyzer, so no
import cycle joins them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from nlp.claims.matcher import NarrativeMatcher


class SentenceClassifier(Protocol):
    """Stance and tone probabilities per sentence."""

    version: str

    def predict_tasks(
        self,
        texts: Sequence[str],
        *,
        deep: bool = False,
        languages: Sequence[str] | None = None,
    ) -> dict[str, list[dict[str, float]]]:
        """{"stance": [...], "tone": [...]}: per text, probability of each label.

        `deep=True` for the few target sentences of a relevant article: the
        classifier may run its expensive model (encoder) on them; otherwise it
        must stay cheap. `languages` gives each text's language when known.
        """
        ...


@dataclass(frozen=True, kw_only=True)
class Components:
    """The parts a backend supplies; the rules, aggregation and scoring are shared."""

    backend: str
    classifier: SentenceClassifier
    narratives: NarrativeMatcher
    model_version: str
