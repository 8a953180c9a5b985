"""Cue lists the verifier counts: denial, attribution, negation, question, hostile register.

They are data (nlp/data/cues/*.txt, see its README), not code: general language
only, never a watched narrative's words. `digest()` hashes every file there, and
the verifier's data hash includes it, so editing a list re-trains the verifier
and changes the analyzer version.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from pathlib import Path

from nlp.matching import PhraseMatcher

KINDS = ("denial", "attribution", "negation", "question", "hostile")


def folder() -> Path:
    return Path(str(resources.files("nlp") / "data" / "cues"))


def read_list(name: str) -> list[str]:
    """Non-empty, non-comment lines of nlp/data/cues/<name>."""
    lines = (folder() / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


@functools.cache
def digest() -> str:
    """sha256 over every cue file (name and content), 16 hex digits."""
    hasher = hashlib.sha256()
    for path in sorted(folder().glob("*.txt")):
        hasher.update(path.name.encode())
        hasher.update(path.read_bytes())
    return hasher.hexdigest()[:16]


class Cues:
    """Counts each kind of cue in a text (both languages' lists at once)."""

    def __init__(self) -> None:
        self.matchers = {
            kind: PhraseMatcher(
                ((kind, cue) for lang in ("vi", "en") for cue in read_list(f"{kind}_{lang}.txt")),
                check_case=False,
            )
            for kind in KINDS
        }

    def count(self, text: str) -> dict[str, int]:
        if not text:
            return dict.fromkeys(KINDS, 0)
        found = {kind: sum(1 for _ in m.finditer(text)) for kind, m in self.matchers.items()}
        found["question"] += text.count("?")
        return found

    def found(self, kind: str, text: str) -> list[str]:
        return [surface for _s, _e, surface, _k in self.matchers[kind].finditer(text)]


@functools.cache
def shared() -> Cues:
    return Cues()
