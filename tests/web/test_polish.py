"""What the screenshot review of every page found: Vietnamese words for codes, each
place once, labels on phone cards, and a confirmation before acting on a colleague's
cases or disabling an account (the layout itself: tests/web/test_layout.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from fastapi.testclient import TestClient

from core.analysis import PlaceMention
from pipeline.review import workflow
from storage.analyses import save_analysis
from storage.cases import get_case
from storage.db import Database
from storage.users import get_user
from tests.web.conftest import token
from tests.web.seed import USERS, Seeded, _analysis


def _text(html: str) -> str:
    """What a reader sees: the page's text without tags."""
    main = html.split("<main>", 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def test_each_place_is_listed_once(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    stored = _analysis(
        seeded.calm_article, score=0.1, stance="neutral", topics=["tourism"], sentence=None
    )
    mentions = (
        PlaceMention(name="dong-hoi", start=0, end=8, surface="Đồng Hới"),
        PlaceMention(name="bo-trach", start=20, end=28, surface="Bố Trạch"),
        PlaceMention(name="dong-hoi", start=40, end=48, surface="Dong Hoi"),
        PlaceMention(name="dong-hoi", start=60, end=68, surface="Đồng Hới"),
    )
    result = replace(stored.result, places=mentions)
    with database.session() as session:
        save_analysis(session, replace(stored, analyzer_version="test-2", result=result))
    page = client_for("viewer").get(f"/app/articles/{seeded.calm_article}").text
    places = re.search(r'<dd id="places">(.*?)</dd>', page)
    assert places and places.group(1) == "Đồng Hới, Bố Trạch"


def test_queue_keeps_the_result_apart_from_the_status(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    with database.session() as session:
        workflow.close_case(session, seeded.case_id, "false_positive", USERS["analyst"])
    text = _text(client_for("analyst").get("/app/queue?status=all").text)
    assert "Đã đóng — Cảnh báo nhầm" in text


def test_bulk_take_of_a_colleagues_case_needs_the_confirmation(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    colleague, me = USERS["admin"], USERS["analyst"]
    with database.session() as session:
        workflow.assign_case(session, seeded.payload_case, colleague, colleague)
    client = client_for("analyst")
    page = client.get("/app/queue").text
    assert 'data-confirm-takeover="Một số vụ việc đã chọn đang do đồng nghiệp xử lý' in page
    assert f'value="{seeded.payload_case}" form="bulk"' in page
    box = re.search(rf'<input[^>]*value="{seeded.payload_case}" form="bulk"[^>]*>', page)
    assert box and f'data-holder="{colleague}"' in box.group(0)
    free = re.search(rf'<input[^>]*value="{seeded.case_id}" form="bulk"[^>]*>', page)
    assert free and "data-holder" not in free.group(0)

    both = [str(seeded.case_id), str(seeded.payload_case)]
    form = {"action": "assign_me", "case_id": both, "csrf_token": token(client)}
    assert client.post("/app/queue/bulk", data=form).status_code == 303
    text = _text(client.get("/app/queue").text)
    assert "Đã áp dụng cho số vụ việc: 1/2" in text
    assert f"hãy xác nhận trước khi nhận thay: #{seeded.payload_case} ({colleague})" in text
    with database.session() as session:
        assert get_case(session, seeded.payload_case).case.assignee == colleague
        assert get_case(session, seeded.case_id).case.assignee == me

    stale = {**form, "takeover": f"{seeded.payload_case}:someone-else", "csrf_token": token(client)}
    client.post("/app/queue/bulk", data=stale)
    with database.session() as session:
        assert get_case(session, seeded.payload_case).case.assignee == colleague
    confirmed = {**form, "takeover": f"{seeded.payload_case}:{colleague}"}
    confirmed["csrf_token"] = token(client)
    client.post("/app/queue/bulk", data=confirmed)
    with database.session() as session:
        detail = get_case(session, seeded.payload_case)
    assert detail.case.assignee == me
    last = [e for e in detail.events if e.action == "assigned"][-1]
    assert (last.old_value, last.new_value, last.actor) == (colleague, me, me)


def test_disabling_an_account_needs_the_confirmation(
    client_for: Callable[[str], TestClient], database: Database
) -> None:
    admin, viewer = client_for("admin"), USERS["viewer"]
    page = admin.get("/app/admin/users").text
    assert f'<input type="hidden" name="confirm" value="{viewer}">' in page
    # No "disable" button on one's own row: the server refuses it anyway.
    assert f"/app/admin/users/{USERS['admin']}/disable" not in page
    url = f"/app/admin/users/{viewer}/disable"
    admin.post(url, data={"csrf_token": token(admin, "/app/admin/users")})
    assert "Hãy xác nhận trước khi khóa tài khoản" in admin.get("/app/admin/users").text
    with database.session() as session:
        before = get_user(session, viewer)
    assert before is not None and not before.disabled
    admin.post(url, data={"confirm": viewer, "csrf_token": token(admin, "/app/admin/users")})
    with database.session() as session:
        after = get_user(session, viewer)
    assert after is not None and after.disabled


def test_admin_lists_speak_vietnamese_and_label_their_cards(
    client_for: Callable[[str], TestClient], seeded: Seeded
) -> None:
    admin = client_for("admin")
    sources = admin.get("/app/admin/sources").text
    row = re.search(r'<tr data-source="bbc-vietnamese".*?</tr>', sources, re.S)
    assert row, sources
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    assert cells[1:4] == ["Nguồn RSS", "Nước ngoài", "Tiếng Việt"]
    assert row.group(0).count("data-label=") == 7  # every cell but the name
    users = admin.get("/app/admin/users").text
    assert 'data-label="Ngôn ngữ">Tiếng Việt' in users and 'data-label="Trạng thái">' in users
    case = admin.get(f"/app/cases/{seeded.case_id}").text
    audit = case.split('id="audit"')[1]
    for label in ("Thời điểm", "Người thực hiện", "Thao tác", "Thay đổi", "Ghi chú"):
        assert f'data-label="{label}"' in audit, label
    # The dashboard names a failed source; its id only in the link to its articles.
    board = admin.get("/app/").text
    assert "rfa-vietnamese" not in _text(board)
    assert 'href="/app/articles?source=rfa-vietnamese&amp;scope=all">RFA' in board


def test_periods_are_named_as_the_office_says_them(
    client_for: Callable[[str], TestClient], seeded: Seeded
) -> None:
    page = client_for("analyst").get("/app/trends").text
    listed = page.split('id="periodic-downloads"')[1].split("</ul>")[0]
    assert re.search(r"<li>Tuần \d{1,2}/\d{4}: ", listed) and re.search(
        r"<li>Tháng \d{1,2}/\d{4}: ", listed
    )
    assert not re.search(r"<li>\d{4}-", listed)


def test_a_closed_case_offers_reopening_and_links_its_response(
    client_for: Callable[[str], TestClient], seeded: Seeded, database: Database
) -> None:
    link = "https://quangtri.gov.vn/dinh-chinh"
    with database.session() as session:
        workflow.close_case(session, seeded.case_id, "responded", USERS["analyst"], response=link)
    page = client_for("analyst").get(f"/app/cases/{seeded.case_id}").text
    status_form = page.split('id="form-status"')[1].split("</form>")[0]
    assert ">Mở lại</button>" in status_form
    assert f'<dd id="case-response"><a href="{link}" rel="noopener noreferrer nofollow"' in page


def test_scores_in_notifications_have_two_decimals_as_everywhere(
    client_for: Callable[[str], TestClient], seeded: Seeded
) -> None:
    client = client_for("analyst")
    client.get("/app/")  # the urgent-case notices are written when a page is shown
    page = client.get("/app/notifications").text
    assert f"#{seeded.payload_case} (điểm 0.90)" in page and "(điểm 0.9)" not in page
