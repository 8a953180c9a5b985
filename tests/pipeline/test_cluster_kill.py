"""Cluster recovery (issue 14): `presswatch worker` processes killed -9 in the middle
of an analysis batch and of an alert delivery; after the next worker takes their
jobs over, every article is analysed once, every flagged story has one case and
every alert reached the receiver once (a repeat only with the same
Idempotency-Key, from the send the kill cut off).

The workers are the real CLI in child processes; as in test_kill_anywhere.py the
child script swaps in the scripted analyzer (here one that parks in its second
batch when told to, so the kill lands inside a batch) and shortens the alert
claim lease from one minute to two seconds so the test need not wait it out."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from core.config import Settings
from pipeline.cli import app
from storage.db import Database
from storage.models import AlertDeliveryRow, AnalysisRow, ArticleRow, CaseRow
from storage.sources import sync_sources
from tests.conftest import ROOT
from tests.pipeline.helpers import store_article, with_webhook, write_config

WORKER_SCRIPT = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from pathlib import Path
    import storage.alerts
    from pipeline.cli import app
    from pipeline.process.analyse import run_process
    from pipeline.run import stages
    from tests.pipeline.helpers import ScriptedAnalyzer

    config, park_flag, queues = sys.argv[1], sys.argv[2], sys.argv[3]

    class Parking(ScriptedAnalyzer):
        batches = 0

        def analyze(self, docs):
            Parking.batches += 1
            if park_flag != "-" and Parking.batches == 2:
                Path(park_flag).write_text("in batch 2")  # batch 1 is committed
                time.sleep(120)
            time.sleep(0.02)
            return super().analyze(docs)

    def process(settings, database, stop=None):
        return str(run_process(settings, database, Parking(), batch_size=3, stop=stop))

    stages.process = process
    storage.alerts.STALE_CLAIM = dt.timedelta(seconds=2)
    app(["--config", config, "worker", "--queues", queues, "--concurrency", "2"])
    """
)
STALLED_SECONDS = "3"


@dataclass
class HoldingReceiver:
    """A webhook endpoint that records each POST on arrival and holds the
    `hold_at`-th one unanswered until `release` is set."""

    url: str = ""
    hold_at: int = 2
    keys: list[str] = field(default_factory=list)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def holding_receiver() -> Iterator[HoldingReceiver]:
    state = HoldingReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.lock:
                state.keys.append(self.headers["Idempotency-Key"])
                hold = len(state.keys) == state.hold_at
            if hold:
                state.holding.set()
                state.release.wait(30)
            body = json.dumps({"ok": True}).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the sender was killed while this one was held

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


def _seed(database: Database, settings: Settings) -> tuple[int, set[int]]:
    """Stories of one to three articles, about half flagged; (articles, flagged stories)."""
    rng = random.Random(14)
    with database.session() as session:
        sync_sources(session, settings.sources)
    flagged: set[int] = set()
    for n in range(10):
        _, story = store_article(database, new_story_title=f"Chuyện {n}", text=f"Tin {n}.")
        assert story is not None
        score = 0.9 if n % 2 == 0 else 0.1
        if score > 0.5:
            flagged.add(story)
        for copy in range(rng.randint(1, 2)):
            store_article(
                database,
                source_id=("vnexpress", "tuoitre")[copy],
                story_id=story,
                text=f"Tin {n}, bản {copy}. SCORE={score}",
            )
    with database.session() as session:
        articles = int(session.scalar(select(func.count()).select_from(ArticleRow)) or 0)
    return articles, flagged


def _worker(
    config: Path, park_flag: Path | None, queues: str, log: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PRESSWATCH_CLUSTER_CRON": "* * * * * */2",  # the periodic deferrals every 2 s
        "PRESSWATCH_CLUSTER_STALLED_SECONDS": STALLED_SECONDS,
    }
    return subprocess.Popen(
        [sys.executable, "-c", WORKER_SCRIPT, str(config), str(park_flag or "-"), queues],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_workers_killed_in_a_batch_and_in_a_delivery_leave_each_effect_once(
    database: Database, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    # Sources disabled: the crawl shards have nothing to fetch.
    quiet = [source.model_copy(update={"enabled": False}) for source in settings.sources]
    with holding_receiver() as receiver:
        configured = with_webhook(settings, receiver.url).model_copy(update={"sources": quiet})
        articles, flagged = _seed(database, configured)
        config = tmp_path / "config.yaml"
        write_config(configured, config, database_url)
        assert CliRunner().invoke(app, ["--config", str(config), "db", "upgrade"]).exit_code == 0

        def analysed() -> int:
            with database.session() as session:
                return int(session.scalar(select(func.count()).select_from(AnalysisRow)) or 0)

        # 1. Killed inside its second analysis batch (the first committed).
        parked = tmp_path / "parked"
        first = _worker(config, parked, "analyse", tmp_path / "first.log")
        try:
            _wait_for(parked.exists, 30, "the first worker to park in batch 2")
            assert analysed() == 3
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()

        # 2. The next worker requeues the stalled batch job, analyses the rest, opens
        # the cases and starts delivering; it is killed with a send in flight.
        second = _worker(config, None, "crawl,analyse,alerts", tmp_path / "second.log")
        try:
            _wait_for(receiver.holding.is_set, 40, "a delivery held at the receiver")
        finally:
            second.send_signal(signal.SIGKILL)
            second.wait()
            receiver.release.set()

        # 3. A third worker requeues that job; the killed send's claim has lapsed.
        third = _worker(config, None, "crawl,analyse,alerts", tmp_path / "third.log")
        try:

            def all_sent() -> bool:
                with database.session() as session:
                    sent = Counter(session.scalars(select(AlertDeliveryRow.status)))
                return sent == Counter({"sent": len(flagged)})

            _wait_for(all_sent, 30, "every alert delivered")
        finally:
            third.send_signal(signal.SIGTERM)
            third.wait(timeout=30)

    with database.session() as session:
        per_article = Counter(session.scalars(select(AnalysisRow.article_id)))
        cases = list(session.scalars(select(CaseRow.story_id)))
    assert len(per_article) == articles and set(per_article.values()) == {1}
    assert sorted(cases) == sorted(flagged)
    received = Counter(receiver.keys)
    assert len(received) == len(flagged)  # every alert arrived
    # Repeats only of sends the kill cut off (the held one, and any answered but not
    # yet recorded as sent), each once more under its own key: a receiver drops them.
    assert received[receiver.keys[receiver.hold_at - 1]] == 2, received
    assert max(received.values()) <= 2, received
