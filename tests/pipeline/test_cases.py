"""The review queue: assign, note, respond, close; every change in the audit
trail; closing as responded/false_positive becomes a training label."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.config import Settings
from pipeline.process.analyse import run_process
from pipeline.review.workflow import (
    CaseError,
    add_note,
    assign_case,
    close_case,
    set_response,
    set_status,
)
from storage.cases import get_case, list_cases
from storage.db import Database
from storage.labels import training_examples
from storage.models import LabelRow
from storage.sources import sync_sources
from tests.pipeline.helpers import NOW, ScriptedAnalyzer, store_article


def _two_cases(database: Database, settings: Settings) -> tuple[int, int]:
    with database.session() as session:
        sync_sources(session, settings.sources)
    _, story = store_article(
        database, new_story_title="a", title="Cứu trợ", text="Cứu trợ. SCORE=0.9 TOPIC=disaster"
    )
    store_article(database, source_id="vnexpress", story_id=story, text="Bản sao. SCORE=0.2")
    store_article(
        database,
        source_id="bbc-vietnamese",
        new_story_title="b",
        title="Biên giới",
        text="Cột mốc. SCORE=0.7 TOPIC=border",
    )
    run_process(settings, database, ScriptedAnalyzer(), now=NOW)
    with database.session() as session:
        first, second = list_cases(session)
    return first.id, second.id


def test_the_workflow_records_who_changed_what(database: Database, settings: Settings) -> None:
    case_id, _ = _two_cases(database, settings)
    with database.session() as session:
        assign_case(session, case_id, "lan", actor="minh")
        add_note(session, case_id, "Đã gọi cho tòa soạn.", actor="lan")
        set_status(session, case_id, "in_progress", actor="lan")
        closed = close_case(
            session,
            case_id,
            "responded",
            actor="lan",
            response="https://quangtri.gov.vn/phan-hoi/1",
        )
    assert closed.status == "closed" and closed.resolution == "responded"
    assert closed.closed_at is not None
    with database.session() as session:
        detail = get_case(session, case_id)
    trail = [(e.actor, e.action, e.field, e.old_value, e.new_value) for e in detail.events]
    assert trail[1:] == [
        ("minh", "assigned", "assignee", None, "lan"),
        ("minh", "status", "status", "new", "triaged"),
        ("lan", "note", None, None, None),
        ("lan", "status", "status", "triaged", "in_progress"),
        ("lan", "response", "response", None, "https://quangtri.gov.vn/phan-hoi/1"),
        ("lan", "closed", "status", "in_progress", "closed"),
    ]
    assert detail.events[3].note == "Đã gọi cho tòa soạn."
    assert detail.case.response == "https://quangtri.gov.vn/phan-hoi/1"


def test_closing_becomes_a_training_label_for_the_flagged_articles(
    database: Database, settings: Settings
) -> None:
    first, second = _two_cases(database, settings)
    with database.session() as session:
        close_case(session, first, "false_positive", actor="lan")
        close_case(session, second, "no_action", actor="lan")
    with database.session() as session:
        labels = list(session.scalars(select(LabelRow)))
        examples = training_examples(session)
    # Only the flagged article of the first story; no_action teaches nothing.
    assert [(x.task, x.label, x.case_id, x.given_by) for x in labels] == [
        ("flag", "false_positive", first, "lan")
    ]
    assert examples[0][2:] == ("flag", "false_positive")


def test_the_workflow_refuses_what_makes_no_sense(database: Database, settings: Settings) -> None:
    case_id, _ = _two_cases(database, settings)
    with database.session() as session, pytest.raises(CaseError, match="no case #999"):
        get_case(session, 999)
    with database.session() as session, pytest.raises(CaseError, match="unknown resolution"):
        close_case(session, case_id, "done", actor="lan")
    with database.session() as session, pytest.raises(CaseError, match="needs the response"):
        close_case(session, case_id, "responded", actor="lan")
    with database.session() as session:
        close_case(session, case_id, "no_action", actor="lan")
    with database.session() as session, pytest.raises(CaseError, match="already closed"):
        close_case(session, case_id, "no_action", actor="lan")
    with database.session() as session:
        reopened = set_status(session, case_id, "triaged", actor="minh")
        set_response(session, case_id, "Đã đăng bài đính chính.", actor="minh")
    assert reopened.status == "triaged" and reopened.resolution is None


def test_the_queue_filters_by_status_topic_origin_and_assignee(
    database: Database, settings: Settings
) -> None:
    first, second = _two_cases(database, settings)
    with database.session() as session:
        assign_case(session, second, "lan", actor="minh")
        assert [c.id for c in list_cases(session, status="new")] == [first]
        assert [c.id for c in list_cases(session, status="open")] == [first, second]
        assert [c.id for c in list_cases(session, topic="border")] == [second]
        assert [c.id for c in list_cases(session, origin="foreign")] == [second]
        assert [c.id for c in list_cases(session, origin="domestic")] == [first]
        assert [c.id for c in list_cases(session, assignee="lan")] == [second]
        with pytest.raises(CaseError, match="unknown status"):
            list_cases(session, status="done")
