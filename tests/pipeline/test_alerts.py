"""Alerts: rules, one alert per case per rule, real SMTP/webhook/Telegram
deliveries to local servers, retries with backoff, quiet hours, rate limit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage

import pytest

from core.config import AlertRule, Alerts, Channel, QuietHours, Settings
from pipeline.alerts.rules import backoff, evaluate, quiet_until, run_alerts
from pipeline.process.analyse import run_process
from storage import alerts as store
from storage.db import Database
from storage.sources import sync_sources
from tests.pipeline.helpers import NOW, ScriptedAnalyzer, store_article
from tests.pipeline.servers import Receiver, http_receiver, smtp_server

TOKEN = "123456:TEST-token"


@dataclass
class Env:
    settings: Settings
    database: Database
    mails: list[EmailMessage]
    http: Receiver

    def with_alerts(self, **changes: object) -> Settings:
        alerts = self.settings.alerts.model_copy(update=changes)
        return self.settings.model_copy(update={"alerts": alerts})

    def process(self) -> None:
        run_process(self.settings, self.database, ScriptedAnalyzer(), now=NOW)

    def webhook_posts(self) -> list[object]:
        return [body for path, _, body in self.http.requests if path == "/hook"]


@pytest.fixture
def env(database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    monkeypatch.setenv("PRESSWATCH_TEST_BOT", TOKEN)
    with smtp_server() as (port, mails), http_receiver() as http:
        channels = [
            Channel(id="mail", kind="email", to=["baochi@example.test"]),
            Channel(id="hook", kind="webhook", url=f"{http.url}/hook"),
            Channel(
                id="tg",
                kind="telegram",
                token_env="PRESSWATCH_TEST_BOT",
                chat_id="-100",
                api_url=http.url,
            ),
        ]
        rules = [
            AlertRule(
                id="high",
                kind="case_score",
                min_score=0.75,
                urgent=True,
                channels=["mail", "hook", "tg"],
            ),
        ]
        configured = settings.model_copy(
            update={
                "alerts": Alerts(
                    rate_limit_per_hour=20, quiet_hours=None, rules=rules, channels=channels
                ),
                "smtp": settings.smtp.model_copy(update={"host": "127.0.0.1", "port": port}),
            }
        )
        with database.session() as session:
            sync_sources(session, configured.sources)
        yield Env(configured, database, mails, http)


def test_a_case_above_the_score_alerts_once_on_every_channel(env: Env) -> None:
    _, story = store_article(
        env.database,
        title="Cứu trợ bị ăn chặn",
        new_story_title="s",
        text="Tiền cứu trợ bị ăn chặn. SCORE=0.8",
    )
    store_article(env.database, title="low", new_story_title="low", text="ok. SCORE=0.6")
    env.process()
    stats = run_alerts(env.settings, env.database, NOW)
    assert (stats.created, stats.sent, stats.failed) == (1, 3, 0)
    (mail,) = env.mails
    assert "Cứu trợ bị ăn chặn" in str(mail["Subject"]) and mail["Message-ID"]
    assert "Tiền cứu trợ bị ăn chặn" in mail.get_content()
    paths = sorted(path for path, _, _ in env.http.requests)
    assert paths == ["/bot123456:TEST-token/sendMessage", "/hook"]
    hook = next(r for r in env.http.requests if r[0] == "/hook")
    assert hook[1]["Idempotency-Key"] == hook[2]["key"] and hook[2]["case_id"]
    # A syndicated copy joins the case: still one alert, nothing resent.
    store_article(env.database, source_id="vnexpress", story_id=story, text="Sao chép. SCORE=0.9")
    env.process()
    again = run_alerts(env.settings, env.database, NOW + dt.timedelta(minutes=5))
    assert (again.created, again.sent) == (0, 0)
    assert len(env.mails) == 1 and len(env.http.requests) == 2
    with env.database.session() as session:
        states = store.delivery_states(session)
    assert {s.status for s in states} == {"sent"} and len(states) == 3


def test_failed_deliveries_are_retried_with_backoff_and_sent_once(env: Env) -> None:
    store_article(env.database, new_story_title="s", text="x. SCORE=0.9")
    env.process()
    env.http.fail_next = 2  # the webhook and Telegram calls both fail once
    first = run_alerts(env.settings, env.database, NOW)
    assert (first.sent, first.failed) == (1, 2)
    # Too early for a retry: nothing happens.
    assert run_alerts(env.settings, env.database, NOW + dt.timedelta(minutes=1)).sent == 0
    later = run_alerts(env.settings, env.database, NOW + backoff(1) + dt.timedelta(seconds=1))
    assert (later.sent, later.failed) == (2, 0)
    assert len(env.mails) == 1 and len(env.webhook_posts()) == 1
    with env.database.session() as session:
        attempts = {s.channel_id: s.attempts for s in store.delivery_states(session)}
    assert attempts == {"mail": 1, "hook": 2, "tg": 2}
    assert run_alerts(env.settings, env.database, NOW + dt.timedelta(hours=1)).sent == 0


def test_an_unreachable_smtp_server_is_stored_and_retried(env: Env) -> None:
    settings = env.settings.model_copy(
        update={"smtp": env.settings.smtp.model_copy(update={"port": 1})}
    )
    settings = settings.model_copy(
        update={
            "alerts": settings.alerts.model_copy(
                update={
                    "rules": [
                        env.settings.alerts.rules[0].model_copy(update={"channels": ["mail"]})
                    ]
                }
            )
        }
    )
    store_article(env.database, new_story_title="s", text="x. SCORE=0.9")
    env.process()
    assert run_alerts(settings, env.database, NOW).failed == 1
    with env.database.session() as session:
        (state,) = store.delivery_states(session)
    assert state.status == "failed" and "SMTP 127.0.0.1:1" in (state.last_error or "")
    assert run_alerts(env.settings, env.database, NOW + dt.timedelta(hours=1)).sent == 1
    assert len(env.mails) == 1


def test_a_claimed_delivery_cannot_be_claimed_again(env: Env) -> None:
    store_article(env.database, new_story_title="s", text="x. SCORE=0.9")
    env.process()
    assert evaluate(env.settings, env.database, NOW) == 1
    assert evaluate(env.settings, env.database, NOW) == 0
    with env.database.session() as session:
        due = store.due_deliveries(session, NOW)
    assert len(due) == 3
    with env.database.session() as session:
        assert store.claim_delivery(session, due[0].id, NOW)
    with env.database.session() as session:
        assert not store.claim_delivery(session, due[0].id, NOW)
    # A run that died holding the claim: after a while the delivery is retried, not lost.
    stats = run_alerts(env.settings, env.database, NOW + dt.timedelta(minutes=20))
    assert stats.sent == 3


def test_quiet_hours_hold_non_urgent_alerts_until_morning(env: Env) -> None:
    quiet = QuietHours(start="22:00", end="06:30")
    rule = AlertRule(id="calm", kind="case_score", min_score=0.5, urgent=False, channels=["hook"])
    settings = env.with_alerts(quiet_hours=quiet, rules=[*env.settings.alerts.rules, rule])
    night = dt.datetime(2026, 11, 25, 16, 0, tzinfo=dt.UTC)  # 23:00 in Hanoi
    store_article(env.database, new_story_title="s", text="x. SCORE=0.9")
    env.process()
    stats = run_alerts(settings, env.database, night)
    # The urgent rule goes out at night on all three channels; the calm one waits.
    assert (stats.created, stats.sent, stats.held) == (2, 3, 1)
    assert run_alerts(settings, env.database, night + dt.timedelta(hours=2)).sent == 0
    morning = dt.datetime(2026, 11, 25, 23, 31, tzinfo=dt.UTC)  # 06:31 next day in Hanoi
    assert run_alerts(settings, env.database, morning).sent == 1
    assert len(env.webhook_posts()) == 2


def test_quiet_until_handles_midnight() -> None:
    quiet = QuietHours(start="22:00", end="06:30")
    tz = "Asia/Ho_Chi_Minh"
    late = dt.datetime(2026, 11, 25, 16, 0, tzinfo=dt.UTC)  # 23:00
    early = dt.datetime(2026, 11, 25, 22, 0, tzinfo=dt.UTC)  # 05:00 on the 26th
    noon = dt.datetime(2026, 11, 25, 5, 0, tzinfo=dt.UTC)
    morning = dt.datetime(2026, 11, 25, 23, 30, tzinfo=dt.UTC)  # 06:30 on the 26th
    assert quiet_until(quiet, tz, late) == morning
    assert quiet_until(quiet, tz, early) == morning
    assert quiet_until(quiet, tz, noon) is None
    assert quiet_until(quiet, tz, morning) is None


def test_the_rate_limit_spreads_deliveries_over_hours(env: Env) -> None:
    rule = AlertRule(id="high", kind="case_score", min_score=0.5, urgent=True, channels=["hook"])
    settings = env.with_alerts(rate_limit_per_hour=2, rules=[rule])
    for n in range(3):
        store_article(env.database, new_story_title=f"s{n}", text=f"x{n}. SCORE=0.9")
    env.process()
    stats = run_alerts(settings, env.database, NOW)
    assert (stats.created, stats.sent, stats.held) == (3, 2, 1)
    assert run_alerts(settings, env.database, NOW + dt.timedelta(minutes=30)).sent == 0
    assert run_alerts(settings, env.database, NOW + dt.timedelta(minutes=61)).sent == 1
    assert len(env.webhook_posts()) == 3


def test_sensitive_topics_in_foreign_press_alert_once_per_story(env: Env) -> None:
    rule = AlertRule(id="foreign", kind="sensitive_foreign", channels=["hook"])
    settings = env.with_alerts(rules=[rule])
    _, story = store_article(
        env.database,
        source_id="bbc-vietnamese",
        new_story_title="b",
        title="Biên giới",
        text="Cột mốc. TOPIC=border",
        fetched_at=NOW,
    )
    store_article(
        env.database,
        source_id="rfa-vietnamese",
        story_id=story,
        text="Cột mốc. TOPIC=border",
        fetched_at=NOW,
    )
    store_article(
        env.database,
        source_id="vnexpress",
        new_story_title="d",
        text="Cột mốc. TOPIC=border",
        fetched_at=NOW,
    )
    store_article(
        env.database,
        source_id="bbc-vietnamese",
        new_story_title="t",
        text="Du lịch. TOPIC=tourism",
        fetched_at=NOW,
    )
    env.process()
    stats = run_alerts(settings, env.database, NOW + dt.timedelta(minutes=1))
    assert (stats.created, stats.sent) == (1, 1)
    (body,) = env.webhook_posts()
    assert body["topics"] == ["border"] and len(body["urls"]) == 2  # type: ignore[index]
    assert run_alerts(settings, env.database, NOW + dt.timedelta(minutes=2)).created == 0


def test_a_volume_spike_against_the_trailing_average_alerts(env: Env) -> None:
    rule = AlertRule(
        id="spike",
        kind="volume_spike",
        factor=3.0,
        min_articles=4,
        window_days=7,
        topics=["tourism", "disaster"],
        channels=["hook"],
    )
    settings = env.with_alerts(rules=[rule])
    for day in range(1, 8):
        store_article(
            env.database,
            text="Lũ. TOPIC=disaster TOPIC=tourism",
            fetched_at=NOW - dt.timedelta(days=day),
        )
    for _ in range(4):
        store_article(env.database, text="Hang động. TOPIC=tourism", fetched_at=NOW)
    store_article(env.database, text="Lũ. TOPIC=disaster", fetched_at=NOW)
    env.process()
    stats = run_alerts(settings, env.database, NOW + dt.timedelta(minutes=1))
    assert stats.created == 1
    (body,) = env.webhook_posts()
    assert body["topic"] == "tourism" and body["count"] == 4  # type: ignore[index]
    assert run_alerts(settings, env.database, NOW + dt.timedelta(hours=2)).created == 0


def test_telegram_errors_name_the_setting_and_never_the_token(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = AlertRule(id="high", kind="case_score", min_score=0.5, urgent=True, channels=["tg"])
    settings = env.with_alerts(rules=[rule])
    store_article(env.database, new_story_title="s", text="x. SCORE=0.9")
    env.process()
    env.http.fail_next = 1
    assert run_alerts(settings, env.database, NOW).failed == 1
    with env.database.session() as session:
        (state,) = store.delivery_states(session)
    assert "/bot***/sendMessage: HTTP 500" in (state.last_error or "")
    assert TOKEN not in (state.last_error or "")
    monkeypatch.delenv("PRESSWATCH_TEST_BOT")
    assert run_alerts(settings, env.database, NOW + dt.timedelta(hours=1)).failed == 1
    with env.database.session() as session:
        (state,) = store.delivery_states(session)
    assert state.attempts == 2 and "$PRESSWATCH_TEST_BOT" in (state.last_error or "")
    monkeypatch.setenv("PRESSWATCH_TEST_BOT", TOKEN)
    assert run_alerts(settings, env.database, NOW + dt.timedelta(hours=2)).sent == 1
    with env.database.session() as session:
        assert all(TOKEN not in (s.last_error or "") for s in store.delivery_states(session))
