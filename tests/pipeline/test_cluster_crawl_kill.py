"""Cluster recovery (issue 14): a `presswatch worker` killed -9 in the middle of a
crawl. A slow local server publishes a feed of stories, each in two copies;
the crawling worker is killed once some batches have committed; the next worker's
stalled-job recovery requeues the crawl, which fetches what was not committed.
Afterwards every article is stored once, sits in exactly one analysis job (the one
committed with it), is analysed once, and each flagged story has one case.

The workers are the real CLI in child processes; as in test_cluster_kill.py the
child script swaps in the scripted analyzer (flagging by a SCORE marker) and
records every article it is handed."""

from __future__ import annotations

import contextlib
import datetime as dt
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
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from core.config import Settings, Source
from pipeline.cli import app
from storage import job_queue
from storage.db import Database
from storage.models import AnalysisRow, ArticleRow, CaseRow
from tests.conftest import ROOT
from tests.pipeline.helpers import write_config

STORIES = 6
COPIES = 2
SLOW_SECONDS = 0.4  # per article page: the crawl takes ~5 s, long enough to cut
FLAGGED = {story for story in range(STORIES) if story % 2 == 0}
_WORDS = (
    "đường cầu cảng chợ trường bệnh viện xã huyện nông dân ngư lúa cá tôm rừng biển "
    "sông núi mưa nắng bão lũ hạn mặn điện nước vốn đầu tư dự án nhà máy du lịch "
    "khách sạn lễ hội văn hóa thể thao bóng đá học sinh giáo viên bác sĩ công an bộ "
    "đội thanh niên phụ nữ cựu chiến binh hợp tác doanh nghiệp thuế ngân hàng giá "
    "vàng"
)
VOCABULARY = _WORDS.split()

WORKER_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from pipeline.cli import app
    from pipeline.process.analyse import run_process
    from pipeline.run import stages
    from tests.pipeline.helpers import ScriptedAnalyzer

    config, seen, queues = sys.argv[1], Path(sys.argv[2]), sys.argv[3]

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
    app(["--config", config, "worker", "--queues", queues, "--concurrency", "2"])
    """
)


def story_text(story: int) -> str:
    """Words no other story shares in order (so no two stories look alike), the
    watched province, and the scripted analyzer's score."""
    rng = random.Random(story)
    score = 0.9 if story in FLAGGED else 0.1
    paragraphs = [
        " ".join(rng.choice(VOCABULARY) for _ in range(30)) + f" ở Quảng Bình. SCORE={score}"
        for _ in range(5)
    ]
    return "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)


@dataclass
class Served:
    paths: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def news_site() -> Iterator[tuple[str, Served]]:
    """A feed of STORIES × COPIES articles (a story's copies share their text),
    each article page answered after SLOW_SECONDS."""
    served = Served()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            with served.lock:
                served.paths[self.path] += 1
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path == "/feed.xml":
                stamp = format_datetime(dt.datetime.now(dt.UTC))
                items = "".join(
                    f"<item><title>Tin {s} bản {c}</title><link>{base}/a/{s}-{c}.html</link>"
                    f"<guid>{base}/a/{s}-{c}.html</guid><pubDate>{stamp}</pubDate></item>"
                    for s in range(STORIES)
                    for c in range(COPIES)
                )
                feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}'
                self._send(200, f"{feed}</channel></rss>".encode(), "application/rss+xml")
            elif self.path.startswith("/a/"):
                time.sleep(SLOW_SECONDS)
                story = int(self.path.removeprefix("/a/").split("-")[0])
                page = (
                    f"<html lang='vi'><head><meta charset='utf-8'><title>Tin {story}</title>"
                    f"</head><body><article><h1>Tin {story} ở Quảng Bình</h1>"
                    f"{story_text(story)}</article></body></html>"
                )
                with contextlib.suppress(OSError):  # the crawler was killed while waiting
                    self._send(200, page.encode(), "text/html; charset=utf-8")
            else:
                self._send(404, b"not found", "text/plain")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()


def _worker(config: Path, seen: Path, queues: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PRESSWATCH_CLUSTER_CRON": "* * * * * */2",  # the periodic deferrals every 2 s
        "PRESSWATCH_CLUSTER_STALLED_SECONDS": "3",
    }
    return subprocess.Popen(
        [sys.executable, "-c", WORKER_SCRIPT, str(config), str(seen), queues],
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


def _scalar(database: Database, sql: str) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar() or 0)


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_worker_killed_mid_crawl_leaves_each_article_stored_and_analysed_once(
    database: Database, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    with news_site() as (base, served):
        source = Source(
            id="alpha",
            name="alpha",
            kind="feed",
            language="vi",
            origin="domestic",
            feeds=[f"{base}/feed.xml"],
        )
        crawl = settings.crawl.model_copy(
            update={"concurrency_per_domain": 1, "retries": 0, "max_age_days": 1000}
        )
        configured = settings.model_copy(update={"sources": [source], "crawl": crawl})
        config = tmp_path / "config.yaml"
        write_config(configured, config, database_url)
        assert CliRunner().invoke(app, ["--config", str(config), "db", "upgrade"]).exit_code == 0

        def stored() -> int:
            with database.session() as session:
                return int(session.scalar(select(func.count()).select_from(ArticleRow)) or 0)

        seen = tmp_path / "seen.txt"
        seen.touch()
        total = STORIES * COPIES
        # 1. A crawling worker, killed once a few batches (and their jobs) committed.
        first = _worker(config, seen, "crawl", tmp_path / "first.log")
        try:
            _wait_for(lambda: stored() >= 3, 60, "the first batches of the crawl")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        at_kill = stored()
        assert at_kill < total, "the crawl finished before the kill"
        assert seen.read_text() == ""  # that worker analysed nothing (crawl queue only)

        # 2. The next worker requeues the stalled crawl, crawls the rest, analyses.
        second = _worker(config, seen, "crawl,analyse", tmp_path / "second.log")
        try:

            def settled() -> bool:
                with database.session() as session:
                    analysed = session.scalar(select(func.count()).select_from(AnalysisRow))
                    cases = session.scalar(select(func.count()).select_from(CaseRow))
                live = _scalar(
                    database,
                    "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing') "
                    "AND task_name IN ('presswatch:crawl_shard', 'presswatch:analyse_articles')",
                )
                return (
                    stored() == total and analysed == total and cases == len(FLAGGED) and live == 0
                )

            _wait_for(settled, 90, "the crawl finished and every article analysed")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)

    with database.session() as session:
        articles = {row.url: (row.id, row.story_id) for row in session.scalars(select(ArticleRow))}
        per_article = Counter(session.scalars(select(AnalysisRow.article_id)))
        case_stories = Counter(session.scalars(select(CaseRow.story_id)))
    expected = {f"{base}/a/{s}-{c}.html" for s in range(STORIES) for c in range(COPIES)}
    assert set(articles) == expected  # every article stored, once (one row per URL)
    ids = sorted(article_id for article_id, _ in articles.values())
    assert per_article == Counter(ids)  # analysed once per analyzer version
    handed = Counter(int(line) for line in seen.read_text().split())
    assert handed == Counter(ids)  # and computed once: never handed out twice
    story_of = {
        s: {articles[f"{base}/a/{s}-{c}.html"][1] for c in range(COPIES)} for s in range(STORIES)
    }
    assert all(len(found) == 1 for found in story_of.values()), story_of  # copies: one story
    assert len({next(iter(found)) for found in story_of.values()}) == STORIES
    assert case_stories == Counter(next(iter(story_of[s])) for s in FLAGGED)  # one case each

    with database.engine.connect() as connection:
        jobs = connection.execute(
            text("SELECT status::text, args FROM procrastinate_jobs WHERE task_name = :task"),
            {"task": job_queue.ANALYSE_TASK},
        ).all()
        crawls = connection.execute(
            text(
                "SELECT status::text, attempts FROM procrastinate_jobs "
                "WHERE task_name = 'presswatch:crawl_shard' AND attempts > 0"
            )
        ).all()
    # Each article was committed with exactly one analysis job; each job ran.
    in_jobs = Counter(article_id for _, args in jobs for article_id in args["article_ids"])
    assert in_jobs == Counter(ids)
    assert {status for status, _ in jobs} == {"succeeded"}
    assert len(jobs) >= 2  # batches from before the kill and after it
    # The killed crawl was taken over: requeued (a second attempt) or closed in
    # favour of its waiting twin.
    assert any(status == "aborted" or attempts >= 2 for status, attempts in crawls), crawls
    pages = {path: n for path, n in served.paths.items() if path.startswith("/a/")}
    assert set(pages.values()) <= {1, 2}  # refetched at most once (its batch was lost)
    assert sum(1 for n in pages.values() if n == 1) >= at_kill  # committed pages not refetched
