"""Layout found wrong on the screenshots, checked in the system Chromium at the two
widths the office uses (1366 px desks, 390 px phones), and the bulk "take" that asks
before taking over a colleague's cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pipeline.review import workflow
from storage.cases import get_case
from storage.reports import record_digest, record_export
from tests.web.seed import USERS
from tests.web.test_browser import Server, _log_in, browser, page, server  # noqa: F401 -- fixtures

pytestmark = pytest.mark.browser

# Words of `selector` that a line break cuts in two ("Tổn|g", "02/12/202|6").
BROKEN_WORDS = """(selector) => {
  const broken = [];
  document.querySelectorAll(selector).forEach((element) => {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set(Array.from(range.getClientRects())
          .filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (tops.size > 1) { broken.push(match[0]); }
      }
    }
  });
  return broken;
}"""

# How many lines each element of `selector` takes.
LINES = """(selector) => Array.from(document.querySelectorAll(selector)).map((element) => {
  const range = document.createRange();
  range.selectNodeContents(element);
  const tops = Array.from(range.getClientRects()).filter((r) => r.width > 0)
    .map((r) => r.top).sort((a, b) => a - b);
  // A smaller inline (the unread count) starts a little lower on the same line.
  return tops.filter((top, i) => i === 0 || top - tops[i - 1] > 8).length;
})"""


def _context(browser: Any, width: int) -> Any:  # noqa: F811 -- the fixture, passed on
    return browser.new_context(
        locale="vi-VN", viewport={"width": width, "height": 844 if width < 800 else 900}
    )


def test_no_word_badge_or_date_is_cut_at_desk_width(browser: Any, server: Server) -> None:  # noqa: F811
    context = _context(browser, 1366)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    try:
        _log_in(tab, server, "analyst")
        for path in (
            "/app/queue?status=all",
            "/app/articles?q=quang+binh&scope=all",
            "/app/articles?scope=all",
            "/app/trends",
            f"/app/cases/{server.seeded.case_id}",
        ):
            tab.goto(f"{server.url}{path}")
            # Dates by column (the first of the article list, the opening time in the queue).
            dates = "#articles td:first-child, #queue td:nth-child(9), #audit td:first-child"
            selector = f"table.data th, {dates}, .badge, .tag, table.data button"
            assert tab.evaluate(BROKEN_WORDS, selector) == [], path
            assert set(tab.evaluate(LINES, ".badge, .tag, table.data button")) <= {1}, path
        # The closing form has room for the response it asks for (not a 300 px column).
        close = tab.locator("#form-close fieldset").bounding_box()
        assert close and close["width"] > 600, close
    finally:
        context.close()


def test_phone_header_filters_and_cards(browser: Any, server: Server) -> None:  # noqa: F811
    context = _context(browser, 390)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    try:
        _log_in(tab, server, "analyst")
        tab.goto(f"{server.url}/app/articles?q=quang+binh&scope=all")
        # "Thông báo 4", "anh (Chuyên viên)", "Đăng xuất": each on one line.
        assert set(tab.evaluate(LINES, "header.top .who > *")) == {1}
        # Filters two to a row, so the results start on the first screen or so.
        boxes = [
            tab.locator(f"#article-search select[name={n}]").bounding_box()
            for n in ("source", "topic")
        ]
        assert boxes[0] and boxes[1] and abs(boxes[0]["y"] - boxes[1]["y"]) < 2
        assert boxes[1]["x"] > boxes[0]["x"] + boxes[0]["width"]
        with server.database.session() as session:
            record_digest(session, dt.date(2026, 11, 25), "vi", "/nonexistent.html", "/none.txt")
            record_export(session, "2026-W48", "/nonexistent.csv", 12)
        tab.goto(f"{server.url}/app/reports")
        dates = "#digests td:first-child, #exports td:nth-child(3), table.data th"
        assert tab.evaluate(BROKEN_WORDS, dates) == []
        tab.context.clear_cookies()
        _log_in(tab, server, "admin")
        tab.goto(f"{server.url}/app/admin/sources")
        # A card shows no label without a value ("Lỗi gần nhất:" and nothing).
        empty = tab.locator("#sources td:empty")
        assert empty.count() > 0
        assert all(not empty.nth(i).is_visible() for i in range(empty.count()))
    finally:
        context.close()


def test_bulk_take_asks_before_taking_a_colleagues_cases(page: Any, server: Server) -> None:  # noqa: F811
    seeded, colleague = server.seeded, USERS["admin"]
    with server.database.session() as session:
        workflow.assign_case(session, seeded.payload_case, colleague, colleague)
    dialogs: list[str] = []
    answer = {"accept": False}

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        if answer["accept"]:
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", on_dialog)
    _log_in(page, server, "analyst")

    def tick_and_take(case_id: int) -> None:
        page.goto(f"{server.url}/app/queue")
        page.check(f"tr[data-case='{case_id}'] input[type=checkbox]")
        page.select_option("#bulk select[name=action]", "assign_me")
        page.click("#bulk button[type=submit]")

    tick_and_take(seeded.payload_case)  # dismissed: nothing is sent
    page.wait_for_timeout(300)
    assert dialogs == [
        f"Một số vụ việc đã chọn đang do đồng nghiệp xử lý ({colleague}). Nhận thay?"
    ]
    assert page.locator("main > .flash").count() == 0
    with server.database.session() as session:
        assert get_case(session, seeded.payload_case).case.assignee == colleague
    answer["accept"] = True
    with page.expect_navigation():
        tick_and_take(seeded.payload_case)
    assert len(dialogs) == 2
    assert "1/1" in page.locator("main > .flash").first.inner_text()
    with server.database.session() as session:
        assert get_case(session, seeded.payload_case).case.assignee == USERS["analyst"]
    with page.expect_navigation():  # only cases nobody holds: nothing to ask
        tick_and_take(seeded.case_id)
    assert len(dialogs) == 2
    with server.database.session() as session:
        assert get_case(session, seeded.case_id).case.assignee == USERS["analyst"]
