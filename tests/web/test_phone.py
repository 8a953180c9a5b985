"""At phone width (390 px) every page fits the screen: no horizontal scroll, in the
system Chromium. Screenshots of each page at 1366 and 390 px go to
$PRESSWATCH_SCREENSHOTS when it is set (for looking at, not compared)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.web.test_browser import Server, _log_in, browser, server  # noqa: F401 -- fixtures

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _pages(server: Server) -> dict[str, str]:  # noqa: F811 -- the fixture, passed on
    seeded = server.seeded
    return {
        "dashboard": "/app/",
        "queue": "/app/queue?status=all",
        "case": f"/app/cases/{seeded.case_id}",
        "articles": "/app/articles?scope=all",
        "search": "/app/articles?q=quang+binh&scope=all",
        "article": f"/app/articles/{seeded.flagged_article}",
        "reports": "/app/reports",
        "account": "/app/account",
        "notifications": "/app/notifications",
        "users": "/app/admin/users",
        "sources": "/app/admin/sources",
        "narratives-admin": "/app/admin/narratives",
        "narrative-new": "/app/admin/narratives/new",
        "not-found": "/app/cases/999999",
    }


def _overflow(page: Any) -> int:
    """How many pixels the page is wider than the viewport (0: no horizontal scroll)."""
    return int(
        page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - window.innerWidth"
        )
    )


@pytest.mark.parametrize("width", [390, 1366])
def test_every_page_fits_the_screen(browser: Any, server: Server, width: int) -> None:  # noqa: F811
    shots = os.environ.get("PRESSWATCH_SCREENSHOTS")
    context = browser.new_context(
        locale="vi-VN", viewport={"width": width, "height": 844 if width < 800 else 900}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{server.url}/app/login")
        assert _overflow(page) <= 0, "login"
        if shots:
            page.screenshot(path=str(Path(shots) / f"login-{width}.png"), full_page=True)
        _log_in(page, server, "admin")
        wide = {}
        for name, path in _pages(server).items():
            page.goto(f"{server.url}{path}")
            wide[name] = _overflow(page)
            if shots:
                target = Path(shots) / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=True)
        assert wide == dict.fromkeys(wide, 0) or all(v <= 0 for v in wide.values()), wide
    finally:
        context.close()
