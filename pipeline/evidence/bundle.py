"""The evidence bundle of a case: what a press office hands over to show what an
article said when it was flagged.

`build_bundle` writes `<out>/case-<N>/`:

- `case-<N>.warc.gz`: every stored snapshot of the case's articles (pipeline.evidence.warc);
- `snapshot-<id>.png` and `.pdf`: each snapshot as it looked, rendered offline by the
  system Chromium (the renders kept at flag time are reused; when Chromium is missing
  the bundle is still written and the manifest says why the pictures are not there);
- `manifest.json`: the case, its articles and snapshots, the tool's version, who
  exported it and when, and the SHA-256 and size of every other file.

The folder is built beside its target and swapped in whole, so a crash leaves the
previous bundle or none, never a mix; an export of the same case at the same moment
gives the same bytes (`zip_folder` fixes the entries' order and dates too).
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import logging
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config import Settings
from core.errors import PresswatchError
from core.record import Snapshot
from pipeline.evidence.capture import render_for_bundle, sha256_file
from pipeline.evidence.render import RenderError, find_chromium, partial_path
from pipeline.evidence.warc import WarcFile, write_case_warc
from storage.db import Database
from storage.evidence import CaseEvidence, case_evidence

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = "presswatch-evidence-bundle/1"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: no build time in the bytes


class BundleError(PresswatchError):
    """The bundle could not be written where it was asked for."""


@dataclass(frozen=True, slots=True)
class Bundle:
    folder: Path
    manifest: dict[str, Any]
    zip_path: Path | None = None

    @property
    def warc_path(self) -> Path:
        return self.folder / str(self.manifest["warc"]["file"])


def tool_version() -> str:
    try:
        return f"presswatch {importlib.metadata.version('presswatch')}"
    except importlib.metadata.PackageNotFoundError:
        return "presswatch (not installed)"


def case_snapshots(evidence: CaseEvidence) -> list[Snapshot]:
    """Every snapshot once (two articles can share a page), oldest first."""
    unique = {s.id: s for a in evidence.articles for s in a.snapshots if s.id is not None}
    return sorted(unique.values(), key=lambda s: (_utc(s.fetched_at), s.id or 0))


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _renders(
    settings: Settings, snapshots: list[Snapshot], folder: Path
) -> tuple[dict[int, dict[str, Any]], str | None]:
    """Copy each snapshot's PNG and PDF into the folder; per snapshot what was done."""
    if find_chromium(settings.evidence) is None:
        reason = f"no Chromium found as {settings.evidence.chromium!r} (evidence.chromium)"
        logger.warning("evidence bundle without screenshots: %s", reason)
        return {s.id: {"render_error": reason} for s in snapshots if s.id is not None}, reason
    done: dict[int, dict[str, Any]] = {}
    for snapshot in snapshots:
        assert snapshot.id is not None
        try:
            kept = render_for_bundle(settings, snapshot)
        except RenderError as exc:
            logger.warning("evidence bundle: %s", exc)
            done[snapshot.id] = {"render_error": str(exc)}
            continue
        png, pdf = f"snapshot-{snapshot.id}.png", f"snapshot-{snapshot.id}.pdf"
        shutil.copyfile(kept.png, folder / png)
        shutil.copyfile(kept.pdf, folder / pdf)
        done[snapshot.id] = {
            "png": png,
            "pdf": pdf,
            "rendered_at": kept.info.get("rendered_at"),
            "renderer": kept.info.get("renderer"),
        }
    failed = sum(1 for entry in done.values() if "render_error" in entry)
    return done, (f"{failed} page(s) could not be rendered" if failed else None)


def _files(folder: Path) -> list[dict[str, Any]]:
    return [
        {"path": path.name, "sha256": sha256_file(path), "size": path.stat().st_size}
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name != MANIFEST
    ]


def _manifest(
    evidence: CaseEvidence,
    warc: WarcFile,
    renders: dict[int, dict[str, Any]],
    missing_reason: str | None,
    folder: Path,
    exported_by: str,
    exported_at: dt.datetime,
) -> dict[str, Any]:
    case = evidence.case
    snapshots = [
        {**entry.as_dict(), **renders.get(entry.snapshot_id, {})} for entry in warc.entries
    ]
    return {
        "format": FORMAT,
        "tool": tool_version(),
        "case": {"id": case.id, "title": case.title, "status": case.status},
        "exported_by": exported_by,
        "exported_at": exported_at.astimezone(dt.UTC).isoformat(),
        "warc": {"file": warc.path.name, "metadata_record_id": warc.metadata_record_id},
        "articles": [
            {
                "id": a.id,
                "title": a.title,
                "url": a.url,
                "source_id": a.source_id,
                "snapshot_ids": [s.id for s in a.snapshots],
            }
            for a in evidence.articles
        ],
        "snapshots": snapshots,
        "screenshots": {
            "taken": sum(1 for s in snapshots if "png" in s),
            "missing": sum(1 for s in snapshots if "png" not in s),
            "missing_reason": missing_reason,
        },
        "files": _files(folder),
    }


def _swap_in(staging: Path, target: Path) -> None:
    old = partial_path(target)
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)


def zip_folder(folder: Path, target: Path) -> Path:
    """The folder as a zip under its own name (entries sorted, dates fixed)."""
    partial = partial_path(target)
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                entry = zipfile.ZipInfo(f"{folder.name}/{path.name}", date_time=_ZIP_DATE)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o644 << 16
                archive.writestr(entry, path.read_bytes())
    os.replace(partial, target)
    return target


def build_bundle(
    settings: Settings,
    database: Database,
    case_id: int,
    out_dir: Path,
    exported_by: str,
    *,
    make_zip: bool = False,
    now: dt.datetime | None = None,
) -> Bundle:
    """Write the evidence bundle of a case under `out_dir` (CaseError if no such case)."""
    exported_at = now or dt.datetime.now(dt.UTC)
    with database.read_session() as session:
        evidence = case_evidence(session, case_id)
    snapshots = case_snapshots(evidence)
    name = f"case-{case_id}"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        # Unique, beside the target: two exports at once each build their own (and
        # made with mkdir, not mkdtemp, so the folder gets the user's usual mode).
        staging = partial_path(out_dir / name)
        staging.mkdir()
    except OSError as exc:
        raise BundleError(f"cannot write the evidence bundle into {out_dir}: {exc}") from None
    try:
        manifest = _build(settings, evidence, snapshots, staging, exported_by, exported_at)
        folder = out_dir / name
        _swap_in(staging, folder)
        zip_path = zip_folder(folder, out_dir / f"{name}.zip") if make_zip else None
    except OSError as exc:
        raise BundleError(f"writing the evidence bundle into {out_dir}: {exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already unless something failed
    logger.info(
        "evidence bundle of case #%s: %d snapshot(s), %d screenshot(s) -> %s",
        case_id,
        len(snapshots),
        manifest["screenshots"]["taken"],
        folder,
    )
    return Bundle(folder=folder, manifest=manifest, zip_path=zip_path)


def _build(
    settings: Settings,
    evidence: CaseEvidence,
    snapshots: list[Snapshot],
    staging: Path,
    exported_by: str,
    exported_at: dt.datetime,
) -> dict[str, Any]:
    """Write the bundle's files into `staging`; the manifest."""
    case_id = evidence.case.id
    name = f"case-{case_id}"
    warc = write_case_warc(
        staging / f"{name}.warc.gz",
        snapshots,
        case_id=case_id,
        case_title=evidence.case.title,
        exported_by=exported_by,
        exported_at=exported_at,
        software=tool_version(),
        user_agent=settings.crawl.user_agent,
    )
    renders, missing_reason = _renders(settings, snapshots, staging)
    manifest = _manifest(evidence, warc, renders, missing_reason, staging, exported_by, exported_at)
    (staging / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return manifest
