"""Alert delivery under trouble (issue 13): a webhook that never answers costs
a bounded time, sends go out concurrently per channel, a delivery another run
claimed is reported as such, and a run's claims are leases it renews."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from core.config import Settings
from pipeline.alerts import channels, delivery
from pipeline.alerts.rules import AlertStats, run_alerts
from pipeline.process.analyse import run_process
from storage import alerts as store
from storage.db import Database
from storage.sources import sync_sources
from tests.pipeline.helpers import NOW, ScriptedAnalyzer, store_article, with_webhook


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def _cases(database: Database, settings: Settings, n: int) -> None:
    with database.session() as session:
        sync_sources(session, settings.sources)
    for i in range(n):
        store_article(database, new_story_title=f"s{i}", text=f"Sai {i}. SCORE=0.9")
    run_process(settings, database, ScriptedAnalyzer(), now=NOW)


def test_a_webhook_that_never_answers_costs_a_bounded_time(
    database: Database,
    settings: Settings,
    silent_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configured = with_webhook(settings, silent_url)
    _cases(database, configured, 12)
    monkeypatch.setattr(channels, "TIMEOUT_SECONDS", 1.0)
    monkeypatch.setattr(delivery, "CHANNEL_BUDGET_SECONDS", 1.5)
    started = time.monotonic()
    stats = run_alerts(configured, database, NOW)
    took = time.monotonic() - started
    # One after another this would be 12 x 1 s; concurrently and within budget, ~2 s.
    assert took < 5, took
    assert stats.failed >= 4 and stats.deferred > 0 and stats.failed + stats.deferred == 12
    assert "left for the next run" in str(stats)
    with database.session() as session:
        states = {s.status for s in store.delivery_states(session)}
    assert states <= {"failed", "pending"}  # nothing left claimed


def test_a_delivery_claimed_by_another_run_is_reported_as_such(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.pipeline.servers import http_receiver

    with http_receiver() as http:
        configured = with_webhook(settings, f"{http.url}/hook")
        _cases(database, configured, 2)
        from pipeline.alerts.rules import evaluate

        evaluate(configured, database, NOW)
        real = store.claim_delivery
        raced: list[int] = []

        def claimed_meanwhile(session: object, delivery_id: int, now: dt.datetime) -> bool:
            if not raced:  # another run claims the first delivery just before this one
                raced.append(delivery_id)
                with database.session() as other:
                    assert real(other, delivery_id, now)
            return real(session, delivery_id, now)  # type: ignore[arg-type]

        monkeypatch.setattr(store, "claim_delivery", claimed_meanwhile)
        stats = AlertStats()
        delivery.deliver_due(configured, database, stats, NOW)
    assert (stats.sent, stats.elsewhere, stats.failed) == (1, 1, 0)
    assert "1 claimed elsewhere" in str(stats)


def test_claims_are_leases_the_sending_run_renews(database: Database, settings: Settings) -> None:
    _cases(database, settings, 1)
    from pipeline.alerts.rules import evaluate

    configured = with_webhook(settings, "http://127.0.0.1:9/hook")
    evaluate(configured, database, NOW)
    with database.session() as session:
        (due,) = store.due_deliveries(session, NOW)
        assert store.claim_delivery(session, due.id, NOW)
    later = NOW + store.STALE_CLAIM + dt.timedelta(seconds=5)
    with database.session() as session:
        store.renew_claims(session, [due.id], later - dt.timedelta(seconds=10))
        assert store.due_deliveries(session, later) == []  # renewed: not stale
    with database.session() as session:
        assert [d.id for d in store.due_deliveries(session, later + store.STALE_CLAIM)] == [due.id]
