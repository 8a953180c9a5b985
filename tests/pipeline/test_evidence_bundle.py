"""The evidence bundle of a case: a WARC that warcio accepts, whose payloads are the
stored bodies and match the manifest; the pages rendered offline as they were
stored (the title visible, no script run, nothing fetched); the same bytes twice."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from core.config import Settings
from core.evidence_settings import EvidenceSettings
from pipeline.cli import app
from pipeline.evidence.bundle import build_bundle
from pipeline.evidence.capture import capture_pending, stored_render
from pipeline.evidence.warc import warc_date
from storage.db import Database, make_engine, upgrade
from storage.snapshots import load_snapshot
from tests.pipeline.evidence_pages import (
    FETCHED,
    TITLE_BAND,
    EvidenceCase,
    counting_server,
    seed_case,
)
from tests.pipeline.helpers import write_config

WARCIO = str(Path(sys.executable).with_name("warcio"))
NOW = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)
needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="needs the system Chromium (apt install chromium)"
)


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    """For the rendering test alone: what Chromium draws does not depend on the
    database, so its renders run once rather than once per database."""
    database = Database(make_engine(f"sqlite:///{tmp_path / 'render.db'}"))
    upgrade(database.engine)
    yield database
    database.dispose()


def _without_chromium(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"evidence": EvidenceSettings(chromium="/nonexistent/chromium")}
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_files(folder: Path, manifest: dict[str, Any]) -> None:
    listed = {f["path"]: f for f in manifest["files"]}
    on_disk = {p.name for p in folder.iterdir()} - {"manifest.json"}
    assert set(listed) == on_disk
    for name, entry in listed.items():
        assert entry["sha256"] == _sha256(folder / name), name
        assert entry["size"] == (folder / name).stat().st_size


def _records(path: Path) -> list[tuple[str, dict[str, str], bytes]]:
    found = []
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle):
            headers = dict(record.rec_headers.headers)
            found.append((record.rec_type, headers, record.content_stream().read()))
    return found


def test_the_warc_passes_warcio_and_its_payloads_match_the_manifest(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    seeded = seed_case(database, settings, port=9)
    bundle = build_bundle(
        _without_chromium(settings), database, seeded.case_id, tmp_path / "out", "lan", now=NOW
    )
    folder = tmp_path / "out" / f"case-{seeded.case_id}"
    assert bundle.folder == folder
    warc = folder / f"case-{seeded.case_id}.warc.gz"
    assert sorted(p.name for p in folder.iterdir()) == sorted(["manifest.json", warc.name])

    checked = subprocess.run([WARCIO, "check", "-v", str(warc)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("digest pass") == 8 and "fail" not in checked.stdout
    fields = "warc-type,warc-target-uri,warc-date"
    indexed = subprocess.run(
        [WARCIO, "index", "-f", fields, str(warc)], capture_output=True, text=True, check=True
    )
    index = [json.loads(line) for line in indexed.stdout.splitlines()]
    assert [row["warc-type"] for row in index] == [
        "warcinfo", *["request", "response"] * 3, "metadata"
    ]  # fmt: skip
    # Oldest first; the foreign copy under the URL it was served from (after a redirect).
    assert [row.get("warc-target-uri") for row in index[2:7:2]] == [
        "https://news.example/baoquangtri/lu",
        "https://foreign.example/flood",
        "https://news.example/baoquangtri/lu",
    ]
    assert index[2]["warc-date"] == warc_date(FETCHED) == "2026-11-25T03:00:00Z"

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == bundle.manifest
    _check_files(folder, manifest)
    assert manifest["case"]["id"] == seeded.case_id and manifest["exported_by"] == "lan"
    assert manifest["tool"].startswith("presswatch ")
    by_id = {s["snapshot_id"]: s for s in manifest["snapshots"]}
    assert set(by_id) == {seeded.original, seeded.edited, seeded.foreign}  # not the unrelated
    for snapshot_id, entry in by_id.items():
        assert entry["payload_sha256"] == hashlib.sha256(seeded.bodies[snapshot_id]).hexdigest()
    assert manifest["screenshots"]["taken"] == 0 and manifest["screenshots"]["missing"] == 3
    assert "no Chromium" in manifest["screenshots"]["missing_reason"]
    assert all("no Chromium" in s["render_error"] for s in manifest["snapshots"])

    records = _records(warc)
    ids = {headers["WARC-Record-ID"]: (kind, headers) for kind, headers, _ in records}
    responses = [(h, body) for kind, h, body in records if kind == "response"]
    for headers, body in responses:
        entry = next(
            s for s in manifest["snapshots"] if s["response_record_id"] == headers["WARC-Record-ID"]
        )
        # Read as a replay tool reads it: the stored body, byte for byte, even for the
        # reply stored with gzip and chunked headers (they are kept as X-Archive-Orig-*).
        assert hashlib.sha256(body).hexdigest() == entry["payload_sha256"]
        request_kind, request = ids[headers["WARC-Concurrent-To"]]
        assert request_kind == "request"
        assert request["WARC-Concurrent-To"] == headers["WARC-Record-ID"]
    _, metadata_headers, payload = records[-1]
    metadata = json.loads(payload)
    assert metadata_headers["WARC-Record-ID"] == manifest["warc"]["metadata_record_id"]
    assert metadata["case_id"] == seeded.case_id and metadata["exported_by"] == "lan"
    assert metadata["exported_at"] == NOW.isoformat()
    assert {p["snapshot_id"]: p["payload_sha256"] for p in metadata["payloads"]} == {
        i: s["payload_sha256"] for i, s in by_id.items()
    }


def test_the_foreign_reply_keeps_its_wire_headers_aside(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    seeded = seed_case(database, settings, port=9)
    bundle = build_bundle(_without_chromium(settings), database, seeded.case_id, tmp_path, "lan")
    with bundle.warc_path.open("rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type == "response" and "foreign" in record.rec_headers["WARC-Target-URI"]:
                http = record.http_headers
                assert http.get_header("Content-Encoding") is None
                assert http.get_header("Transfer-Encoding") is None
                assert http.get_header("X-Archive-Orig-content-encoding") == "gzip"
                assert http.get_header("Content-Length") == str(len(seeded.bodies[seeded.foreign]))
                assert record.content_stream().read() == seeded.bodies[seeded.foreign]
                return
    raise AssertionError("no response record of the foreign copy")


def test_exporting_twice_gives_the_same_bundle(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    seeded = seed_case(database, settings, port=9)
    quiet = _without_chromium(settings)

    def export(now: dt.datetime) -> tuple[dict[str, bytes], bytes]:
        bundle = build_bundle(
            quiet, database, seeded.case_id, tmp_path, "lan", make_zip=True, now=now
        )
        assert bundle.zip_path is not None
        return {
            p.name: p.read_bytes() for p in bundle.folder.iterdir()
        }, bundle.zip_path.read_bytes()

    first, first_zip = export(NOW)
    again, again_zip = export(NOW)
    assert again == first and again_zip == first_zip
    with zipfile.ZipFile(io.BytesIO(first_zip)) as archive:
        assert sorted(archive.namelist()) == sorted(f"case-{seeded.case_id}/{n}" for n in first)
    assert not list(tmp_path.glob(".case-*"))  # no staging folder left behind
    later, _ = export(NOW + dt.timedelta(hours=1))
    manifests = [json.loads(files["manifest.json"]) for files in (first, later)]
    assert manifests[0]["exported_at"] != manifests[1]["exported_at"]
    # Only the export time moved: the same records of the same snapshots.
    assert manifests[0]["snapshots"] == manifests[1]["snapshots"]


@needs_chromium
def test_pages_are_rendered_offline_as_stored(
    sqlite_database: Database, settings: Settings, tmp_path: Path
) -> None:
    database = sqlite_database
    with counting_server() as server:
        seeded = seed_case(database, settings, server.port)
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/probe", timeout=5) as r:
            assert r.read() == b"ok"  # the server answers: zero requests below means something
        server.requests.clear()

        # Flag time: the snapshot each article of the open case was extracted from.
        captured = capture_pending(settings, database)
        assert (captured.rendered, captured.failed, captured.skipped_reason) == (2, 0, None)
        assert capture_pending(settings, database).rendered == 0  # done once
        kept = {
            i: json.loads((settings.data_dir / "evidence" / f"{i}.json").read_text())
            for i in (seeded.original, seeded.foreign)
        }
        bundle = build_bundle(settings, database, seeded.case_id, tmp_path / "out", "lan")
        assert server.requests == []

    manifest = bundle.manifest
    _check_files(bundle.folder, manifest)
    assert manifest["screenshots"] == {"taken": 3, "missing": 0, "missing_reason": None}
    by_id = {s["snapshot_id"]: s for s in manifest["snapshots"]}
    for snapshot_id, info in kept.items():  # the flag-time renders are what the bundle holds
        assert by_id[snapshot_id]["rendered_at"] == info["rendered_at"]
        assert _sha256(bundle.folder / f"snapshot-{snapshot_id}.png") == info["png_sha256"]
    for snapshot_id in by_id:
        assert (bundle.folder / f"snapshot-{snapshot_id}.pdf").read_bytes().startswith(b"%PDF")

    def dark_share(snapshot_id: int, box: tuple[int, int, int, int]) -> float:
        image = Image.open(bundle.folder / f"snapshot-{snapshot_id}.png").convert("L")
        region = image.crop(box)
        dark = sum(region.histogram()[:100])  # grey levels 0-99
        return dark / (region.width * region.height)

    image = Image.open(bundle.folder / f"snapshot-{seeded.original}.png")
    assert image.size == (1280, 2000)
    low, high = image.convert("L").getextrema()  # one band: (min, max)
    assert isinstance(low, int) and isinstance(high, int)
    assert low < 50 and high > 240  # not blank
    # The big black title is there; the same page without it leaves that band white.
    assert dark_share(seeded.original, TITLE_BAND) > 0.03
    assert dark_share(seeded.edited, TITLE_BAND) < 0.001
    # Every script would have painted the page black: none ran.
    assert dark_share(seeded.original, (0, 700, 1280, 2000)) == 0


def test_a_render_is_reused_only_for_the_same_page(database: Database, settings: Settings) -> None:
    """A data folder kept across a new database sees snapshot ids again from 1: a
    render of another page under the same id is never handed over."""
    seeded = seed_case(database, settings, port=9)
    with database.read_session() as session:
        snapshot = load_snapshot(session, seeded.original)
    folder = settings.data_dir / "evidence"
    folder.mkdir(parents=True)
    for suffix in ("png", "pdf"):
        (folder / f"{seeded.original}.{suffix}").write_bytes(suffix.encode())
    info = {"png_sha256": _sha256(folder / f"{seeded.original}.png")}
    info["pdf_sha256"] = _sha256(folder / f"{seeded.original}.pdf")
    sidecar = folder / f"{seeded.original}.json"
    sidecar.write_text(json.dumps({**info, "body_sha256": "0" * 64}))
    assert stored_render(settings, snapshot) is None
    body_sha256 = hashlib.sha256(snapshot.body).hexdigest()
    sidecar.write_text(json.dumps({**info, "body_sha256": body_sha256}))
    found = stored_render(settings, snapshot)
    assert found is not None and found.png.read_bytes() == b"png"


def test_flag_time_capture_without_chromium_says_why(
    database: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    seed_case(database, settings, port=9)
    with caplog.at_level(logging.INFO, logger="pipeline.evidence.capture"):
        stats = capture_pending(_without_chromium(settings), database)
    assert stats.rendered == 0 and stats.skipped_reason is not None
    assert "/nonexistent/chromium" in stats.skipped_reason
    assert "screenshots at flag time skipped" in caplog.text
    off = settings.model_copy(update={"evidence": EvidenceSettings(screenshots_at_flag=False)})
    assert capture_pending(off, database).skipped_reason is None
    assert not (settings.data_dir / "evidence").exists()


def test_the_command_writes_the_bundle_and_refuses_an_unknown_case(
    database: Database, db_settings: Settings, database_url: str, tmp_path: Path
) -> None:
    seeded: EvidenceCase = seed_case(database, db_settings, port=9)
    config = tmp_path / "config.yaml"
    write_config(_without_chromium(db_settings), config, database_url)
    runner = CliRunner()
    out = tmp_path / "bundles"
    result = runner.invoke(
        app,
        ["-c", str(config), "cases", "evidence", str(seeded.case_id), "-o", str(out), "--zip"],
        env={"PRESSWATCH_USER": "lan"},
    )
    assert result.exit_code == 0, result.output
    assert f"evidence of case #{seeded.case_id}: 3 snapshot(s), 0 screenshot(s)" in result.output
    assert "screenshots missing: no Chromium" in result.output
    manifest = json.loads((out / f"case-{seeded.case_id}" / "manifest.json").read_text())
    assert manifest["exported_by"] == "lan"
    assert (out / f"case-{seeded.case_id}.zip").is_file()
    result = runner.invoke(app, ["-c", str(config), "cases", "evidence", "999", "-o", str(out)])
    assert result.exit_code == 2
    assert "no case #999" in result.output
    assert not (out / "case-999").exists()
