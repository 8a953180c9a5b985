"""Done when: a repeat of a narrative answered before shows the previous answer and
its link on the new case page, in the system Chromium through a real server; "use
this" fills the response box; the library's pages fit a 390 px phone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.answers_seed import ANSWER, ANSWER_LINK, NARRATIVE, TEMPLATE_TEXT_V2, seed_answers
from tests.web.test_browser import Server, _log_in, browser, page, server  # noqa: F401 -- fixtures
from tests.web.test_phone import _overflow

pytestmark = pytest.mark.browser


def test_a_repeat_shows_the_previous_answer_and_its_link(page: Any, server: Server) -> None:  # noqa: F811
    from playwright.sync_api import expect

    library = seed_answers(server.database)
    _log_in(page, server, "analyst")
    page.goto(f"{server.url}/app/cases/{library.new_case}")
    previous = page.locator(f"#previous-answers li[data-case='{library.answered_case}']")
    expect(previous).to_be_visible()
    expect(previous.locator(".answer-text")).to_have_text(ANSWER)
    link = previous.locator(f"a[href='{ANSWER_LINK}']")
    expect(link).to_be_visible()
    assert link.inner_text() == ANSWER_LINK
    expect(page.locator("#answers .rebuttal-articles li")).to_have_count(1)

    # "Use this" on the narrative's template fills the response boxes (empty: no question).
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    response_box = page.locator("#form-response textarea[name=response]")
    expect(response_box).to_have_value("")
    page.click(f"#case-templates li[data-template='{library.template_id}'] button.use-text")
    expect(response_box).to_have_value(TEMPLATE_TEXT_V2)
    expect(page.locator("#form-close textarea[name=response]")).to_have_value(TEMPLATE_TEXT_V2)
    assert dialogs == []
    # Replacing a different draft asks first; the previous answer can be reused too.
    previous.locator("button.use-text").click()
    expect(response_box).to_have_value(ANSWER)
    assert dialogs == ["Thay nội dung đang soạn trong ô phản hồi?"]

    # Still working after the page swaps itself in place (saving the response).
    page.click("#form-response button")
    expect(page.locator("#case-response")).to_contain_text(ANSWER_LINK)
    page.click(f"#case-templates li[data-template='{library.template_id}'] button.use-text")
    expect(response_box).to_have_value(TEMPLATE_TEXT_V2)
    assert len(dialogs) == 2


@pytest.mark.parametrize("width", [390, 1366])
def test_the_library_pages_fit_the_screen(browser: Any, server: Server, width: int) -> None:  # noqa: F811
    library = seed_answers(server.database)
    context = browser.new_context(
        locale="vi-VN", viewport={"width": width, "height": 844 if width < 800 else 900}
    )
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    try:
        _log_in(tab, server, "admin")  # admins see the edit forms too
        wide = {}
        for path in (
            "/app/narratives",
            f"/app/narratives/{NARRATIVE}",
            f"/app/cases/{library.new_case}",
        ):
            tab.goto(f"{server.url}{path}")
            wide[path] = _overflow(tab)
        assert all(v <= 0 for v in wide.values()), wide
    finally:
        context.close()
