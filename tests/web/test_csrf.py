"""A request without this session's CSRF token changes nothing, on every form."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from storage.db import Database
from tests.web.conftest import token
from tests.web.seed import Seeded
from tests.web.test_roles import _state, get_routes, post_routes

ACCOUNT_POSTS = [
    ("/app/account/language", {"language": "en"}),
    ("/app/account/password", {"current": "correct horse battery", "new": "changed pass 1"}),
    ("/app/logout", {}),
]


@pytest.mark.parametrize("bad", ["missing", "wrong", "other-session", "cross-origin"])
def test_forged_posts_change_nothing(
    bad: str, client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    admin = client_for("admin")
    other = client_for("analyst")
    routes = [(p, d) for p, d, _ in post_routes(seeded)] + ACCOUNT_POSTS
    for path, data in routes:
        before = _state(database, seeded.case_id)
        headers: dict[str, str] = {}
        form = dict(data)
        if bad == "wrong":
            form["csrf_token"] = "x" * 43
        elif bad == "other-session":
            form["csrf_token"] = token(other)
        elif bad == "cross-origin":
            form["csrf_token"] = token(admin)
            headers["origin"] = "https://evil.example"
        response = admin.post(path, data=form, headers=headers)
        assert response.status_code == 403, (bad, path)
        assert "Phiên biểu mẫu" in response.text
        assert _state(database, seeded.case_id) == before, (bad, path)
    page = admin.get("/app/")
    assert page.status_code == 200 and 'lang="vi"' in page.text  # still logged in, unchanged


def test_same_origin_header_is_accepted(
    client_for: Callable[[str], TestClient], seeded: Seeded
) -> None:
    client = client_for("analyst")
    response = client.post(
        f"/app/cases/{seeded.case_id}/note",
        data={"note": "ok", "csrf_token": token(client)},
        headers={"origin": "http://testserver"},
    )
    assert response.status_code == 303


FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)


def test_every_post_form_carries_the_session_token(
    client_for: Callable[[str], TestClient], seeded: Seeded
) -> None:
    client = client_for("admin")
    expected = token(client)
    checked = 0
    for path, _ in get_routes(seeded):
        page = client.get(path).text
        for attributes, body in FORM_RE.findall(page):
            if 'method="post"' not in attributes:
                continue
            checked += 1
            assert f'name="csrf_token" value="{expected}"' in body, (path, attributes)
    assert checked > 20
