"""The audit trail and flag reasons in the reader's language.

The workflow stores what changed as codes ("status", "new" → "triaged", a note
"distortion score 0.80", a resolution id); these turn them into catalog words.
Free text a person wrote (notes, responses) is shown as written.
"""

from __future__ import annotations

import re
from typing import Any

from core.config import Settings
from pipeline.i18n import Translator, reason_text

_SCORE_NOTE = re.compile(r"distortion score (\d+(?:\.\d+)?)")
# Fields whose values are codes with catalog words of their own.
_CODED = {"status": "status_", "resolution": "resolution_"}
_RESOLUTIONS = ("responded", "no_action", "false_positive")


def _value(t: Translator, field: str, value: str | None) -> str:
    if value is None or value == "":
        return t("unassigned") if field == "assignee" else "—"
    if field in _CODED:
        return t(_CODED[field] + value)
    if field == "article":
        return f"#{value}"
    return value


def change_text(t: Translator, field: str | None, old: str | None, new: str | None) -> str:
    """ "Trạng thái: Mới → Đã phân loại" for a stored (field, old, new)."""
    if not field:
        return ""
    return f"{t('field_' + field)}: {_value(t, field, old)} → {_value(t, field, new)}"


def note_text(t: Translator, action: str, note: str | None) -> str:
    """The event's note: the workflow's own codes translated, a person's words kept."""
    if not note:
        return ""
    if action in ("opened", "attached"):
        found = _SCORE_NOTE.fullmatch(note)
        if found:
            return f"{t('score')} {found.group(1)}"
    if action == "closed" and note in _RESOLUTIONS:
        return t("resolution_" + note)
    return note


def reason_sentence(settings: Settings, reason: Any, language: str) -> str:
    """A flag reason as a sentence of the catalog (narratives by their statement),
    never the analyser's English detail or a slug."""
    kind = str(getattr(reason, "kind", ""))
    data = {"kind": kind, "ref": getattr(reason, "ref", None), "detail": reason.detail}
    return reason_text(settings, data, language)
