"""The admin pages that add and edit narratives in config.yaml (a private copy)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.config import Settings
from core.loading import load_settings
from pipeline.web.app import create_app
from pipeline.web.deps import WebState
from storage.db import Database
from tests.conftest import OFFICE_CONFIG
from tests.web.conftest import SECRET, log_in, with_test_host
from tests.web.seed import USERS, Seeded, csrf_from

LIST = "/app/admin/narratives"


@pytest.fixture
def config_copy(tmp_path: Path) -> Path:
    path = tmp_path / "office" / "config.yaml"
    path.parent.mkdir()
    shutil.copy(OFFICE_CONFIG, path)
    return path


@pytest.fixture
def editable_app(
    settings: Settings, database: Database, seeded: Seeded, config_copy: Path
) -> FastAPI:
    return create_app(
        with_test_host(settings.model_copy(update={"path": config_copy})), database, SECRET
    )


@pytest.fixture
def as_role(editable_app: FastAPI) -> Iterator[dict[str, TestClient]]:
    clients = {}
    for role in ("admin", "analyst"):
        client = TestClient(editable_app, follow_redirects=False)
        client.__enter__()
        log_in(client, USERS[role])
        clients[role] = client
    yield clients
    for client in clients.values():
        client.__exit__(None, None, None)


def _form(page: str) -> dict[str, str]:
    import re

    sha = re.search(r'name="config_sha256" value="([0-9a-f]{64})"', page)
    assert sha, "no config hash on the form"
    return {"csrf_token": csrf_from(page), "config_sha256": sha.group(1)}


NEW = {
    "id": "bridge-collapsed",
    "statement_vi": "Cầu Nhật Lệ 2 đã sập",
    "statement_en": "The Nhat Le 2 bridge collapsed",
    "topics": ["administration"],
    "subjects": "cầu Nhật Lệ 2\nNhat Le 2 bridge",
    "examples_vi": "Cầu Nhật Lệ 2 sập từ tuần trước.\n\nKhông ai đưa tin vụ sập cầu.",
    "examples_en": "The Nhat Le 2 bridge fell last week.",
}


def test_admin_adds_and_edits_a_narrative(
    as_role: dict[str, TestClient], editable_app: FastAPI, config_copy: Path
) -> None:
    admin = as_role["admin"]
    listing = admin.get(LIST)
    assert listing.status_code == 200
    assert (
        "Thêm luận điệu" in listing.text and 'data-narrative="airport-sold-abroad"' in listing.text
    )
    page = admin.get(f"{LIST}/new")
    saved = admin.post(f"{LIST}/new", data={**_form(page.text), **NEW})
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == LIST
    on_disk = load_settings(config_copy)
    added = next(n for n in on_disk.narratives if n.id == "bridge-collapsed")
    assert added.examples_vi == ["Cầu Nhật Lệ 2 sập từ tuần trước.", "Không ai đưa tin vụ sập cầu."]
    assert added.subjects == ["cầu Nhật Lệ 2", "Nhat Le 2 bridge"]
    # The running app names the new narrative at once (its settings took the file's list).
    web = editable_app.state.web
    assert isinstance(web, WebState)
    assert "bridge-collapsed" in [n.id for n in web.settings.narratives]
    listing = admin.get(LIST)
    assert "Đã lưu luận điệu" in listing.text
    assert 'id="narrative-history"' in listing.text and "root" in listing.text

    edit = admin.get(f"{LIST}/bridge-collapsed/edit")
    assert edit.status_code == 200 and "Cầu Nhật Lệ 2 sập từ tuần trước." in edit.text
    fields = {**NEW, "statement_en": "The bridge did not collapse, it was closed"}
    fields.pop("id")
    saved = admin.post(f"{LIST}/bridge-collapsed/edit", data={**_form(edit.text), **fields})
    assert saved.status_code == 303, saved.text
    edited = next(n for n in load_settings(config_copy).narratives if n.id == "bridge-collapsed")
    assert edited.statement_en == "The bridge did not collapse, it was closed"
    assert len(list((config_copy.parent / "config-history").glob("config-*-root.yaml"))) == 2


def test_invalid_and_stale_edits_are_refused_in_the_form(
    as_role: dict[str, TestClient], config_copy: Path
) -> None:
    admin = as_role["admin"]
    before = config_copy.read_bytes()
    page = admin.get(f"{LIST}/new")
    refused = admin.post(
        f"{LIST}/new", data={**_form(page.text), **NEW, "topics": ["no-such-topic"]}
    )
    assert refused.status_code == 400
    assert "unknown topic" in refused.text and 'id="narrative-errors"' in refused.text
    assert config_copy.read_bytes() == before

    opened = admin.get(f"{LIST}/airport-sold-abroad/edit")
    other = admin.post(f"{LIST}/new", data={**_form(admin.get(f"{LIST}/new").text), **NEW})
    assert other.status_code == 303
    changed = config_copy.read_bytes()
    fields = {k: v for k, v in NEW.items() if k != "id"}
    late = admin.post(f"{LIST}/airport-sold-abroad/edit", data={**_form(opened.text), **fields})
    assert late.status_code == 409
    assert "Cấu hình đã thay đổi từ khi bạn mở trang" in late.text
    assert config_copy.read_bytes() == changed


def test_analyst_gets_403_and_csrf_is_checked(
    as_role: dict[str, TestClient], config_copy: Path
) -> None:
    before = config_copy.read_bytes()
    analyst = as_role["analyst"]
    for url in (LIST, f"{LIST}/new", f"{LIST}/airport-sold-abroad/edit"):
        assert analyst.get(url).status_code == 403
    token = csrf_from(analyst.get("/app/account").text)
    data = {"csrf_token": token, "config_sha256": "0" * 64, **NEW}
    assert analyst.post(f"{LIST}/new", data=data).status_code == 403
    admin = as_role["admin"]
    page = admin.get(f"{LIST}/new")
    forged = {**_form(page.text), **NEW, "csrf_token": "forged"}
    assert admin.post(f"{LIST}/new", data=forged).status_code == 403
    assert config_copy.read_bytes() == before
