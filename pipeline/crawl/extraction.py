"""The one extraction every caller runs (the crawler, `presswatch extract`,
`presswatch reextract`): crawlers.extract for the page, then nlp's text
normalisation and language id, which crawlers/ may not import."""

from __future__ import annotations

from dataclasses import dataclass

from crawlers.extract import DEFAULT_TIMEZONE, Extracted, extract_bytes
from nlp.normalize import detect_language, normalize_text


@dataclass(kw_only=True, slots=True)
class PageFields:
    extracted: Extracted
    language: str | None


def extract_page(
    body: bytes,
    url: str | None = None,
    *,
    content_type: str | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> PageFields:
    extracted = extract_bytes(body, url, content_type=content_type, timezone=timezone)
    # One Unicode form and tone-mark convention, so matching and dedup see one spelling.
    extracted.title = normalize_text(extracted.title)
    extracted.text = normalize_text(extracted.text)
    extracted.lead = normalize_text(extracted.lead)
    sample = f"{extracted.title}\n{extracted.text}".strip()
    language = detect_language(sample) if sample else extracted.html_language
    if language == "und":
        language = extracted.html_language
    return PageFields(extracted=extracted, language=language)
