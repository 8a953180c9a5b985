"""The library of answers in the web app: the narratives list and page, the case
page offering previous answers, rebuttal articles and templates, and template
editing for admins only (every save a new version, CSRF like every form)."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from storage import answer_templates as templates
from storage.answers_models import ResponseTemplateRow
from storage.db import Database
from tests.web.answers_seed import (
    ANSWER,
    ANSWER_LINK,
    NARRATIVE,
    REBUTTAL_SENTENCE,
    TEMPLATE_TEXT_V2,
    TOPIC_TEMPLATE_TEXT,
    AnswersSeeded,
    seed_answers,
)
from tests.web.conftest import token
from tests.web.seed import USERS, Seeded

STATEMENT_VI = "Gạo cứu trợ phát cho dân vùng lũ Lệ Thủy là gạo mốc, không ăn được"
STATEMENT_EN = "The relief rice handed out to flood victims in Le Thuy was mouldy and inedible"


@pytest.fixture
def library(database: Database, seeded: Seeded) -> AnswersSeeded:
    return seed_answers(database)


def _text(client: TestClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return html.unescape(response.text)


def test_the_narratives_list_shows_statements_counts_and_last_answer(
    client_for: Callable[[str], TestClient], library: AnswersSeeded
) -> None:
    page = _text(client_for("viewer"), "/app/narratives")
    assert STATEMENT_VI in page and 'data-narrative="relief-rice-mouldy"' in page
    assert '<a href="/app/narratives">Luận điệu</a>' in page  # the header link
    # seed.py's two open cases and the library's three repeat the rice rumour.
    row = page.split('data-narrative="relief-rice-mouldy"')[1].split("</li>")[0]
    assert (
        '<strong class="n-cases">5</strong>' in row and '<strong class="n-open">3</strong>' in row
    )
    assert "Chưa phản hồi" not in row
    airport = page.split('data-narrative="airport-sold-abroad"')[1].split("</li>")[0]
    assert "Chưa phản hồi" in airport


def test_the_narrative_page_shows_history_rebuttals_and_template_versions(
    client_for: Callable[[str], TestClient], library: AnswersSeeded
) -> None:
    page = _text(client_for("viewer"), f"/app/narratives/{NARRATIVE}")
    assert STATEMENT_VI in page
    for case_id in (library.answered_case, library.dismissed_case, library.new_case):
        assert f'data-case="{case_id}"' in page
    answered = page.split(f'data-case="{library.answered_case}"')[1].split("</li>\n")[0]
    assert ANSWER in answered and f'href="{ANSWER_LINK}"' in answered
    assert "Đã phản hồi" in answered and "Thời gian phản hồi: 3 ngày" in answered
    assert REBUTTAL_SENTENCE in page and f'data-article="{library.rebuttal_article}"' in page
    assert TEMPLATE_TEXT_V2 in page and TOPIC_TEMPLATE_TEXT in page
    assert "Phiên bản 2 · lan" in page and "Các phiên bản (2)" in page
    assert "Lưu thành phiên bản mới" not in page  # a viewer edits nothing
    assert "Chỉ quản trị viên sửa được mẫu phản hồi." in page


def test_english_users_read_it_in_english(
    client_for: Callable[[str], TestClient], library: AnswersSeeded, database: Database
) -> None:
    from storage.users import set_language

    with database.session() as s:
        set_language(s, USERS["viewer"], "en")
    client = client_for("viewer")
    assert STATEMENT_EN in _text(client, "/app/narratives")
    page = _text(client, f"/app/cases/{library.new_case}")
    assert "Previous answers" in page and "Rebuttal articles" in page and "Use this" not in page


def test_a_repeat_offers_the_previous_answer_its_link_and_templates(
    client_for: Callable[[str], TestClient], library: AnswersSeeded
) -> None:
    page = _text(client_for("analyst"), f"/app/cases/{library.new_case}")
    section = page.split('id="answers"')[1].split("</section>")[0]
    assert "Các lần phản hồi trước" in section
    assert ANSWER in section and f'href="{ANSWER_LINK}"' in section
    previous = section.split('id="previous-answers"')[1]
    assert previous.index(f'data-case="{library.answered_case}"') < previous.index(
        f'data-case="{library.dismissed_case}"'
    )
    assert "Bài báo bác bỏ" in section and REBUTTAL_SENTENCE in section
    assert "Mẫu phản hồi" in section and TEMPLATE_TEXT_V2 in section
    assert section.count("Dùng mẫu này") == 2 and "Dùng lại câu trả lời này" in section
    assert 'data-use="template-text-' in section and "onclick" not in section
    assert f'href="/app/narratives/{NARRATIVE}"' in section


def test_a_narrative_never_answered_says_so(
    client_for: Callable[[str], TestClient], library: AnswersSeeded, database: Database
) -> None:
    with database.session() as s:
        for found in templates.templates_for(s, [("topic", "disaster")]):
            s.delete(s.get(ResponseTemplateRow, found.id))
    page = client_for("viewer").get(f"/app/cases/{library.other_case}").text
    assert 'id="answers"' in page and "Chưa có lần phản hồi nào" in page


def test_admins_edit_templates_and_every_save_is_a_new_version(
    client_for: Callable[[str], TestClient], library: AnswersSeeded, database: Database
) -> None:
    admin = client_for("admin")
    page = f"/app/narratives/{NARRATIVE}"
    response = admin.post(
        f"{page}/templates/{library.template_id}",
        data={"text": "Bản mới của quản trị.", "csrf_token": token(admin, page)},
    )
    assert response.status_code == 303 and response.headers["location"] == f"{page}#templates"
    response = admin.post(
        f"{page}/templates",
        data={
            "subject": "topic:administration",
            "title": "Hành chính",
            "text": "Mẫu về hành chính.",
            "csrf_token": token(admin, page),
        },
    )
    assert response.status_code == 303
    with database.read_session() as s:
        edited = templates.get_template(s, library.template_id)
        made = templates.templates_for(s, [("topic", "administration")])
    assert [v.version for v in edited.history] == [3, 2, 1]
    assert edited.latest.author == USERS["admin"] and edited.latest.text == "Bản mới của quản trị."
    assert [(t.title, t.latest.text, t.latest.author) for t in made] == [
        ("Hành chính", "Mẫu về hành chính.", USERS["admin"])
    ]
    shown = _text(admin, page)
    assert f"Phiên bản 3 · {USERS['admin']}" in shown and "Các phiên bản (3)" in shown


def test_only_admins_edit_templates_and_only_with_the_csrf_token(
    client_for: Callable[[str], TestClient], library: AnswersSeeded, database: Database
) -> None:
    page = f"/app/narratives/{NARRATIVE}"
    edit = f"{page}/templates/{library.template_id}"
    create = {"subject": f"narrative:{NARRATIVE}", "title": "x", "text": "y"}
    for role in ("viewer", "analyst"):
        client = client_for(role)
        for path, form in ((edit, {"text": "đổi"}), (f"{page}/templates", create)):
            response = client.post(path, data={**form, "csrf_token": token(client, page)})
            assert response.status_code == 403, (role, path)
    admin = client_for("admin")
    assert admin.post(edit, data={"text": "không có token"}).status_code == 403
    # A subject the narrative does not have, a template of another narrative: refused.
    bad = {**create, "subject": "topic:tourism", "csrf_token": token(admin, page)}
    assert admin.post(f"{page}/templates", data=bad).status_code == 303
    other = f"/app/narratives/airport-sold-abroad/templates/{library.template_id}"
    assert (
        admin.post(other, data={"text": "z", "csrf_token": token(admin, page)}).status_code == 303
    )
    with database.read_session() as s:
        found = templates.get_template(s, library.template_id)
        counts = templates.template_counts(s)
    assert [v.version for v in found.history] == [2, 1]
    assert counts == {("narrative", NARRATIVE): 1, ("topic", "disaster"): 1}


def test_unknown_narratives_are_not_found(
    client_for: Callable[[str], TestClient], library: AnswersSeeded
) -> None:
    client = client_for("viewer")
    for path in ("/app/narratives/no-such-claim", "/app/narratives/UPPER", "/app/narratives/a%2Fb"):
        assert client.get(path).status_code == 404, path
    admin = client_for("admin")
    page = f"/app/narratives/{NARRATIVE}"
    response = admin.post(
        f"{page}/templates/999999", data={"text": "x", "csrf_token": token(admin, page)}
    )
    assert response.status_code == 303  # back to the page, with the error flashed


def test_an_edit_link_appears_when_the_app_has_an_edit_route(
    client_for: Callable[[str], TestClient], library: AnswersSeeded, app: FastAPI
) -> None:
    """The narrative editor is another page's: a GET route named "narrative_edit"
    taking `narrative_id`. With one, admins get a link to it here and on the list."""
    if not any(getattr(route, "name", "") == "narrative_edit" for route in app.routes):
        app.add_api_route(
            "/app/edit-stub/{narrative_id}", lambda narrative_id: "", name="narrative_edit"
        )
    target = str(app.url_path_for("narrative_edit", narrative_id=NARRATIVE))
    admin = client_for("admin")
    page = admin.get(f"/app/narratives/{NARRATIVE}").text
    assert f'<a href="{target}" id="edit-narrative">' in page
    assert f'href="{target}"' in admin.get("/app/narratives").text
    assert target not in client_for("analyst").get(f"/app/narratives/{NARRATIVE}").text
