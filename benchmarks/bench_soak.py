"""Soak benchmark of the cluster mode (issue 14): a local news world publishes at a
steady rate on several outlets (each its own loopback host and crawl shard) while
1, then 2, `presswatch worker` processes on PostgreSQL crawl, analyse and alert on
it for `--minutes` each. Reports articles/s, publication->analysis and ->alert
latency (median, p95), queue depth and unanalysed backlog over time, worker RSS
over time (with and without its crawl children) and the queue tables' dead tuples.
The analyzer is the tests' scripted one unless `--analyzer real`: the soak measures
the queue, crawl and storage path. Feeds are polled each minute (`interval_minutes:
1`, the adaptive period's cap) on a 10 s deferral tick: target publication->alert
<= 60 s + 60 s. Each run uses a schema of its own in PRESSWATCH_TEST_POSTGRES
(default 127.0.0.1:5432/test), dropped afterwards.
Run: python benchmarks/bench_soak.py [--minutes 10] [--rate 2] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
POSTGRES_URL = os.environ.get(
    "PRESSWATCH_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
FEED_ENTRIES = 40
QUEUE_DEPTH = "SELECT queue_name, count(*) FROM procrastinate_jobs WHERE status = 'todo' GROUP BY 1"
AUTOVACUUM = (
    "ALTER TABLE {table} SET "
    "(autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02)"
)
BLOAT = (
    "SELECT relname, n_live_tup, n_dead_tup FROM pg_stat_user_tables "
    "WHERE schemaname = :s AND relname LIKE 'procrastinate%' ORDER BY relname"
)
FLAGGED_EVERY = 5  # one article in five repeats a watched narrative (an alert)
VOCABULARY = (
    "hội đồng nhân dân phường xã huyện tỉnh kế hoạch chỉnh trang tuyến phố vỉa hè cây xanh "
    "mùa mưa đê điều kênh mương trường học trạm y tế nông dân lúa giống phân bón chợ "
    "cầu đường bến xe ngư dân tàu cá cảng cá giá cả điện nước"
)
WORDS = VOCABULARY.split()
WORKER_SCRIPT = textwrap.dedent(
    """
    import sys
    from pipeline.cli import app
    if sys.argv[2] == "scripted":
        from pipeline.process.analyse import run_process
        from pipeline.run import stages
        from tests.pipeline.helpers import ScriptedAnalyzer

        def process(settings, database, stop=None, *, analyzer=None, **job):  # job: article_ids
            return str(run_process(settings, database, ScriptedAnalyzer(), stop=stop, **job))

        stages.process = process
    app(["--config", sys.argv[1], "worker", "--concurrency", "2"])
    """
)


@dataclass
class World:
    """Articles published so far: url -> publication time, newest last per outlet."""

    rate: float
    hosts: list[str]
    published: dict[str, float] = field(default_factory=dict)
    by_host: dict[str, list[tuple[str, float, str, str]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    ports: dict[str, int] = field(default_factory=dict)

    def publish_forever(self) -> None:
        rng = random.Random(14)
        number = 0
        start = time.time()
        while not self.stop.is_set():
            due = start + number / self.rate
            if self.stop.wait(max(0.0, due - time.time())):
                return
            host = self.hosts[number % len(self.hosts)]
            url = f"http://{host}:{self.ports[host]}/tin/{number}.html"
            words = " ".join(rng.choice(WORDS) for _ in range(60))
            flagged = number % FLAGGED_EVERY == 0
            title = f"Lũ ở Quảng Bình: bản tin {number} {rng.choice(WORDS)}"
            text = f"Mưa lũ ở Quảng Bình, bản tin {number}. {words}. " + (
                "SCORE=0.9" if flagged else "SCORE=0.1"
            )
            with self.lock:
                now = time.time()
                self.published[url] = now
                self.by_host.setdefault(host, []).append((url, now, title, text))
            number += 1


def _handler(world: World) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, body: bytes, kind: str, status: int = 200) -> None:
            head = (
                f"HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            self.wfile.write(head + body)  # one write: no Nagle stalls

        def do_GET(self) -> None:
            host = self.headers.get("Host", "").split(":")[0]
            with world.lock:
                entries = list(world.by_host.get(host, []))
            if self.path == "/feed.xml":
                items = "".join(
                    f"<item><title>{title}</title><link>{url}</link><guid>{url}</guid>"
                    f"<pubDate>{format_datetime(dt.datetime.fromtimestamp(at, dt.UTC))}</pubDate>"
                    "</item>"
                    for url, at, title, _ in reversed(entries[-FEED_ENTRIES:])
                )
                rss = f'<?xml version="1.0"?><rss version="2.0"><channel><title>{host}</title>'
                self._send(f"{rss}{items}</channel></rss>".encode(), "application/rss+xml")
                return
            for url, at, title, text in reversed(entries):
                if url.endswith(self.path):
                    stamp = dt.datetime.fromtimestamp(at, dt.UTC).isoformat()
                    page = (
                        f"<html lang='vi'><head><meta charset='utf-8'><title>{title}</title>"
                        f"<meta property='article:published_time' content='{stamp}'></head>"
                        f"<body><article><h1>{title}</h1><p>{text}</p><p>{text[::-1]}</p>"
                        "</article></body></html>"
                    )
                    self._send(page.encode(), "text/html; charset=utf-8")
                    return
            self._send(b"not found", "text/plain", 404)

    return Handler


def _rss_mb(pid: int, *, children: bool = True) -> float:
    """RSS of a process and (with `children`) all its descendants, the crawl
    children a worker starts per shard job, in MB."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            if not children:
                break
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 1024


def _hosts(count: int) -> list[str]:
    from pipeline.cluster.sharding import shard_of
    from pipeline.cluster.tasks import CRAWL_SHARDS

    hosts: list[str] = []
    for last in range(2, 250):
        host = f"127.0.0.{last}"
        if shard_of(host, CRAWL_SHARDS) not in {shard_of(h, CRAWL_SHARDS) for h in hosts}:
            hosts.append(host)
        if len(hosts) == count:
            break
    return hosts


def run_once(workers: int, args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import func, select, text

    from core.config import Source
    from core.loading import load_settings
    from pipeline.cluster.app import apply_schema
    from storage.db import Database, make_engine, upgrade
    from storage.models import AlertDeliveryRow, AlertRow, AnalysisRow, ArticleRow, CaseRow
    from tests.conftest import OFFICE_CONFIG
    from tests.pipeline.helpers import with_webhook, write_config
    from tests.pipeline.servers import http_receiver

    schema = f"soak_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    world = World(rate=args.rate, hosts=_hosts(args.outlets))
    servers = []
    for host in world.hosts:
        server = ThreadingHTTPServer((host, 0), _handler(world))
        server.daemon_threads = True
        world.ports[host] = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    receiving = http_receiver()
    receiver = receiving.__enter__()
    procs: list[subprocess.Popen[bytes]] = []
    samples: list[dict[str, Any]] = []
    try:
        upgrade(make_engine(url))
        apply_schema(url)
        with make_engine(url).begin() as connection:  # README's autovacuum settings
            for table in ("procrastinate_jobs", "procrastinate_events"):
                connection.execute(text(AUTOVACUUM.format(table=table)))
        tmp = Path(tempfile.mkdtemp(prefix="soak-"))
        base = load_settings(OFFICE_CONFIG)
        feed = {"kind": "feed", "language": "vi", "origin": "domestic", "interval_minutes": 1}
        sources = [
            Source.model_validate(
                {
                    **feed,
                    "id": f"outlet{n}",
                    "name": host,
                    "feeds": [f"http://{host}:{port}/feed.xml"],
                }
            )
            for n, (host, port) in enumerate(world.ports.items())
        ]
        crawl = base.crawl.model_copy(
            update={"download_delay_seconds": 0.0, "retries": 0, "max_age_days": 1000}
        )
        settings = with_webhook(base, f"{receiver.url}/hook").model_copy(
            update={
                "sources": sources,
                "crawl": crawl,
                "profile": base.profile.model_copy(update={"data_dir": tmp / "data"}),
            }
        )
        config = tmp / "config.yaml"
        write_config(settings, config, url)
        env = {**os.environ, "PRESSWATCH_CLUSTER_CRON": "* * * * * */10"}
        publisher = threading.Thread(target=world.publish_forever, daemon=True)
        publisher.start()
        started = time.time()
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER_SCRIPT, str(config), args.analyzer],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        database = Database.open(url)
        end = started + args.minutes * 60
        while time.time() < end:
            time.sleep(min(args.sample_seconds, max(0.0, end - time.time())))
            with database.session() as session:
                depth: dict[str, int] = dict(session.execute(text(QUEUE_DEPTH)).all())
                stored = session.scalar(select(func.count()).select_from(ArticleRow)) or 0
                analysed = session.scalar(select(func.count()).select_from(AnalysisRow)) or 0
            samples.append(
                {
                    "t": round(time.time() - started),
                    "published": len(world.published),
                    "stored": stored,
                    "backlog": stored - analysed,
                    "queue": depth,
                    "worker_rss_mb": [round(_rss_mb(p.pid, children=False)) for p in procs],
                    "with_crawls_rss_mb": [round(_rss_mb(p.pid)) for p in procs],
                }
            )
            print(json.dumps(samples[-1], ensure_ascii=False), flush=True)
        world.stop.set()
        elapsed = time.time() - started
        with database.session() as session:
            urls = dict(session.execute(select(ArticleRow.id, ArticleRow.url)).all())
            analysed_at = dict(
                session.execute(select(AnalysisRow.article_id, AnalysisRow.created_at)).all()
            )
            # sent_at is recorded the moment the receiver answered.
            alerts = session.execute(
                select(AlertDeliveryRow.id, AlertDeliveryRow.sent_at, ArticleRow.url)
                .join(AlertRow, AlertRow.id == AlertDeliveryRow.alert_id)
                .join(CaseRow, CaseRow.id == AlertRow.case_id)
                .join(ArticleRow, ArticleRow.story_id == CaseRow.story_id)
                .where(AlertDeliveryRow.sent_at.is_not(None))
            ).all()
            bloat = session.execute(text(BLOAT), {"s": schema}).all()
        database.dispose()
        to_analysis = [
            _epoch(analysed_at[article_id]) - world.published[article_url]
            for article_id, article_url in urls.items()
            if article_id in analysed_at and article_url in world.published
        ]
        first: dict[int, float] = {}  # per delivery: its case's first article published
        sent: dict[int, float] = {}
        for delivery_id, sent_at, article_url in alerts:
            at = world.published.get(article_url, float("inf"))
            first[delivery_id] = min(first.get(delivery_id, at), at)
            sent[delivery_id] = _epoch(sent_at) if sent_at else float("nan")
        to_alert = [sent[d] - at for d, at in first.items() if at < float("inf")]
        return {
            "workers": workers,
            "minutes": args.minutes,
            "rate_published_per_s": round(len(world.published) / elapsed, 2),
            "published": len(world.published),
            "stored": len(urls),
            "analysed": len(analysed_at),
            "articles_per_s": round(len(analysed_at) / elapsed, 2),
            "alerts_received": len({h["Idempotency-Key"] for _, h, _ in receiver.requests}),
            "publish_to_analysis_s": _summary(to_analysis),
            "publish_to_alert_s": _summary(to_alert),
            "articles_per_s_second_half": _second_half_rate(samples),
            "worker_rss_mb_first_max_last": [
                [
                    samples[0]["worker_rss_mb"][k],
                    max(sample["worker_rss_mb"][k] for sample in samples),
                    samples[-1]["worker_rss_mb"][k],
                ]
                for k in range(workers)
            ]
            if samples
            else [],
            "queue_tables_live_dead": {name: [live, dead] for name, live, dead in bloat},
            "samples": samples,
        }
    finally:
        world.stop.set()
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        receiving.__exit__(None, None, None)
        for server in servers:
            server.shutdown()
            server.server_close()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _second_half_rate(samples: list[dict[str, Any]]) -> float:
    """Articles analysed per second over the second half of the run (past the
    first polls' warm-up)."""
    if len(samples) < 2:
        return float("nan")
    mid, last = samples[len(samples) // 2], samples[-1]
    done = float((last["stored"] - last["backlog"]) - (mid["stored"] - mid["backlog"]))
    return round(done / max(1.0, float(last["t"] - mid["t"])), 2)


def _epoch(moment: dt.datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "median": round(statistics.median(values), 1),
        "p95": round(statistics.quantiles(values, n=20)[18], 1) if len(values) > 1 else values[0],
        "max": round(max(values), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="per worker count")
    parser.add_argument("--rate", type=float, default=2.0, help="articles published per second")
    parser.add_argument("--outlets", type=int, default=4)
    parser.add_argument("--workers", default="1,2", help="worker counts to run, in turn")
    parser.add_argument("--analyzer", choices=("scripted", "real"), default="scripted")
    parser.add_argument("--sample-seconds", type=float, default=10.0)
    parser.add_argument("--json", type=Path, help="write the full results here")
    args = parser.parse_args()
    results = [run_once(int(n), args) for n in args.workers.split(",")]
    for result in results:
        brief = {k: v for k, v in result.items() if k != "samples"}
        print(json.dumps(brief, ensure_ascii=False, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
