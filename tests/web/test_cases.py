"""Working a case in the browser lands in the same audit trail as the CLI, by name."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from storage.cases import get_case
from storage.db import Database
from storage.models import LabelRow
from tests.web.conftest import token
from tests.web.seed import NARRATIVE_SENTENCE, USERS, Seeded


def _post(client: TestClient, path: str, **data: str) -> None:
    response = client.post(path, data={**data, "csrf_token": token(client)})
    assert response.status_code == 303, response.text


def test_triage_assign_note_respond_close(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    client = client_for("analyst")
    me = USERS["analyst"]
    case = f"/app/cases/{seeded.case_id}"
    _post(client, f"{case}/take", next="/app/queue")
    _post(client, f"{case}/status", status="in_progress")
    _post(client, f"{case}/note", note="Đã gọi tòa soạn <b>BBC</b>")
    # Closing as responded without a response is refused, visibly, in Vietnamese.
    _post(client, f"{case}/close", resolution="responded")
    page = client.get(case).text
    assert "flash-error" in page and "cần có nội dung hoặc đường dẫn phản hồi" in page
    _post(client, f"{case}/response", response="https://quangtri.gov.vn/dinh-chinh")
    _post(client, f"{case}/close", resolution="responded")

    with database.session() as session:
        detail = get_case(session, seeded.case_id)
        labels = list(session.scalars(select(LabelRow)))
    assert detail.case.status == "closed" and detail.case.resolution == "responded"
    assert detail.case.assignee == me
    human = [e for e in detail.events if e.action != "opened"]
    assert {e.actor for e in human} == {me}
    actions = [e.action for e in human]
    assert actions[:3] == ["assigned", "status", "status"]  # take also triages a new case
    assert "note" in actions and "response" in actions and actions[-1] == "closed"
    assert labels and {label.given_by for label in labels} == {me}

    page = client.get(case).text
    assert "Đã đóng" in page and "Đã phản hồi" in page
    assert "Đã gọi tòa soạn &lt;b&gt;BBC&lt;/b&gt;" in page  # the note, escaped, in the trail
    assert "form-close" not in page


def test_case_page_shows_story_reasons_evidence_and_trail(
    client_for: Callable[[str], TestClient], seeded: Seeded
) -> None:
    page = client_for("viewer").get(f"/app/cases/{seeded.case_id}").text
    # Every outlet that carried the story.
    assert f'id="article-{seeded.flagged_article}"' in page
    assert f'id="article-{seeded.foreign_copy}"' in page
    assert "Lũ ở Quảng Bình (BBC)" in page
    # The flagged sentence is highlighted in the text, numbered as its reason.
    assert f'data-ref="1">{NARRATIVE_SENTENCE}<sup>1</sup></mark>' in page
    # The reason in the catalog's words with the narrative's statement, not the
    # analyser's detail or the narrative's slug.
    assert "Lặp lại luận điệu" in page and "Lặp lại luận điệu sai đã biết: " in page
    assert 'data-label="Thao tác">Mở vụ việc</td>' in page  # audit actions translated
    # The evidence snapshot in a sandboxed frame from /evidence with a token.
    assert f'src="/evidence/{seeded.snapshot_id}?token=' in page and 'sandbox=""' in page
    assert 'id="audit"' in page and "presswatch" in page  # the pipeline opened it


def test_queue_filters_and_one_click_assign(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    client = client_for("analyst")
    page = client.get("/app/queue").text
    # Highest priority first.
    assert page.index(f'data-case="{seeded.case_id}"') < page.index(
        f'data-case="{seeded.payload_case}"'
    )
    assert f'data-case="{seeded.case_id}"' in client.get("/app/queue?origin=foreign").text
    only_domestic = client.get("/app/queue?origin=domestic").text
    assert f'data-case="{seeded.payload_case}"' not in only_domestic
    assert "data-case" not in client.get("/app/queue?topic=tourism").text
    assert "data-case" not in client.get("/app/queue?status=closed").text

    response = client.post(
        f"/app/cases/{seeded.payload_case}/take",
        data={"csrf_token": token(client, "/app/queue"), "next": "/app/queue?status=open"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/app/queue?status=open"
    mine = client.get(f"/app/queue?assignee={USERS['analyst']}").text
    assert f'data-case="{seeded.payload_case}"' in mine
    assert f'data-case="{seeded.case_id}"' not in mine


def test_redirect_target_stays_inside_the_app(
    client_for: Callable[[str], TestClient], seeded: Seeded
) -> None:
    client = client_for("analyst")
    for target in ("https://evil.example/", "//evil.example/app/", "/evidence/1"):
        response = client.post(
            f"/app/cases/{seeded.case_id}/take",
            data={"next": target, "csrf_token": token(client)},
        )
        assert response.headers["location"] == f"/app/cases/{seeded.case_id}"


def test_unknown_case_and_assignee(client_for: Callable[[str], TestClient], seeded: Seeded) -> None:
    client = client_for("analyst")
    assert client.get("/app/cases/9999").status_code == 404
    response = client.post(
        f"/app/cases/{seeded.case_id}/assign",
        data={"assignee": USERS["viewer"], "csrf_token": token(client)},
    )
    assert response.status_code == 400


def test_one_form_closes_with_result_response_and_note(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    """The obvious click works: the close form carries the response and a note."""
    client = client_for("analyst")
    case = f"/app/cases/{seeded.case_id}"
    page = client.get(case).text
    form = page[page.index('id="form-close"') :].split("</form>")[0]
    assert 'name="resolution"' in form and 'name="response"' in form and 'name="note"' in form
    _post(
        client,
        f"{case}/close",
        resolution="responded",
        response="https://quangtri.gov.vn/dinh-chinh",
        note="Sở đã đính chính",
    )
    with database.session() as session:
        detail = get_case(session, seeded.case_id)
    assert detail.case.status == "closed" and detail.case.resolution == "responded"
    assert detail.case.response == "https://quangtri.gov.vn/dinh-chinh"
    actions = [e.action for e in detail.events]
    assert actions[-3:] == ["note", "response", "closed"]
    assert (
        client.post(
            "/app/cases/424242/close", data={"resolution": "no_action", "csrf_token": token(client)}
        ).status_code
        == 404
    )


def test_taking_a_colleagues_case_asks_and_is_recorded(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    case = f"/app/cases/{seeded.case_id}"
    first = client_for("analyst")
    _post(first, f"{case}/take")
    admin = client_for("admin")
    page = admin.get(case).text
    assert f'data-confirm="Vụ việc này đang do {USERS["analyst"]} xử lý. Nhận thay?"' in page
    assert f'name="takeover" value="{USERS["analyst"]}"' in page and "Nhận thay" in page
    _post(admin, f"{case}/take")  # without the confirmation: refused
    assert "hãy xác nhận trước khi nhận thay" in admin.get(case).text
    with database.session() as session:
        assert get_case(session, seeded.case_id).case.assignee == USERS["analyst"]
    _post(admin, f"{case}/take", takeover=USERS["analyst"])
    with database.session() as session:
        detail = get_case(session, seeded.case_id)
    assert detail.case.assignee == USERS["admin"]
    last = [e for e in detail.events if e.action == "assigned"][-1]
    assert (last.old_value, last.new_value, last.actor) == (
        USERS["analyst"],
        USERS["admin"],
        USERS["admin"],
    )


def test_bulk_actions_on_the_queue(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    client = client_for("analyst")
    page = client.get("/app/queue").text
    assert 'form="bulk"' in page and 'action="/app/queue/bulk"' in page
    both = [str(seeded.case_id), str(seeded.payload_case)]
    response = client.post(
        "/app/queue/bulk",
        data={"action": "assign_me", "case_id": both, "csrf_token": token(client)},
    )
    assert response.status_code == 303 and response.headers["location"] == "/app/queue"
    response = client.post(
        "/app/queue/bulk",
        data={"action": "false_positive", "case_id": both, "csrf_token": token(client)},
    )
    with database.session() as session:
        closed = [get_case(session, int(i)).case for i in both]
    assert all(c.assignee == USERS["analyst"] for c in closed)
    assert all(c.status == "closed" and c.resolution == "false_positive" for c in closed)
    again = client.post(
        "/app/queue/bulk",
        data={"action": "triaged", "case_id": both, "csrf_token": token(client)},
    )
    assert again.status_code == 303
    assert "Đã áp dụng cho số vụ việc: 0/2" in client.get("/app/queue").text  # closed: skipped
    viewer = client_for("viewer")
    assert "bulk" not in viewer.get("/app/queue").text.split("<main")[1].split("</form>")[0]
    refused = viewer.post(
        "/app/queue/bulk", data={"action": "triaged", "case_id": both, "csrf_token": token(viewer)}
    )
    assert refused.status_code == 403
