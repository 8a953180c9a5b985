"""The library of answers in storage, on SQLite and PostgreSQL: a narrative's history,
the answers given before to a case's narratives, rebuttal articles, and response
templates whose every save is a new version."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from core.config import Settings
from storage import answer_templates as templates
from storage import answers
from storage.db import Database, alembic_config, current_revision, upgrade
from storage.sources import sync_sources
from tests.web.answers_seed import (
    ANSWER,
    ANSWER_LINK,
    NARRATIVE,
    OTHER_NARRATIVE,
    REBUTTAL_SENTENCE,
    TEMPLATE_TEXT,
    TEMPLATE_TEXT_V2,
    TOPIC_TEMPLATE_TEXT,
    AnswersSeeded,
    seed_answers,
)


@pytest.fixture
def library(database: Database, settings: Settings) -> AnswersSeeded:
    with database.session() as s:
        sync_sources(s, settings.sources)
    return seed_answers(database)


def test_narrative_history_lists_its_cases_newest_first_with_how_each_ended(
    database: Database, library: AnswersSeeded
) -> None:
    with database.read_session() as s:
        history = answers.narrative_history(s, NARRATIVE)
    ids = [item.case.id for item in history.cases]
    assert ids == [library.new_case, library.answered_case, library.dismissed_case]
    assert library.other_case not in ids
    by_id = {item.case.id: item for item in history.cases}
    answered = by_id[library.answered_case]
    assert answered.case.resolution == "responded" and answered.case.response == ANSWER
    assert answered.links == [ANSWER_LINK]
    assert answered.narratives == (NARRATIVE,)
    took = answered.time_to_respond
    assert took is not None and dt.timedelta(days=2, hours=23) < took < dt.timedelta(
        days=3, hours=1
    )
    assert by_id[library.dismissed_case].time_to_respond is None
    assert by_id[library.dismissed_case].case.resolution == "no_action"
    assert [a.id for a in history.rebuttals] == [library.rebuttal_article]
    assert history.rebuttals[0].sentence == REBUTTAL_SENTENCE


def test_previous_answers_are_other_closed_cases_sharing_a_narrative_newest_first(
    database: Database, library: AnswersSeeded
) -> None:
    with database.read_session() as s:
        previous = answers.previous_answers_for_case(s, library.new_case)
        for_other = answers.previous_answers_for_case(s, library.other_case)
        for_answered = answers.previous_answers_for_case(s, library.answered_case)
    assert [p.case.id for p in previous] == [library.answered_case, library.dismissed_case]
    assert previous[0].case.response == ANSWER and previous[0].links == [ANSWER_LINK]
    assert for_other == []  # nobody answered the airport rumour before
    # A closed case does not offer itself, only the others.
    assert [p.case.id for p in for_answered] == [library.dismissed_case]


def test_rebuttal_articles_are_the_latest_analyses_that_rebut(
    database: Database, library: AnswersSeeded
) -> None:
    with database.read_session() as s:
        found = answers.rebuttal_articles(s, NARRATIVE)
        none = answers.rebuttal_articles(s, OTHER_NARRATIVE)
    assert [(a.id, a.narrative_id) for a in found] == [(library.rebuttal_article, NARRATIVE)]
    assert found[0].score == pytest.approx(0.8) and found[0].source_id == "baoquangtri"
    assert none == []


def test_narrative_summaries_count_cases_open_ones_and_the_last_answer(
    database: Database, library: AnswersSeeded
) -> None:
    with database.read_session() as s:
        summaries = answers.narrative_summaries(s)
    rice, airport = summaries[NARRATIVE], summaries[OTHER_NARRATIVE]
    assert (rice.cases, rice.open_cases) == (3, 1)
    assert rice.last_answered_at is not None and rice.last_answered_at.tzinfo is not None
    assert (airport.cases, airport.open_cases, airport.last_answered_at) == (1, 1, None)


def test_case_library_offers_answers_rebuttals_and_templates(
    database: Database, library: AnswersSeeded
) -> None:
    with database.read_session() as s:
        offered = answers.case_library(s, library.new_case)
        other = answers.case_library(s, library.other_case)
    assert offered.narratives == [NARRATIVE]
    assert offered.previous[0].case.id == library.answered_case
    assert [a.id for a in offered.rebuttals] == [library.rebuttal_article]
    # The narrative's template first, then the case's topic's.
    assert [t.id for t in offered.templates] == [library.template_id, library.topic_template_id]
    assert offered.templates[0].latest.text == TEMPLATE_TEXT_V2
    assert other.previous == [] and [t.id for t in other.templates] == [library.topic_template_id]
    assert other.templates[0].latest.text == TOPIC_TEMPLATE_TEXT


def test_every_save_of_a_template_is_a_new_version_with_author_and_time(
    database: Database, library: AnswersSeeded
) -> None:
    with database.session() as s:
        again = templates.save_version(s, library.template_id, TEMPLATE_TEXT_V2, "anh")
        third = templates.save_version(s, library.template_id, "Bản thứ ba.", "root")
    assert again.version == 2 and again.author == "lan"  # the same text adds nothing
    assert third.version == 3
    with database.read_session() as s:
        found = templates.get_template(s, library.template_id)
        counts = templates.template_counts(s)
    assert [v.version for v in found.history] == [3, 2, 1]
    assert [v.author for v in found.history] == ["root", "lan", "root"]
    assert [v.text for v in found.history] == ["Bản thứ ba.", TEMPLATE_TEXT_V2, TEMPLATE_TEXT]
    assert found.latest.version == 3 and found.latest.created_at.tzinfo is not None
    assert found.history[0].created_at >= found.history[-1].created_at
    assert counts[("narrative", NARRATIVE)] == 1 and counts[("topic", "disaster")] == 1


def test_a_version_number_is_never_taken_twice(
    database: Database, library: AnswersSeeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two saves racing for version 3: the unique (template, version) refuses the
    second insert, and the save reads again and becomes version 4."""
    real_get = templates.get_template
    with database.session() as s:
        stale = real_get(s, library.template_id)  # its latest is version 2
        templates.save_version(s, library.template_id, "Người khác lưu trước.", "root")
        reads: list[int] = []

        def stale_first(session: Session, template_id: int) -> templates.ResponseTemplate:
            reads.append(template_id)
            return stale if len(reads) == 1 else real_get(session, template_id)

        monkeypatch.setattr(templates, "get_template", stale_first)
        mine = templates.save_version(s, library.template_id, "Bản của tôi.", "lan")
    monkeypatch.undo()
    assert mine.version == 4 and len(reads) == 2
    with database.read_session() as s:
        found = templates.get_template(s, library.template_id)
    assert [v.version for v in found.history] == [4, 3, 2, 1]
    assert found.latest.text == "Bản của tôi." and found.history[1].author == "root"


def test_templates_answer_only_narratives_and_topics(database: Database) -> None:
    with database.session() as s, pytest.raises(templates.TemplateError):
        templates.create_template(s, kind="source", ref="x", title="x", text="x", author="root")
    with database.read_session() as s, pytest.raises(templates.TemplateError):
        templates.get_template(s, 999)


def test_migration_0009_goes_down_to_0008_and_back_up(database: Database) -> None:
    ours = {"response_templates", "response_template_versions"}
    assert ours <= set(inspect(database.engine).get_table_names())
    command.downgrade(alembic_config(database.engine), "0008")
    assert current_revision(database.engine) == "0008"
    assert not ours & set(inspect(database.engine).get_table_names())
    upgrade(database.engine)
    assert ours <= set(inspect(database.engine).get_table_names())
