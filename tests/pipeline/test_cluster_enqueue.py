"""Cluster mode (issue 14): a crawl's new relevant articles and the job that
analyses them commit in one transaction. A crawl process killed -9 before its
batch commits leaves neither; one killed after leaves both, with exactly one
job, which a worker runs once. The periodic sweep leaves articles a live job
holds to that job and picks up those whose job failed for good."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from core.config import Settings
from pipeline.cli import app
from pipeline.cluster.app import _app, cluster_app
from pipeline.process.analyse import run_process
from storage import job_queue
from storage.db import Database
from storage.models import AnalysisRow, ArticleRow, SnapshotRow
from storage.sources import sync_sources
from tests.conftest import ROOT
from tests.pipeline.helpers import ScriptedAnalyzer, store_article, write_config

# Stores three pages (two about the watched province) in one open batch, then
# commits it or not, says so in FLAG and waits to be killed.
STORE_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from core.config import Settings
    from core.record import Snapshot
    from pipeline.crawl.store import ArticleStore
    from storage import job_queue
    from storage.db import Database

    settings_path, flag, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    settings = Settings.model_validate_json(Path(settings_path).read_text())
    database = Database.open(settings.database_url)
    store = ArticleStore(settings, database, batch_pages=50, batch_seconds=3600)
    store.defer_analysis = job_queue.defer_analysis
    for n, place in enumerate(["Quảng Bình", "Hà Giang", "Đồng Hới"]):
        words = (
            f"Tin số {n}: hội đồng nhân dân ở {place} họp bàn kế hoạch chỉnh trang "
            "các tuyến phố, trồng thêm cây xanh và sửa đường ven biển trước mùa mưa bão."
        )
        body = (
            f"<html lang='vi'><head><meta charset='utf-8'><title>Tin {n}</title></head>"
            f"<body><article><h1>Tin {n} ở {place}</h1>"
            + "".join(f"<p>{words} Đoạn {p}.</p>" for p in range(5))
            + "</article></body></html>"
        ).encode()
        url = f"https://baoquangbinh.vn/tin/{mode}-{n}.html"
        store.store_page(Snapshot(
            url=url, final_url=url, status=200, body=body, source_id="baoquangtri",
            headers={"content-type": "text/html; charset=utf-8"},
        ))
    if mode == "commit":
        store.flush()
    flag.write_text(mode)
    time.sleep(120)
    """
)

# A worker whose analyses come from the scripted analyzer; every article it is
# handed is appended to SEEN.
WORKER_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from pipeline.cli import app
    from pipeline.process.analyse import run_process
    from pipeline.run import stages
    from tests.pipeline.helpers import ScriptedAnalyzer

    config, seen = sys.argv[1], Path(sys.argv[2])

    class Recording(ScriptedAnalyzer):
        def analyze(self, docs):
            with seen.open("a") as out:
                out.writelines(f"{doc.id}\\n" for doc in docs)
            return super().analyze(docs)

    def process(settings, database, stop=None, *, article_ids=None, analyzer=None):
        return str(run_process(
            settings, database, Recording(), stop=stop, article_ids=article_ids
        ))

    stages.process = process
    app(["--config", config, "worker", "--burst", "--queues", "analyse"])
    """
)


def _count(database: Database, row: type) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(row)) or 0)


def _jobs(database: Database) -> list[tuple[str, str, dict[str, list[int]], int]]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT task_name, status::text, args, attempts FROM procrastinate_jobs "
                "WHERE task_name = :task ORDER BY id"
            ),
            {"task": job_queue.ANALYSE_TASK},
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]


def _store_in_child(settings_path: Path, tmp_path: Path, mode: str) -> None:
    """Run STORE_SCRIPT until it has written (and maybe committed), then kill -9 it;
    asserts nothing is visible while the batch is still open."""
    flag = tmp_path / f"{mode}.flag"
    child = subprocess.Popen(
        [sys.executable, "-c", STORE_SCRIPT, str(settings_path), str(flag), mode], cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 60
        while not flag.exists():
            assert child.poll() is None, "the storing child died"
            assert time.monotonic() < deadline, "the storing child never wrote its pages"
            time.sleep(0.1)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()


def test_the_analysis_task_is_registered_under_the_name_storage_queues() -> None:
    task = _app().tasks[job_queue.ANALYSE_TASK]
    assert task.queue == job_queue.ANALYSE_QUEUE


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_articles_and_their_analysis_job_commit_together_and_run_once(
    database: Database, database_url: str, db_settings: Settings, tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    write_config(db_settings, config, database_url)
    assert CliRunner().invoke(app, ["--config", str(config), "db", "upgrade"]).exit_code == 0
    with database.session() as session:
        sync_sources(session, db_settings.sources)
    settings_path = tmp_path / "settings.json"
    settings_path.write_text(db_settings.model_dump_json(), encoding="utf-8")

    # Killed with its batch (articles, snapshots and job) written but not committed.
    _store_in_child(settings_path, tmp_path, "hold")
    assert _count(database, ArticleRow) == 0 and _count(database, SnapshotRow) == 0
    assert _jobs(database) == []

    # Killed after the commit: the three articles, and one job for the two relevant.
    _store_in_child(settings_path, tmp_path, "commit")
    with database.session() as session:
        articles = {row.id: row.relevant for row in session.scalars(select(ArticleRow))}
    relevant = sorted(article_id for article_id, is_relevant in articles.items() if is_relevant)
    assert len(articles) == 3 and len(relevant) == 2
    assert _jobs(database) == [(job_queue.ANALYSE_TASK, "todo", {"article_ids": relevant}, 0)]

    # A worker runs it once, beside the periodic sweep, which leaves it the articles.
    seen = tmp_path / "seen.txt"
    env = {**os.environ, "PRESSWATCH_CLUSTER_CRON": "0 0 1 1 *"}
    with cluster_app(database_url, sync=True) as queue:
        queue.tasks["presswatch:analyse_pending"].defer()
    worker = subprocess.run(
        [sys.executable, "-c", WORKER_SCRIPT, str(config), str(seen)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stdout.decode() + worker.stderr.decode()
    assert _jobs(database) == [(job_queue.ANALYSE_TASK, "succeeded", {"article_ids": relevant}, 1)]
    handed = Counter(int(line) for line in seen.read_text().split())
    assert handed == Counter(relevant)  # each analysed once, the irrelevant one never
    with database.session() as session:
        per_article = Counter(session.scalars(select(AnalysisRow.article_id)))
    assert per_article == Counter(relevant)


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_the_sweep_leaves_a_live_jobs_articles_to_it_and_takes_a_failed_jobs(
    database: Database, database_url: str, db_settings: Settings, tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    write_config(db_settings, config, database_url)
    assert CliRunner().invoke(app, ["--config", str(config), "db", "upgrade"]).exit_code == 0
    with database.session() as session:
        sync_sources(session, db_settings.sources)
    held = [store_article(database, text=f"Tin {n} ở Quảng Bình.")[0] for n in range(2)]
    loose, _ = store_article(database, text="Tin khác ở Quảng Bình.")
    with database.session() as session:
        job_id = job_queue.defer_analysis(session, held)

    first = run_process(db_settings, database, ScriptedAnalyzer())
    assert first.analysed == 1  # only the article no job holds
    with database.session() as session:
        assert list(session.scalars(select(AnalysisRow.article_id))) == [loose]

    # The job failed for good (its last attempt): the sweep is the safety net.
    with database.engine.begin() as connection:
        connection.execute(
            text("UPDATE procrastinate_jobs SET status = 'failed' WHERE id = :id"), {"id": job_id}
        )
    second = run_process(db_settings, database, ScriptedAnalyzer())
    assert second.analysed == 2
    with database.session() as session:
        assert sorted(session.scalars(select(AnalysisRow.article_id))) == sorted([*held, loose])
