"""Named exceptions shared by every stage. A leaf module: imports nothing of ours.

Keep *drop*, *retry* and *quarantine* apart, as Scrapy and Media Cloud do:
SkipArticle drops an input and counts why; RetryLater leaves it for the next
run; Quarantine marks it as never to be retried.
"""

from __future__ import annotations

from dataclasses import dataclass


class PresswatchError(Exception):
    """Base class for errors presswatch reports to the user in plain words."""


@dataclass(frozen=True)
class ConfigIssue:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "line ?"
        return f"{where}: {self.path}: {self.message}"


class ConfigError(PresswatchError):
    def __init__(self, origin: str, issues: list[ConfigIssue]) -> None:
        self.origin = origin
        self.issues = issues
        lines = "\n".join(f"  {origin}: {issue}" for issue in issues)
        super().__init__(f"{len(issues)} problem(s) in {origin}:\n{lines}")


class SchemaError(PresswatchError):
    """The database schema is not the one this version of presswatch knows."""


class SkipArticle(PresswatchError):
    """Drop this input and count the reason (too short, not HTML, duplicate...)."""

    def __init__(self, reason: str, url: str = "") -> None:
        self.reason = reason
        self.url = url
        super().__init__(f"{reason}: {url}" if url else reason)


class RetryLater(PresswatchError):
    """A passing failure (timeout, 5xx): leave the work for the next run."""


class Quarantine(PresswatchError):
    """A permanent failure for this input: never retry it."""


class CaseError(PresswatchError):
    """A case that does not exist, or a change the review workflow does not allow."""
