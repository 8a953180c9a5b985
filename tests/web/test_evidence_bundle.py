"""The case page's evidence bundle: a ZIP for anyone who may read the case, exported
under their name, behind the CSRF token like every POST."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from tests.web.conftest import token
from tests.web.seed import SNAPSHOT_HTML, USERS, Seeded


def _bundle_form(page: str) -> str:
    match = re.search(r'<form method="post" action="(/app/cases/\d+/evidence\.zip)"', page)
    assert match, "no evidence bundle form on the case page"
    return match.group(1)


def _left_behind() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("presswatch-bundle-*"))


def test_a_viewer_downloads_the_bundle_of_a_case(
    client_for: Callable[[str], TestClient], seeded: Seeded
) -> None:
    client = client_for("viewer")
    page = client.get(f"/app/cases/{seeded.case_id}").text
    action = _bundle_form(page)
    assert action == f"/app/cases/{seeded.case_id}/evidence.zip"
    assert "Tải gói bằng chứng (ZIP)" in page  # the viewer's language: Vietnamese
    before = _left_behind()
    response = client.post(action, data={"csrf_token": token(client)})
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"] == "application/zip"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment") and f"case-{seeded.case_id}" in disposition
    assert _left_behind() == before  # the temporary folder went with the response

    folder = f"case-{seeded.case_id}"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        files = {name.removeprefix(f"{folder}/"): archive.read(name) for name in archive.namelist()}
    manifest = json.loads(files.pop("manifest.json"))
    assert manifest["case"]["id"] == seeded.case_id
    assert manifest["exported_by"] == USERS["viewer"]
    assert {f["path"] for f in manifest["files"]} == set(files)
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["path"]]).hexdigest() == entry["sha256"]
    (snapshot,) = manifest["snapshots"]
    assert snapshot["snapshot_id"] == seeded.snapshot_id
    assert snapshot["payload_sha256"] == hashlib.sha256(SNAPSHOT_HTML).hexdigest()
    assert f"{folder}.warc.gz" in files
    if shutil.which("chromium"):
        assert files[f"snapshot-{seeded.snapshot_id}.png"].startswith(b"\x89PNG")
        assert files[f"snapshot-{seeded.snapshot_id}.pdf"].startswith(b"%PDF")
    else:
        assert "no Chromium" in manifest["screenshots"]["missing_reason"]


def test_the_bundle_needs_the_token_a_session_and_a_case(
    client_for: Callable[[str], TestClient], seeded: Seeded, anon: TestClient
) -> None:
    client = client_for("viewer")
    action = f"/app/cases/{seeded.case_id}/evidence.zip"
    forged = client.post(action, data={"csrf_token": "x" * 43})
    assert forged.status_code == 403
    assert forged.headers["content-type"] != "application/zip"
    assert client.post(action, data={}).status_code == 403
    # No session, no bundle: the login page (an anonymous POST has no token either).
    assert anon.post(action, data={"csrf_token": token(client)}).status_code in (303, 403)
    missing = client.post("/app/cases/999999/evidence.zip", data={"csrf_token": token(client)})
    assert missing.status_code == 404
