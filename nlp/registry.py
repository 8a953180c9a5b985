"""The one place that turns config into an analyzer: `build_analyzer(config)`.

Backends are named as data, "module:factory", in the way Scrapy names its
components, and imported only when chosen, so the embedded default never
imports torch. A factory must return `Components`; anything else is refused
with the backend's name rather than failing later inside an analysis.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.errors import ConfigError, ConfigIssue
from nlp.analyzer import Analyzer, RuleAnalyzer
from nlp.components import Components

if TYPE_CHECKING:
    from core.config import AnalysisConfig

BACKENDS: dict[str, str] = {
    "embedded": "nlp.backends.embedded:build_components",
    "transformers": "nlp.backends.transformers:build_components",
}


def _factory(backend: str) -> Callable[[AnalysisConfig], Components]:
    if backend not in BACKENDS:
        issue = ConfigIssue("nlp.backend", None, f"unknown backend {backend!r}")
        raise ConfigError("nlp", [issue])
    module_name, _, attribute = BACKENDS[backend].partition(":")
    module = importlib.import_module(module_name)
    factory: Callable[[AnalysisConfig], Components] = getattr(module, attribute)
    return factory


def build_analyzer(config: AnalysisConfig) -> Analyzer:
    """The analyzer config selects; heavy models load lazily inside it, never at import."""
    components = _factory(config.nlp.backend)(config)
    if not isinstance(components, Components):
        raise TypeError(
            f"nlp backend {config.nlp.backend!r} returned {type(components).__name__},"
            " not Components"
        )
    return RuleAnalyzer(config, components)
