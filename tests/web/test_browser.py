"""End to end in the system Chromium: log in, triage and close a case, and prove
that hostile article text runs nothing anywhere in the app."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.config import Settings
from pipeline.web.app import create_app
from storage.cases import get_case
from storage.db import Database, make_engine, upgrade
from tests.web.seed import PASSWORD, PAYLOAD_SENTENCE, USERS, Seeded, seed

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Server:
    url: str
    database: Database
    seeded: Seeded


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = "system Chromium not installed (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it: never skip silently there
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[Server]:
    import uvicorn

    database = Database(make_engine(f"sqlite:///{tmp_path / 'browser.db'}"))
    upgrade(database.engine)
    seeded = seed(database, settings)
    app = create_app(settings, database, "browser-test-secret")
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield Server(url=f"http://127.0.0.1:{port}", database=database, seeded=seeded)
    uv.should_exit = True
    thread.join(timeout=10)
    database.dispose()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _log_in(page: Any, server: Server, role: str) -> None:
    page.goto(f"{server.url}/app/")
    assert page.url.endswith("/app/login")
    page.fill("input[name=username]", USERS[role])
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/app/login'] button[type=submit]")
    page.wait_for_url(f"{server.url}/app/")


def test_log_in_triage_and_close_a_case(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.accept()  # the "close this case?" confirmation

    page.on("dialog", on_dialog)
    _log_in(page, server, "analyst")
    assert page.locator("#n-cases").inner_text() == "2"

    case_id = server.seeded.case_id
    row = f"tr[data-case='{case_id}']"
    page.goto(f"{server.url}/app/queue")
    page.evaluate("() => { window.__stay = 1 }")
    page.click(f"{row} button.take")
    expect(page.locator(row)).to_contain_text(USERS["analyst"])
    expect(page.locator(f"{row} button.take")).to_have_count(0)
    expect(page.locator("main > .flash")).to_contain_text("Đã lưu")
    assert page.evaluate("() => window.__stay") == 1  # swapped in place, no reload

    page.click(f"{row} a")
    page.wait_for_url(f"**/app/cases/{case_id}")
    assert page.locator("mark.flag").first.is_visible()
    page.select_option("#form-status select[name=status]", "in_progress")
    page.click("#form-status button")
    expect(page.locator("#case-status")).to_contain_text("Đang xử lý")
    page.fill("#form-note textarea", "Đã liên hệ tòa soạn để đính chính.")
    page.click("#form-note button")
    expect(page.locator("#audit")).to_contain_text("Đã liên hệ tòa soạn")
    page.fill("#form-response textarea", "https://quangtri.gov.vn/dinh-chinh")
    page.click("#form-response button")
    expect(page.locator("#case-response")).to_contain_text("dinh-chinh")
    page.select_option("#form-close select[name=resolution]", "responded")
    page.click("#form-close button")
    expect(page.locator("#case-resolution")).to_contain_text("Đã phản hồi")
    assert dialogs == ["Đóng vụ việc này?"]
    expect(page.locator("#form-close")).to_have_count(0)

    page.reload()  # what the server stored, not what the page patched in
    trail = page.locator("#audit tbody tr").all_inner_texts()
    assert any("Đã đóng" in row and USERS["analyst"] in row for row in trail)
    with server.database.session() as session:
        detail = get_case(session, case_id)
    assert detail.case.status == "closed" and detail.case.resolution == "responded"
    assert {e.actor for e in detail.events if e.action != "opened"} == {USERS["analyst"]}


def test_dismissing_the_close_confirmation_keeps_the_case_open(page: Any, server: Server) -> None:
    page.on("dialog", lambda dialog: dialog.dismiss())
    _log_in(page, server, "analyst")
    page.goto(f"{server.url}/app/cases/{server.seeded.case_id}")
    page.click("#form-close button")
    page.wait_for_timeout(300)
    with server.database.session() as session:
        assert get_case(session, server.seeded.case_id).case.status == "new"


def test_forms_work_without_javascript(browser: Any, server: Server) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        _log_in(page, server, "analyst")
        page.goto(f"{server.url}/app/cases/{server.seeded.case_id}")
        page.fill("#form-note textarea", "ghi chú không cần JavaScript")
        page.click("#form-note button")
        page.wait_for_url(f"**/app/cases/{server.seeded.case_id}")
        expect(page.locator("#audit")).to_contain_text("ghi chú không cần JavaScript")
    finally:
        context.close()


def test_hostile_article_runs_nothing(page: Any, server: Server) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _log_in(page, server, "admin")
    s = server.seeded
    paths = [
        f"/app/articles/{s.payload_article}",
        f"/app/cases/{s.payload_case}",
        f"/app/cases/{s.case_id}",  # carries the evidence iframe with a script in it
        "/app/articles",
        "/app/queue",
        "/app/",
    ]
    for path in paths:
        page.goto(server.url + path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(150)
        for frame in page.frames:
            try:
                pwned = frame.evaluate("() => window.__pwned")
            except Exception:  # an opaque sandboxed frame refuses evaluation: nothing ran in it
                pwned = None
            assert pwned is None, (path, frame.url, pwned)
        assert page.evaluate("() => window.__pwned") is None, path
    assert dialogs == []

    # The payload is shown as text, not dropped.
    page.goto(f"{server.url}/app/articles/{s.payload_article}")
    assert "<script>" in page.locator("#article-title").inner_text()
    assert PAYLOAD_SENTENCE.split(">")[0] in page.locator("#article-text").inner_text()
    assert page.locator("#article-text script, #article-text img, #article-text svg").count() == 0


def test_evidence_frame_is_sandboxed_and_cookieless(page: Any, server: Server) -> None:
    _log_in(page, server, "viewer")
    page.goto(f"{server.url}/app/cases/{server.seeded.case_id}")
    # The frame renders the stored page (framing by our own page is allowed).
    evidence_frame = page.frame_locator("iframe.evidence")
    assert evidence_frame.locator("h1").inner_text() == "Tin gôc"
    frame_src = page.locator("iframe.evidence").get_attribute("src")
    assert frame_src and frame_src.startswith("/evidence/")
    seen: dict[str, str] = {}
    page.on(
        "request", lambda request: seen.setdefault(request.url, request.headers.get("cookie", ""))
    )
    page.goto(server.url + frame_src)
    assert "Tin gôc" in page.content()
    assert page.evaluate("() => window.__pwned") is None
    assert all(
        "presswatch_session" not in cookie for url, cookie in seen.items() if "/evidence/" in url
    )
    cookies = page.context.cookies()
    session = [c for c in cookies if c["name"] == "presswatch_session"]
    assert session and session[0]["path"] == "/app" and session[0]["httpOnly"]
    assert session[0]["sameSite"] == "Strict"


def test_english_user_gets_english_pages(page: Any, server: Server) -> None:
    _log_in(page, server, "viewer")
    page.goto(f"{server.url}/app/account")
    page.select_option("#form-language select", "en")
    page.click("#form-language button")
    page.wait_for_load_state()
    page.goto(f"{server.url}/app/queue")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Queue"
