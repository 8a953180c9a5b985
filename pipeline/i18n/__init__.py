"""Every word presswatch shows, in Vietnamese (the default) and English: one catalog.

The reports, the alerts and the web app all read the same gettext files,
``pipeline/i18n/locale/<language>/LC_MESSAGES/messages.po``, which a translator
can edit with any PO editor: each ``msgid`` is the key the code and templates use
("case", "stance_critical"), each ``msgstr`` the text shown. The files are read
with Babel the first time a word is needed, once per process, never at import.

A key missing from a language (or left untranslated or fuzzy) falls back to
Vietnamese, then to the key itself; tests check every key has both languages.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.config import Settings

DEFAULT_LANGUAGE = "vi"
LANGUAGES = ("vi", "en")
DOMAIN = "messages"


def po_file(language: str) -> Traversable:
    """The language's catalog file, inside the installed package."""
    return resources.files(__name__) / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def _read(language: str) -> dict[str, str]:
    """One .po file as {key: text}; untranslated and fuzzy entries are left out."""
    from babel.messages.pofile import read_po

    with po_file(language).open("rb") as handle:
        catalog = read_po(handle, domain=DOMAIN)
    return {
        message.id: message.string
        for message in catalog
        if isinstance(message.id, str)
        and message.id
        and isinstance(message.string, str)
        and message.string
        and not message.fuzzy
    }


@functools.cache
def catalog(language: str) -> Mapping[str, str]:
    """Every key's text in `language` (an unknown language gets Vietnamese)."""
    chosen = language if language in LANGUAGES else DEFAULT_LANGUAGE
    return MappingProxyType({**_read(DEFAULT_LANGUAGE), **_read(chosen)})


def all_keys() -> frozenset[str]:
    """Every key any language defines."""
    return frozenset(key for language in LANGUAGES for key in _read(language))


def translate(key: str, language: str = DEFAULT_LANGUAGE) -> str:
    return catalog(language).get(key, key)


@dataclass(frozen=True)
class Translator:
    """``t("key")`` in one language: what the web templates call."""

    language: str = DEFAULT_LANGUAGE

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            object.__setattr__(self, "language", DEFAULT_LANGUAGE)

    def __call__(self, key: str) -> str:
        return translate(key, self.language)


def strings(language: str) -> Mapping[str, str]:
    """The whole catalog of one language, for the digest templates (``t.case``)."""
    return catalog(language)


def topic_label(settings: Settings, topic_id: str, language: str) -> str:
    try:
        topic = settings.topic(topic_id)
    except KeyError:
        return topic_id
    return topic.label_en if language == "en" else topic.label_vi


def narrative_statement(settings: Settings, narrative_id: str, language: str) -> str:
    """The narrative's statement in one language (statement_vi / statement_en in config)."""
    for narrative in settings.narratives:
        if narrative.id == narrative_id:
            return narrative.statement_for(language)
    return narrative_id


def reason_text(settings: Settings, reason: dict[str, Any], language: str) -> str:
    """A distortion reason in the reader's language, from its kind and reference.

    ``reason_detail_<kind>`` is the sentence a digest or alert writes; a kind
    whose short label (``reason_<kind>``, the web's) says enough has none.
    """
    words = catalog(language)
    kind, ref = str(reason.get("kind", "")), reason.get("ref")
    label = words.get(f"reason_detail_{kind}") or words.get(f"reason_{kind}")
    if label is None:
        return str(reason.get("detail", kind))
    if kind == "narrative" and ref:
        return f"{label}: {narrative_statement(settings, str(ref), language)}"
    if kind == "sensitive_topic" and ref:
        return f"{label}: {topic_label(settings, str(ref), language)}"
    return label
