"""Snapshots are served as stored, inert, outside the session cookie's reach."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.record import Snapshot
from pipeline.web.security import EvidenceTokens
from storage.db import Database
from storage.snapshots import save_snapshot
from tests.web.conftest import SECRET
from tests.web.seed import SNAPSHOT_HTML, Seeded


def _evidence_url(client: TestClient, case_id: int) -> str:
    page = client.get(f"/app/cases/{case_id}").text
    match = re.search(r'src="(/evidence/\d+\?token=[^"]+)"', page)
    assert match
    return match.group(1).replace("&amp;", "&")


def test_snapshot_is_served_sandboxed(
    client_for: Callable[[str], TestClient], seeded: Seeded, anon: TestClient
) -> None:
    url = _evidence_url(client_for("viewer"), seeded.case_id)
    # Fetched without any session (the cookie never reaches /evidence): the token is enough.
    response = anon.get(url)
    assert response.status_code == 200
    assert response.content == SNAPSHOT_HTML
    csp = response.headers["content-security-policy"]
    assert csp.startswith("sandbox;") and "default-src 'none'" in csp
    assert "script-src" not in csp and "allow-scripts" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert "set-cookie" not in response.headers


def test_bad_expired_or_foreign_tokens_are_refused(anon: TestClient, seeded: Seeded) -> None:
    sid = seeded.snapshot_id
    assert anon.get(f"/evidence/{sid}").status_code == 403
    assert anon.get(f"/evidence/{sid}?token=forged").status_code == 403
    other_key = EvidenceTokens("some other key").mint(sid)
    assert anon.get(f"/evidence/{sid}?token={other_key}").status_code == 403
    for_other_snapshot = EvidenceTokens(SECRET).mint(sid + 1)
    assert anon.get(f"/evidence/{sid}?token={for_other_snapshot}").status_code == 403
    expired = EvidenceTokens(SECRET, max_age=-1)
    assert not expired.check(expired.mint(sid), sid)


def test_non_html_snapshots_are_shown_as_text(
    app: FastAPI, anon: TestClient, database: Database
) -> None:
    with database.session() as session:
        sid = save_snapshot(
            session,
            Snapshot(
                url="https://x.example/a.svg",
                final_url="https://x.example/a.svg",
                status=200,
                body=b"<svg onload=alert(1)></svg>",
                headers={"content-type": "image/svg+xml"},
            ),
        )
    token = EvidenceTokens(SECRET).mint(sid)
    response = anon.get(f"/evidence/{sid}?token={token}")
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-security-policy"].startswith("sandbox;")
