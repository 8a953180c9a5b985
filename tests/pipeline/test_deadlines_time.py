"""Deadline arithmetic: business hours, weekends and Vietnamese public holidays,
waits pushing deadlines back, band matching that only tightens, warn windows, and
the `desk:` settings' validation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from pydantic import ValidationError

from core.config import Settings
from core.desk_settings import BusinessHours, Desk
from core.errors import ConfigError
from core.loading import load_settings
from pipeline.review.business_time import DeskClock, days_off
from pipeline.review.deadlines import band_for, case_states, due_at, warn_from, worst
from storage.deadlines import DeadlineCase

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
OFFICE = DeskClock.of(BusinessHours(), days_off("VN"), "Asia/Ho_Chi_Minh", business=True)
AROUND_THE_CLOCK = DeskClock.of(BusinessHours(), days_off(None), "Asia/Ho_Chi_Minh", business=False)


def hanoi(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=HANOI)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (hanoi(2026, 11, 25, 10, 0), 2, hanoi(2026, 11, 25, 12, 0)),  # a plain Wednesday
        (hanoi(2026, 11, 27, 16, 0), 2, hanoi(2026, 11, 30, 8, 30)),  # Friday over the weekend
        (hanoi(2026, 11, 28, 9, 0), 1, hanoi(2026, 11, 30, 8, 30)),  # opened on a Saturday
        (hanoi(2026, 11, 25, 6, 0), 1, hanoi(2026, 11, 25, 8, 30)),  # before opening time
        (hanoi(2026, 11, 25, 19, 0), 1, hanoi(2026, 11, 26, 8, 30)),  # after closing time
        (hanoi(2026, 4, 29, 16, 0), 2, hanoi(2026, 5, 4, 8, 30)),  # 30/4, 1/5, then a weekend
        (hanoi(2026, 2, 13, 12, 0), 8, hanoi(2026, 2, 23, 10, 30)),  # Tết Bính Ngọ
        (
            hanoi(2026, 8, 28, 16, 0),
            2,
            hanoi(2026, 9, 3, 8, 30),
        ),  # 31/8 (in lieu), Quốc khánh 1–2/9
        (hanoi(2026, 12, 31, 16, 30), 1, hanoi(2027, 1, 4, 8, 0)),  # Tết Dương lịch
    ],
)
def test_business_hours_skip_nights_weekends_and_holidays(
    start: dt.datetime, hours: int, due: dt.datetime
) -> None:
    assert OFFICE.add(start, dt.timedelta(hours=hours)) == due
    assert OFFICE.elapsed(start, due) == dt.timedelta(hours=hours)


def test_a_band_on_the_clock_ignores_business_hours() -> None:
    friday = hanoi(2026, 11, 27, 16, 0)
    assert AROUND_THE_CLOCK.add(friday, dt.timedelta(hours=24)) == hanoi(2026, 11, 28, 16, 0)
    assert AROUND_THE_CLOCK.elapsed(friday, hanoi(2026, 11, 30, 16, 0)) == dt.timedelta(days=3)


def test_the_default_holidays_are_vietnams_every_year_plus_the_offices_own() -> None:
    for year in (2026, 2027, 2031):
        for day in (dt.date(year, 1, 1), dt.date(year, 4, 30), dt.date(year, 5, 1)):
            assert not OFFICE.is_working_day(day)
        assert not OFFICE.is_working_day(dt.date(year, 9, 2))
    assert not OFFICE.is_working_day(dt.date(2026, 2, 17))  # mùng 1 Tết Bính Ngọ
    assert not OFFICE.is_working_day(dt.date(2027, 2, 8))  # mùng 3 Tết Đinh Mùi, a Monday
    assert not OFFICE.is_working_day(dt.date(2026, 4, 27))  # Giỗ Tổ (Sunday 26/4) in lieu
    provincial = DeskClock.of(
        BusinessHours(),
        days_off("VN", (dt.date(2026, 12, 3),)),
        "Asia/Ho_Chi_Minh",
        business=True,
    )
    assert OFFICE.is_working_day(dt.date(2026, 12, 3))
    assert not provincial.is_working_day(dt.date(2026, 12, 3))
    assert Desk(public_holidays=None).holidays == []
    with pytest.raises(ValueError, match="unknown country"):
        Desk(public_holidays="XX")


def test_a_wait_pushes_the_deadline_back_by_the_waiting_time_the_band_counts() -> None:
    opened = hanoi(2026, 11, 16, 8, 0)  # Monday (24/11 is a holiday: Ngày Văn hóa Việt Nam)
    four_hours = dt.timedelta(hours=4)
    assert due_at(OFFICE, opened, four_hours, [], opened) == hanoi(2026, 11, 16, 12, 0)
    # Waiting Monday 09:00 to Tuesday 09:00 is 9.5 business hours.
    wait = (hanoi(2026, 11, 16, 9, 0), hanoi(2026, 11, 17, 9, 0))
    assert due_at(OFFICE, opened, four_hours, [wait], opened) == hanoi(2026, 11, 17, 12, 0)
    # On the clock the same wait is 24 hours.
    assert due_at(AROUND_THE_CLOCK, opened, four_hours, [wait], opened) == hanoi(
        2026, 11, 17, 12, 0
    )
    # A wait after the deadline changes nothing; one still running counts up to now.
    late = (hanoi(2026, 11, 16, 13, 0), hanoi(2026, 11, 16, 15, 0))
    assert due_at(OFFICE, opened, four_hours, [late], opened) == hanoi(2026, 11, 16, 12, 0)
    running = (hanoi(2026, 11, 16, 9, 0), None)
    now = hanoi(2026, 11, 16, 10, 0)
    assert due_at(OFFICE, opened, four_hours, [running], now) == hanoi(2026, 11, 16, 13, 0)


def _desk_settings(settings: Settings, **desk: object) -> Settings:
    base: dict[str, object] = {
        "enabled": True,
        "bands": [
            {
                "id": "foreign-sensitive",
                "sensitive": True,
                "origin": "foreign",
                "triage": "2h",
                "respond": "24h",
                "business_hours": False,
            },
            {"id": "high", "min_priority": 70, "triage": "4h", "respond": "2d"},
            {
                "id": "domestic-border",
                "topics": ["border"],
                "origin": "domestic",
                "triage": "1d",
                "respond": "3d",
            },
        ],
    }
    return settings.model_copy(update={"desk": Desk.model_validate({**base, **desk})})


def _case(**changes: object) -> DeadlineCase:
    fields: dict[str, object] = {
        "id": 1,
        "title": "t",
        "status": "new",
        "priority": 10.0,
        "topics": [],
        "origins": ["domestic"],
        "assignee": None,
        "response": None,
        "opened_at": hanoi(2026, 11, 25, 10, 0),
        "deadline_band": None,
        "triage_due_at": None,
        "respond_due_at": None,
        "waiting_since": None,
    }
    return DeadlineCase(**{**fields, **changes})  # type: ignore[arg-type]


def test_the_first_matching_band_wins_and_bands_only_tighten(settings: Settings) -> None:
    configured = _desk_settings(settings)
    foreign = _case(topics=["sovereignty"], origins=["domestic", "foreign"])
    assert band_for(configured, foreign).id == "foreign-sensitive"
    assert band_for(configured, _case(topics=["sovereignty"])).id == "default"
    assert band_for(configured, _case(priority=75.0)).id == "high"
    assert band_for(configured, _case(topics=["border"])).id == "domestic-border"
    assert band_for(configured, _case(topics=["border"], origins=[])).id == "default"
    # Its priority decayed below 70, but the case keeps the stricter band it had.
    assert band_for(configured, _case(priority=40.0, deadline_band="high")).id == "high"
    # A foreign outlet picking up the story tightens it further.
    tighter = _case(topics=["border"], origins=["foreign"], deadline_band="high")
    assert band_for(configured, tighter).id == "foreign-sensitive"


def test_warn_before_as_a_time_or_a_fraction(settings: Settings) -> None:
    opened, due = hanoi(2026, 11, 25, 10, 0), hanoi(2026, 11, 25, 14, 0)
    assert warn_from(_desk_settings(settings), opened, due) == hanoi(2026, 11, 25, 13, 30)
    quarter = _desk_settings(settings, warn_before=0.25)
    assert warn_from(quarter, opened, due) == hanoi(2026, 11, 25, 13, 0)
    states = case_states(
        quarter,
        status="triaged",
        response=None,
        opened_at=opened,
        triage_due_at=due,
        respond_due_at=due + dt.timedelta(hours=4),
        now=hanoi(2026, 11, 25, 15, 0),
    )
    assert states == {"triage": "met", "respond": "ok"} and worst(states) == "ok"
    states = case_states(
        quarter,
        status="new",
        response=None,
        opened_at=opened,
        triage_due_at=due,
        respond_due_at=due + dt.timedelta(hours=4),
        now=hanoi(2026, 11, 25, 14, 1),
    )
    assert states == {"triage": "missed", "respond": "ok"} and worst(states) == "missed"
    waiting = case_states(
        quarter,
        status="waiting",
        response=None,
        opened_at=opened,
        triage_due_at=due,
        respond_due_at=due,
        now=hanoi(2026, 11, 26, 0, 0),
    )
    assert waiting == {"triage": "met", "respond": "paused"}


def test_desk_settings_are_strict() -> None:
    assert Desk.model_validate({"warn_before": "1h30m"}).warn_before == dt.timedelta(minutes=90)
    assert Desk().enabled is False and Desk().default.id == "default"
    # Written back out (config edits, tests' config files) in the office's notation.
    typed = Desk.model_validate(
        {"warn_before": "45m", "default": {"id": "d", "triage": "1d2h", "respond": "PT3H"}}
    )
    dumped = typed.model_dump(mode="json")
    assert (dumped["warn_before"], dumped["default"]["triage"], dumped["default"]["respond"]) == (
        "45m",
        "1d2h",
        "3h",
    )
    assert Desk.model_validate(dumped) == typed
    for bad in (
        {"warn_before": "soon"},
        {"warn_before": 1.5},
        {"bands": [{"id": "x", "triage": "2 hours", "respond": "1d"}]},
        {"bands": [{"id": "x", "triage": "0h", "respond": "1d"}]},
        {"business_hours": {"start": "17:00", "end": "08:00"}},
        {"unknown": True},
        {"telegram_token_env": "123:secret-token"},
        {"escalation_channels": ["Leaders!"]},
    ):
        with pytest.raises(ValidationError):
            Desk.model_validate(bad)


def test_config_check_reports_unknown_escalation_channels_and_topics(
    tmp_path: Path, settings: Settings
) -> None:
    data = yaml.safe_load(Path("tests/fixtures/config/office.yaml").read_text(encoding="utf-8"))
    data["desk"] = {
        "enabled": True,
        "escalation_channels": ["nowhere"],
        "bands": [{"id": "b", "topics": ["no-such-topic"], "triage": "2h", "respond": "1d"}],
    }
    path = tmp_path / "office.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    text = str(caught.value)
    assert "desk.escalation_channels.0" in text and "unknown channel 'nowhere'" in text
    assert "desk.bands.0.topics.0" in text and "unknown topic 'no-such-topic'" in text


def test_a_day_in_business_hours_is_a_working_day_not_24_working_hours() -> None:
    thursday = hanoi(2026, 12, 3, 14, 0)
    two_days = dt.timedelta(days=2)
    # Thursday 14:00 + two working days = Monday 14:00 (the weekend does not count).
    assert due_at(OFFICE, thursday, two_days, [], thursday) == hanoi(2026, 12, 7, 14, 0)
    assert OFFICE.span(dt.timedelta(days=1, hours=2)) == dt.timedelta(hours=11, minutes=30)
    assert AROUND_THE_CLOCK.span(two_days) == two_days
