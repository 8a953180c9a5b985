"""Renders kept on disk: `<data_dir>/evidence/<snapshot id>.png`, `.pdf` and a sidecar
`.json` (what was rendered, when, by which Chromium, the files' SHA-256).

The sidecar is written last, so it marks a finished render: a crash before it
leaves a render that is simply done again. Flag-time capture (`capture_pending`,
called after each `presswatch process`) renders the articles of open cases that
have none yet; an evidence bundle reuses these files instead of rendering again.
A render that failed leaves a `.failed.json` so the next runs do not retry it
on every pass (the bundle still tries once more).

Both sidecars name the SHA-256 of the page they were made from (the snapshot's
content hash): a data folder kept across a new database, where snapshot ids start
again at 1, then never hands over a picture of another page.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config import Settings
from core.record import Snapshot
from pipeline.evidence.render import (
    Rendered,
    RenderError,
    find_chromium,
    partial_path,
    render_snapshot,
)
from storage.db import Database
from storage.evidence import open_case_snapshots
from storage.snapshots import load_snapshot

logger = logging.getLogger(__name__)

# Renders per `presswatch process` run: a backlog (first run after an upgrade)
# is worked off over a few runs rather than holding one up for long.
MAX_CAPTURES_PER_RUN = 20


def evidence_dir(settings: Settings) -> Path:
    return settings.data_dir / "evidence"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class StoredRender:
    png: Path
    pdf: Path
    sidecar: Path
    info: dict[str, Any]


def _paths(settings: Settings, snapshot_id: int) -> tuple[Path, Path, Path, Path]:
    folder = evidence_dir(settings)
    stem = str(snapshot_id)
    return (
        folder / f"{stem}.png",
        folder / f"{stem}.pdf",
        folder / f"{stem}.json",
        folder / f"{stem}.failed.json",
    )


def _read_sidecar(path: Path, body_sha256: str) -> dict[str, Any] | None:
    """A sidecar's content, if it is readable and about the page with that hash."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or info.get("body_sha256") != body_sha256:
        return None
    return info


def stored_render(settings: Settings, snapshot: Snapshot) -> StoredRender | None:
    """The finished render of a snapshot, if one is on disk, of this very page, intact."""
    assert snapshot.id is not None
    snapshot_id = snapshot.id
    png, pdf, sidecar, _ = _paths(settings, snapshot_id)
    if not png.is_file() or not pdf.is_file():
        return None
    info = _read_sidecar(sidecar, hashlib.sha256(snapshot.body).hexdigest())
    if info is None:
        return None
    if info.get("png_sha256") != sha256_file(png) or info.get("pdf_sha256") != sha256_file(pdf):
        logger.warning(
            "evidence render of snapshot %s changed on disk; rendering again", snapshot_id
        )
        return None
    return StoredRender(png=png, pdf=pdf, sidecar=sidecar, info=info)


@functools.cache  # one `--version` per executable and process, not one per page
def chromium_version(chromium: str) -> str:
    try:
        done = subprocess.run(
            [chromium, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() or "unknown"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    partial = partial_path(path)
    partial.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(partial, path)


def render_and_keep(settings: Settings, snapshot: Snapshot) -> StoredRender:
    """Render a snapshot into the evidence folder (RenderError if it cannot be)."""
    assert snapshot.id is not None
    png, pdf, sidecar, failed = _paths(settings, snapshot.id)
    body_sha256 = hashlib.sha256(snapshot.body).hexdigest()
    try:
        rendered: Rendered = render_snapshot(snapshot, png, pdf, settings.evidence)
    except RenderError as exc:
        png.parent.mkdir(parents=True, exist_ok=True)
        about = {"snapshot_id": snapshot.id, "url": snapshot.url, "body_sha256": body_sha256}
        _write_json(failed, {**about, "error": str(exc)})
        raise
    chromium = find_chromium(settings.evidence) or settings.evidence.chromium
    info = {
        "snapshot_id": snapshot.id,
        "url": snapshot.url,
        "final_url": snapshot.final_url,
        "fetched_at": snapshot.fetched_at.isoformat(),
        "body_sha256": body_sha256,
        "rendered_at": dt.datetime.now(dt.UTC).isoformat(),
        "renderer": chromium_version(chromium),
        "png_sha256": sha256_file(rendered.png),
        "pdf_sha256": sha256_file(rendered.pdf),
    }
    _write_json(sidecar, info)
    failed.unlink(missing_ok=True)
    return StoredRender(png=rendered.png, pdf=rendered.pdf, sidecar=sidecar, info=info)


def render_for_bundle(settings: Settings, snapshot: Snapshot) -> StoredRender:
    """The kept render, or a new one (kept too) when there is none."""
    assert snapshot.id is not None
    return stored_render(settings, snapshot) or render_and_keep(settings, snapshot)


@dataclass
class CaptureStats:
    rendered: int = 0
    failed: int = 0
    skipped_reason: str | None = None

    def __str__(self) -> str:
        if self.skipped_reason:
            return f"evidence screenshots skipped: {self.skipped_reason}"
        return f"evidence: {self.rendered} page(s) captured, {self.failed} failed"


def capture_pending(
    settings: Settings,
    database: Database,
    *,
    limit: int = MAX_CAPTURES_PER_RUN,
    stop: threading.Event | None = None,
) -> CaptureStats:
    """Screenshot the articles of open cases not yet captured (flag-time evidence).
    Never raises: evidence capture must not fail the process stage."""
    stats = CaptureStats()
    if not settings.evidence.screenshots_at_flag:
        return stats
    if find_chromium(settings.evidence) is None:
        stats.skipped_reason = (
            f"no Chromium found as {settings.evidence.chromium!r} (evidence.chromium)"
        )
        logger.info("evidence: screenshots at flag time skipped: %s", stats.skipped_reason)
        return stats
    try:
        with database.read_session() as session:
            wanted = open_case_snapshots(session)
        for snapshot_id, body_sha256 in wanted:
            if stats.rendered + stats.failed >= limit or (stop is not None and stop.is_set()):
                break
            _, _, sidecar, failed = _paths(settings, snapshot_id)
            if _read_sidecar(sidecar, body_sha256) or _read_sidecar(failed, body_sha256):
                continue
            try:
                with database.read_session() as session:
                    snapshot = load_snapshot(session, snapshot_id)
                render_and_keep(settings, snapshot)
                stats.rendered += 1
            except (RenderError, KeyError, OSError) as exc:
                stats.failed += 1
                logger.warning("evidence: %s", exc)
    except Exception:
        logger.exception("evidence: capture at flag time stopped")
    if stats.rendered or stats.failed:
        logger.info("evidence: %d page(s) captured, %d failed", stats.rendered, stats.failed)
    return stats
