"""Relevance: the one decision whether an article is about the watched place.

The crawl store asks it when it first builds an article; `redecide` asks it
again for stored articles decided under another version. It reads the text
the analyzer reads (`nlp.text.document_text`: title, blank line, body) with
the same gazetteer and rule (`nlp.places.relevant`), so an analysis's
`relevant` flag and its article's agree, and the stored place offsets index
the same string as the analysis's.

Its version is a short hash of the watch list's places and the gazetteer's
rules version (`nlp.places.GAZETTEER_VERSION`); each article stores the
version that decided it (`articles.relevance_version`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.analysis import Document, PlaceMention
from nlp.places import GAZETTEER_VERSION, Gazetteer, relevant
from nlp.text import document_text

if TYPE_CHECKING:
    from core.config import Watch


def relevance_version(watch: Watch) -> str:
    """Changes when the watched places or the gazetteer's rules change, else stays."""
    places = [place.model_dump(mode="json") for place in watch.all_places()]
    digest = hashlib.sha256(json.dumps(places, sort_keys=True, ensure_ascii=False).encode())
    return f"g{GAZETTEER_VERSION}-{digest.hexdigest()[:12]}"


@dataclass(frozen=True, slots=True)
class Decision:
    relevant: bool
    mentions: tuple[PlaceMention, ...]

    def places(self) -> list[dict[str, Any]]:
        """The mentions as an Article stores them."""
        return [{"name": m.name, "start": m.start, "end": m.end} for m in self.mentions]


class Relevance:
    """Decides relevance under one watch list; `version` names that decision."""

    def __init__(self, watch: Watch) -> None:
        self.gazetteer = Gazetteer(watch.all_places())
        self.version = relevance_version(watch)

    def decide(self, title: str, text: str) -> Decision:
        mentions = self.gazetteer.find(document_text(Document(id="", title=title, text=text)))
        return Decision(relevant=relevant(mentions), mentions=tuple(mentions))
