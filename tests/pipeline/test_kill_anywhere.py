"""Kill anywhere (issue 13): SIGKILL `process`, `alerts run` and the daemon
(`presswatch run`) at seeded random points, on SQLite and PostgreSQL, then
rerun (`crawl`: tests/crawlers/test_kill_anywhere_crawl.py). Afterwards every article
is stored once with its story, every flagged story has exactly one case,
nothing is orphaned (`presswatch db check`), and no alert delivery is lost
(repeats only with the same Idempotency-Key)."""

from __future__ import annotations

import datetime as dt
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.config import Settings
from pipeline.alerts.rules import run_alerts
from pipeline.process.analyse import run_process
from pipeline.run.scheduler import hold_lock
from storage import repair
from storage.db import Database
from storage.models import AlertDeliveryRow, AnalysisRow, ArticleRow, CaseRow
from storage.sources import sync_sources
from tests.conftest import ROOT
from tests.pipeline.helpers import ScriptedAnalyzer, store_article, with_webhook, write_config
from tests.pipeline.servers import Receiver, http_receiver

pytestmark = pytest.mark.slow
SEEDS = [11, 37]
DAEMON_SEEDS = [5, 23, 61]

# The stage under test in a child process, slowed a little so kills land inside
# batches, with "ready" printed once the imports are done.
PROCESS_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from core.loading import load_settings
    from pipeline.process.analyse import run_process
    from storage.db import Database
    from tests.pipeline.helpers import ScriptedAnalyzer

    class Slow(ScriptedAnalyzer):
        def analyze(self, docs):
            time.sleep(0.01)
            return super().analyze(docs)

    settings = load_settings(Path(sys.argv[1]))
    database = Database.open(settings.database_url)
    print("ready", flush=True)
    run_process(settings, database, Slow(), batch_size=3)
    """
)
ALERTS_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from core.loading import load_settings
    from pipeline.alerts.rules import run_alerts
    from storage.db import Database

    settings = load_settings(Path(sys.argv[1]))
    database = Database.open(settings.database_url)
    print("ready", flush=True)
    run_alerts(settings, database)
    """
)
# The daemon with its process and alerts jobs (crawl, digest and export have
# nothing to do here), every job due at start as after a long stop, so the kill
# lands in the lock, the scheduler start-up, a process batch or a delivery.
DAEMON_SCRIPT = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from pathlib import Path
    from core.loading import load_settings
    from pipeline.alerts.rules import run_alerts
    from pipeline.process.analyse import run_process
    from pipeline.run.scheduler import Daemon
    from storage.db import Database
    from tests.pipeline.helpers import ScriptedAnalyzer

    class Slow(ScriptedAnalyzer):
        def analyze(self, docs):
            time.sleep(0.01)
            return super().analyze(docs)

    class DueNow(Daemon):
        def _sync_jobs(self, scheduler):
            super()._sync_jobs(scheduler)
            for job in scheduler.get_jobs():
                job.modify(next_run_time=dt.datetime.now(dt.UTC))

    settings = load_settings(Path(sys.argv[1]))
    database = Database.open(settings.database_url)
    daemon = DueNow(settings, database)
    stop = daemon.stop
    daemon.stages = {
        "crawl": lambda _: "nothing to crawl",
        "process": lambda _: str(run_process(settings, database, Slow(), batch_size=3, stop=stop)),
        "alerts": lambda _: str(run_alerts(settings, database, stop=stop)),
        "digest": lambda _: "not due",
        "export": lambda _: "not due",
    }
    print("ready", flush=True)
    daemon.run()
    """
)


def _run_and_kill(script: str, config: Path, rng: random.Random, window: float) -> None:
    with tempfile.TemporaryFile("w+") as errors:  # a file: a full pipe would block the child
        proc = subprocess.Popen(
            [sys.executable, "-c", script, str(config)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            proc.wait()
            errors.seek(0)
            pytest.fail(f"the child did not start:\n{errors.read()}")
        time.sleep(rng.uniform(0.0, window))
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def _count(database: Database, model: type) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _seed_articles(database: Database, settings: Settings, rng: random.Random) -> set[int]:
    with database.session() as session:
        sync_sources(session, settings.sources)
    flagged_stories: set[int] = set()
    for n in range(12):
        _, story = store_article(database, new_story_title=f"Chuyện {n}", text=f"Tin {n}.")
        assert story is not None
        flagged = rng.random() < 0.6
        if flagged:
            flagged_stories.add(story)
        # The original plus syndicated copies in the same story.
        for copy in range(rng.randint(1, 3)):
            score = 0.9 if flagged else 0.1
            store_article(
                database,
                source_id=("vnexpress", "tuoitre", "baoquangtri")[copy],
                story_id=story,
                text=f"Tin {n}, bản {copy}. SCORE={score}",
            )
    return flagged_stories


def _assert_processed_once(database: Database, articles: int, flagged_stories: set[int]) -> None:
    """Each article in its story and analysed once; each flagged story one case."""
    with database.session() as session:
        assert repair.check(session).problems == 0  # nothing orphaned
        stories = list(session.scalars(select(ArticleRow.story_id)))
        per_article = Counter(session.scalars(select(AnalysisRow.article_id)))
        cases = list(session.scalars(select(CaseRow.story_id)))
    assert len(stories) == articles and None not in stories
    assert len(per_article) == articles and set(per_article.values()) == {1}
    assert sorted(cases) == sorted(flagged_stories)


def _rerun_alerts_and_count(
    database: Database, settings: Settings, http: Receiver, flagged_stories: set[int]
) -> None:
    """Rerun alerts past the killed runs' leases: every alert sent, none lost, a
    repeat (a kill between sending and recording) only with the same key."""
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    run_alerts(settings, database, later)
    with database.session() as session:
        statuses = Counter(session.scalars(select(AlertDeliveryRow.status)))
    assert statuses == Counter({"sent": len(flagged_stories)})
    keys = Counter(headers["Idempotency-Key"] for path, headers, _ in http.requests)
    assert len(keys) == len(flagged_stories)  # none lost
    assert all(n <= 2 for n in keys.values()), keys


@dataclass
class Scene:
    """Seeded articles, a webhook receiver and a config for the child processes."""

    settings: Settings
    config: Path
    http: Receiver
    articles: int
    flagged_stories: set[int]


@contextmanager
def _scene(
    database: Database, database_url: str, settings: Settings, tmp_path: Path, rng: random.Random
) -> Iterator[Scene]:
    with http_receiver() as http:
        configured = with_webhook(settings, f"{http.url}/hook")
        flagged_stories = _seed_articles(database, configured, rng)
        config = tmp_path / "config.yaml"
        write_config(configured, config, database_url)
        yield Scene(configured, config, http, _count(database, ArticleRow), flagged_stories)


@pytest.mark.parametrize("seed", SEEDS)
def test_process_and_alerts_killed_anywhere_end_consistent(
    database: Database, database_url: str, settings: Settings, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    with _scene(database, database_url, settings, tmp_path, rng) as scene:
        for _ in range(2):
            _run_and_kill(PROCESS_SCRIPT, scene.config, rng, 0.4)
        run_process(scene.settings, database, ScriptedAnalyzer())
        _assert_processed_once(database, scene.articles, scene.flagged_stories)

        for _ in range(2):
            _run_and_kill(ALERTS_SCRIPT, scene.config, rng, 0.3)
        # A killed run's claims are leases: a later run takes them over once expired.
        _rerun_alerts_and_count(database, scene.settings, scene.http, scene.flagged_stories)


@pytest.mark.parametrize("seed", DAEMON_SEEDS)
def test_the_daemon_killed_anywhere_ends_consistent_after_a_rerun(
    database: Database, database_url: str, settings: Settings, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    with _scene(database, database_url, settings, tmp_path, rng) as scene:
        for _ in range(2):  # the second start takes over the lock the first left
            _run_and_kill(DAEMON_SCRIPT, scene.config, rng, 2.5)
        # The rerun: the dead daemon's lock is free at once (its PID is gone).
        with hold_lock(database, "rerun:1:1"):
            run_process(scene.settings, database, ScriptedAnalyzer())
            _assert_processed_once(database, scene.articles, scene.flagged_stories)
            _rerun_alerts_and_count(database, scene.settings, scene.http, scene.flagged_stories)
