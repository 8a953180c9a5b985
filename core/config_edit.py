"""Editing the narratives of config.yaml in place, safely (the web app's admin pages).

config.yaml stays the one reviewed source of narratives: the analyzer, `presswatch
analyze` and the evaluations all read them from it, and a database copy would fork
them. So an edit is written back into the file:

- the file is read with ruamel.yaml's round-trip loader only to *locate* the
  narratives list and its items; the new or edited item is emitted by ruamel in the
  file's own layout and spliced into the original text, so every other byte
  (comments, quoting, other sections) stays exactly as the office wrote it;
- the whole resulting document is validated by `core.loading.parse_settings`, the
  loader `presswatch config check` uses; an invalid result is refused, file unchanged;
- the form carries the SHA-256 of the file it was opened on; a different file on
  disk means someone else saved meanwhile, and the edit is refused rather than
  silently overwriting theirs;
- the write is atomic (temp file in the same folder, fsync, os.replace), and the
  previous version is kept in `config-history/` next to the file, named by time and
  user, with one JSON line per change in `config-history/history.jsonl`.

No web imports: this is the kernel's, usable from a CLI as well.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import io
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config import Narrative, Settings
from core.errors import ConfigError, ConfigIssue, PresswatchError
from core.loading import MAX_CONFIG_BYTES, parse_settings

HISTORY_DIR = "config-history"
HISTORY_LOG = "history.jsonl"
# The order fields are written in, as in the shipped config.yaml.
FIELDS = ("id", "statement_vi", "statement_en", "topics", "subjects", "examples_vi", "examples_en")
_LIST_FIELDS = ("topics", "subjects", "examples_vi", "examples_en")
_FLOW_FIELDS = ("topics",)  # short id lists, written `[a, b]` like the shipped file
_EMPTY_LIST = re.compile(r"^narratives:[ \t]*\[[ \t]*\][ \t]*(#.*)?$")


class EditError(PresswatchError):
    """An edit that cannot be applied (unknown narrative, unexpected file layout)."""


class StaleConfig(EditError):
    """The file changed since the form was opened."""


class InvalidEdit(EditError):
    """The document the edit would produce does not validate; the file is unchanged."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        super().__init__("; ".join(str(issue) for issue in issues))


@dataclass(frozen=True, slots=True)
class ConfigDocument:
    path: Path
    text: str
    sha256: str
    settings: Settings


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: dt.datetime
    user: str
    action: str
    narrative: str
    backup: str


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _decode(path: Path, data: bytes) -> str:
    if len(data) > MAX_CONFIG_BYTES:
        raise EditError(f"{path}: over {MAX_CONFIG_BYTES} bytes; not a config")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise EditError(f"{path}: not UTF-8; fix the file by hand first") from None


def read_document(path: Path) -> ConfigDocument:
    """The file as it is now: its text, hash and validated settings."""
    data = path.read_bytes()
    text = _decode(path, data)
    settings = parse_settings(text, origin=str(path)).model_copy(update={"path": path})
    return ConfigDocument(path, text, sha256_of(data), settings)


def narrative_fields(narrative: Narrative) -> dict[str, Any]:
    """A narrative as the edit form's fields (lists as lists)."""
    return {name: getattr(narrative, name) for name in FIELDS}


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Trimmed strings and lists without blanks; empty optional fields are left out
    (the model's defaults), so the file stays as terse as a hand-written one."""
    cleaned: dict[str, Any] = {}
    for name in FIELDS:
        value = fields.get(name)
        if name in _LIST_FIELDS:
            items = [" ".join(str(item).split()) for item in (value or [])]
            items = [item for item in items if item]
            if items or name.startswith("examples"):  # required: let validation say so
                cleaned[name] = items
        else:
            text = " ".join(str(value or "").split())
            if text or name != "statement_en":
                cleaned[name] = text
    return cleaned


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold a long example across lines
    return yaml


def _render_item(fields: dict[str, Any], dash_indent: int, newline: str) -> list[str]:
    """The narrative as a block-sequence item, indented like its neighbours."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    item = CommentedMap()
    for name, value in fields.items():
        if name in _LIST_FIELDS:
            seq = CommentedSeq(
                value if name in _FLOW_FIELDS else [DoubleQuotedScalarString(v) for v in value]
            )
            if name in _FLOW_FIELDS:
                seq.fa.set_flow_style()
            item[name] = seq
        else:
            item[name] = value if name == "id" else DoubleQuotedScalarString(value)
    buffer = io.StringIO()
    _yaml().dump(item, buffer)
    rendered = buffer.getvalue().splitlines()
    pad = " " * dash_indent
    return [
        (f"{pad}- " if number == 0 else f"{pad}  ") + line + newline
        for number, line in enumerate(rendered)
    ]


def _is_filler(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def splice_narrative(text: str, fields: dict[str, Any], narrative_id: str | None) -> str:
    """`text` with the narrative `narrative_id` replaced by `fields`, or with `fields`
    appended as a new narrative when `narrative_id` is None. Nothing else changes."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import YAMLError

    try:
        document = _yaml().load(text)
    except YAMLError as exc:
        raise EditError(f"the config is not valid YAML: {exc}") from None
    if not isinstance(document, CommentedMap):
        raise EditError("the config must hold a mapping")
    lines = re.split(r"(?<=\n)", text)
    if lines and lines[-1] == "":
        lines.pop()
    newline = "\r\n" if "\r\n" in text else "\n"
    fields = _clean(fields)
    narratives = document.get("narratives")
    keys = list(document.keys())

    if narratives is None or (isinstance(narratives, CommentedSeq) and not narratives):
        if narrative_id is not None:
            raise EditError(f"no narrative {narrative_id!r} in the config")
        block = _render_item(fields, 2, newline)
        if "narratives" in document:
            at = document.lc.key("narratives")[0]
            if not _EMPTY_LIST.match(lines[at].rstrip("\r\n")):
                raise EditError("write `narratives:` as a block list to edit it here")
            return "".join([*lines[:at], "narratives:" + newline, *block, *lines[at + 1 :]])
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += newline
        return "".join([*lines, "narratives:" + newline, *block])
    if not isinstance(narratives, CommentedSeq) or narratives.fa.flow_style():
        raise EditError("write `narratives:` as a block list to edit it here")

    def dash_line(index: int) -> int:
        line = int(narratives.lc.item(index)[0])
        while line > 0 and not lines[line].lstrip().startswith("-"):
            line -= 1  # an item written "-" alone on its line, its mapping below
        return line

    starts = [dash_line(index) for index in range(len(narratives))]
    following = keys[keys.index("narratives") + 1 :]
    section_end = int(document.lc.key(following[0])[0]) if following else len(lines)

    def item_end(index: int) -> int:
        end = starts[index + 1] if index + 1 < len(starts) else section_end
        while end > starts[index] + 1 and _is_filler(lines[end - 1]):
            end -= 1  # comments and blank lines before the next item stay where they are
        return end

    dash_indent = len(lines[starts[0]]) - len(lines[starts[0]].lstrip())
    block = _render_item(fields, dash_indent, newline)
    if narrative_id is None:
        end = item_end(len(starts) - 1)
        head = lines[:end]
        if head and not head[-1].endswith("\n"):
            head[-1] += newline
        return "".join([*head, *block, *lines[end:]])
    ids = [item.get("id") if isinstance(item, dict) else None for item in narratives]
    if narrative_id not in ids:
        raise EditError(f"no narrative {narrative_id!r} in the config")
    index = ids.index(narrative_id)
    return "".join([*lines[: starts[index]], *block, *lines[item_end(index) :]])


@contextlib.contextmanager
def _locked(history: Path) -> Iterator[None]:
    """One writer at a time across processes (web workers, a CLI)."""
    history.mkdir(parents=True, exist_ok=True)
    with open(history / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data`: a reader (or a crash) sees the old file or the new."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_dir(path.parent)


def history_dir(path: Path) -> Path:
    return path.parent / HISTORY_DIR


def _safe_name(user: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", user)[:64] or "unknown"


@dataclass(frozen=True, slots=True)
class SaveResult:
    settings: Settings
    sha256: str
    backup: Path


def save_narrative(
    path: Path,
    fields: dict[str, Any],
    *,
    expected_sha256: str,
    user: str,
    narrative_id: str | None = None,
    now: dt.datetime | None = None,
) -> SaveResult:
    """Add (narrative_id None) or replace one narrative in the file at `path`.

    Raises StaleConfig when the file is not the one the form was opened on,
    InvalidEdit (with every problem) when the result does not validate, EditError
    for an unknown narrative; in each case the file is left untouched."""
    if narrative_id is not None:
        fields = {**fields, "id": narrative_id}  # an id is referenced by cases: never renamed
    history = history_dir(path)
    with _locked(history):
        data = path.read_bytes()
        if sha256_of(data) != expected_sha256:
            raise StaleConfig("the config changed since you opened it")
        text = _decode(path, data)
        new_text = splice_narrative(text, fields, narrative_id)
        try:
            settings = parse_settings(new_text, origin=str(path))
        except ConfigError as exc:
            raise InvalidEdit(exc.issues) from None
        at = now or dt.datetime.now(dt.UTC)
        name = f"{path.stem}-{at:%Y%m%d-%H%M%S-%f}Z-{_safe_name(user)}{path.suffix}"
        backup = history / name
        atomic_write(backup, data)  # the previous version, before the new one replaces it
        new_data = new_text.encode("utf-8")
        atomic_write(path.resolve(), new_data)  # through a symlink: the link stays a link
        entry = {
            "at": at.isoformat(),
            "user": user,
            "action": "edit" if narrative_id is not None else "add",
            "narrative": str(fields.get("id") or ""),
            "backup": name,
        }
        with open(history / HISTORY_LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry, ensure_ascii=False) + "\n")
            log.flush()
            os.fsync(log.fileno())
    return SaveResult(settings.model_copy(update={"path": path}), sha256_of(new_data), backup)


def recent_history(path: Path, limit: int = 10) -> list[HistoryEntry]:
    """The last `limit` changes made through `save_narrative`, newest first."""
    log = history_dir(path) / HISTORY_LOG
    try:
        lines = log.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    entries: list[HistoryEntry] = []
    for line in reversed(lines):
        try:
            raw = json.loads(line)
            entries.append(
                HistoryEntry(
                    at=dt.datetime.fromisoformat(raw["at"]),
                    user=str(raw["user"]),
                    action=str(raw["action"]),
                    narrative=str(raw["narrative"]),
                    backup=str(raw["backup"]),
                )
            )
        except (ValueError, KeyError, TypeError):
            continue  # a torn last line after a crash: skip it, keep the rest
        if len(entries) >= limit:
            break
    return entries
