"""Host allow-list, ids too long for any key, and the same security headers on every
answer (errors included), HSTS behind HTTPS, a Permissions-Policy; digest links."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from core.config import Settings
from pipeline.process.analyse import run_process
from pipeline.reports.digest import build_digest, web_link
from pipeline.web.app import create_app
from storage.db import Database
from storage.models import ArticleRow
from storage.sources import sync_sources
from tests.pipeline.helpers import NOW, ScriptedAnalyzer, store_article
from tests.web.conftest import SECRET, token, with_test_host

HUGE = "9999999999999999999999999"
ID_ROUTES = [
    f"/app/cases/{HUGE}",
    f"/app/articles/{HUGE}",
    f"/app/reports/digests/{HUGE}/html",
    f"/app/reports/exports/{HUGE}",
    f"/evidence/{HUGE}?token=x",
    "/app/cases/0",
    "/app/cases/abc",
]


def assert_security_headers(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert "default-src 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]
    assert headers["cache-control"] == "no-store"


def test_a_forged_host_is_refused_before_any_redirect(anon: TestClient) -> None:
    response = anon.get("/app", headers={"host": "evil.example"})
    assert response.status_code == 400 and "evil.example" not in response.headers.get(
        "location", ""
    )
    assert_security_headers(response)
    ok = anon.get("/app", headers={"host": "127.0.0.1:8000"})
    assert ok.status_code == 303 and ok.headers["location"] == "/app/"


def test_the_bind_address_and_configured_names_are_allowed(
    settings: Settings, database: Database
) -> None:
    web = settings.web.model_copy(
        update={"host": "192.0.2.10", "allowed_hosts": ["presswatch.example.gov.vn"]}
    )
    app = create_app(settings.model_copy(update={"web": web}), database, SECRET)
    with TestClient(app, follow_redirects=False) as client:
        for host, status in (
            ("presswatch.example.gov.vn", 303),
            ("192.0.2.10:8000", 303),
            ("localhost", 400),
        ):
            assert client.get("/", headers={"host": host}).status_code == status


@pytest.mark.parametrize("path", ID_ROUTES)
def test_an_id_that_names_nothing_is_404_with_the_headers(
    client_for: Callable[[str], TestClient], path: str
) -> None:
    response = client_for("admin").get(path)
    assert response.status_code == 404, response.text
    assert_security_headers(response)


def test_posting_to_an_oversized_case_id_is_404(client_for: Callable[[str], TestClient]) -> None:
    client = client_for("analyst")
    response = client.post(f"/app/cases/{HUGE}/take", data={"csrf_token": token(client)})
    assert response.status_code == 404
    assert_security_headers(response)


def test_an_unexpected_error_is_500_with_the_headers(app: FastAPI) -> None:
    def boom() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/app/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/app/boom")
    assert response.status_code == 500 and "boom" not in response.text
    assert_security_headers(response)


def test_hsts_only_with_secure_cookies(settings: Settings, database: Database) -> None:
    for secure in (False, True):
        app = create_app(with_test_host(settings), database, SECRET, secure_cookies=secure)
        with TestClient(app) as client:
            headers = client.get("/app/login").headers
        assert ("strict-transport-security" in headers) is secure
        assert "camera=()" in headers["permissions-policy"]


@pytest.mark.parametrize(
    ("url", "written"),
    [
        ("https://baoquangtri.vn/a", True),
        ("HTTP://example.test/b", True),
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("vbscript:x", False),
        ("//evil.example/x", False),
        ("http:alert", False),
    ],
)
def test_only_http_links_are_written(url: str, written: bool) -> None:
    assert (web_link(url) != "") is written


def test_a_javascript_link_never_reaches_the_digest_file(
    database: Database, settings: Settings
) -> None:
    with database.session() as session:
        sync_sources(session, settings.sources)
    article, _ = store_article(
        database, title="Lũ", new_story_title="lũ", text="Lũ. SCORE=0.8", fetched_at=NOW
    )
    with database.session() as session:
        session.execute(
            update(ArticleRow)
            .where(ArticleRow.id == article)
            .values(url="javascript:alert(document.cookie)")
        )
    run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    result = build_digest(settings, database, dt.date(2026, 11, 25))
    html = result.html_path.read_text(encoding="utf-8").lower()
    text = result.text_path.read_text(encoding="utf-8").lower()
    assert "lũ" in html and "javascript:" not in html and "javascript:" not in text
