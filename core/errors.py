"""Named exceptions shared by every stage. A leaf module: imports nothing of ours.

A crawl keeps *retry* and *never retry* apart in its records
(`core.record.FetchFailed.permanent`), not in exceptions; these are the errors
a person is shown.
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


class CaseError(PresswatchError):
    """A case that does not exist, or a change the review workflow does not allow."""


class StorageError(PresswatchError):
    """The database cannot be opened or written (missing or read-only folder, disk full)."""
