"""The `presswatch analyze` stream: JSON lines of documents in, results out.

Output lines are `AnalysisResult.to_json()` (a stable interface for
evaluations). A malformed input line is reported with its number and
skipped; the rest are analysed in batches, so memory stays flat.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from core.analysis import Document

if TYPE_CHECKING:
    from nlp.analyzer import Analyzer


@dataclass
class StreamStats:
    analysed: int = 0
    problems: list[str] = field(default_factory=list)


def open_text(path: Path) -> IO[str]:
    """Plain or gzipped UTF-8 text."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def parse_document(line: str) -> Document:
    """One input line as a Document; ValueError says what is wrong with it."""
    try:
        row: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(row, dict):
        raise ValueError("not a JSON object")
    if "id" not in row or row["id"] is None:
        raise ValueError("missing 'id'")
    for key in ("title", "text"):
        if not isinstance(row.get(key, ""), str):
            raise ValueError(f"'{key}' is not a string")
    if not row.get("title") and not row.get("text"):
        raise ValueError("needs a 'title' or a 'text'")
    origin = row.get("origin")
    if origin not in (None, "domestic", "foreign"):
        raise ValueError(f"'origin' must be domestic or foreign, not {origin!r}")
    optional = {}
    for key in ("url", "language", "source"):
        value = row.get(key)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"'{key}' is not a string")
        optional[key] = value or None
    return Document(
        id=str(row["id"]),
        title=row.get("title") or "",
        text=row.get("text") or "",
        origin=origin,
        **optional,
    )


def read_documents(handle: IO[str], stats: StreamStats) -> Iterator[Document]:
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            yield parse_document(line)
        except ValueError as exc:
            stats.problems.append(f"line {number}: {exc}; skipped")


def analyze_stream(
    input_path: Path, sink: IO[str], analyzer: Analyzer, *, batch_size: int = 64
) -> StreamStats:
    stats = StreamStats()
    with open_text(input_path) as handle:
        batch: list[Document] = []
        for doc in read_documents(handle, stats):
            batch.append(doc)
            if len(batch) >= batch_size:
                _flush(batch, sink, analyzer, stats)
        _flush(batch, sink, analyzer, stats)
    return stats


def _flush(batch: list[Document], sink: IO[str], analyzer: Analyzer, stats: StreamStats) -> None:
    if not batch:
        return
    for result in analyzer.analyze(batch):
        sink.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
        stats.analysed += 1
    sink.flush()
    batch.clear()
