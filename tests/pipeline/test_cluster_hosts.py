"""Cluster crawling (issue 14): two workers never crawl one host at once.

A local server answers on several loopback addresses (127.0.0.x, each its own
host and registered domain), slowly, and counts the requests in flight per host.
Two `presswatch worker` processes, two jobs at a time each, crawl every shard."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.config import Settings, Source
from pipeline.cli import app
from pipeline.cluster.app import cluster_app
from pipeline.cluster.sharding import shard_of, shard_sources, source_shards
from pipeline.cluster.tasks import CRAWL_SHARDS, defer_shard_crawls
from storage.db import Database
from tests.conftest import ROOT
from tests.pipeline.helpers import write_config

ARTICLES_PER_FEED = 6
SLOW_SECONDS = 0.2


@dataclass
class InFlight:
    """Requests being answered now, per host, and the most seen at once."""

    now: Counter[str] = field(default_factory=Counter)
    most: Counter[str] = field(default_factory=Counter)
    most_hosts_at_once: int = 0
    served: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: _HostServer
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
        host, state = self.server.host, self.server.state
        with state.lock:
            state.now[host] += 1
            state.served[host] += 1
            state.most[host] = max(state.most[host], state.now[host])
            busy = sum(1 for n in state.now.values() if n)
            state.most_hosts_at_once = max(state.most_hosts_at_once, busy)
        try:
            time.sleep(SLOW_SECONDS)
            self._answer()
        finally:
            with state.lock:
                state.now[host] -= 1

    def _answer(self) -> None:
        base = f"http://{self.server.host}:{self.server.server_address[1]}"
        parts = self.path.strip("/").split("/")
        if self.path.startswith("/feed/"):  # /feed/<name>.xml
            name = parts[1].removesuffix(".xml")
            stamp = format_datetime(dt.datetime.now(dt.UTC))
            items = "".join(
                f"<item><title>{name} tin {n}</title><link>{base}/a/{name}/{n}.html</link>"
                f"<guid>{base}/a/{name}/{n}.html</guid><pubDate>{stamp}</pubDate></item>"
                for n in range(ARTICLES_PER_FEED)
            )
            feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>'
            self._send(200, f"{feed}{items}</channel></rss>".encode(), "application/rss+xml")
        elif self.path.startswith("/a/"):  # /a/<feed>/<n>.html
            name, number = parts[1], parts[2].removesuffix(".html")
            paragraphs = "".join(
                f"<p>Bản tin {name} số {number}, đoạn {p}: hội đồng nhân dân phường {number} "
                f"họp bàn kế hoạch chỉnh trang {p} tuyến phố và trồng thêm cây xanh.</p>"
                for p in range(5)
            )
            page = (
                f"<html lang='vi'><head><meta charset='utf-8'><title>{name} {number}</title>"
                f"</head><body><article><h1>{name} tin {number}</h1>{paragraphs}</article>"
                "</body></html>"
            )
            self._send(200, page.encode(), "text/html; charset=utf-8")
        else:
            self._send(404, b"not found", "text/plain")


class _HostServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, state: InFlight) -> None:
        super().__init__((host, 0), _Handler)
        self.host, self.state = host, state

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.server_address[1]}{path}"

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@contextmanager
def host_servers(hosts: list[str]) -> Iterator[tuple[dict[str, _HostServer], InFlight]]:
    """One slow server per loopback address, sharing one in-flight tally."""
    state = InFlight()
    servers = {host: _HostServer(host, state) for host in hosts}
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers.values()]
    for thread in threads:
        thread.start()
    try:
        yield servers, state
    finally:
        for server in servers.values():
            server.shutdown()
            server.server_close()


def _hosts_in_distinct_shards(count: int) -> list[str]:
    hosts: list[str] = []
    for last in range(2, 250):
        host = f"127.0.0.{last}"
        if shard_of(host, CRAWL_SHARDS) not in {shard_of(h, CRAWL_SHARDS) for h in hosts}:
            hosts.append(host)
        if len(hosts) == count:
            return hosts
    raise AssertionError("not enough loopback addresses in distinct shards")


def _feed_source(source_id: str, feeds: list[str]) -> Source:
    return Source(
        id=source_id, name=source_id, kind="feed", language="vi", origin="domestic", feeds=feeds
    )


def test_sources_sharing_a_domain_through_any_url_share_one_shard(settings: Settings) -> None:
    one, two, three = "https://rss.one.vn/a.rss", "https://two.vn/b.rss", "https://three.vn/c"
    sources = [
        _feed_source("first", [one]),
        _feed_source("second", [two, "https://one.vn/tin-moi.rss"]),  # one.vn's second feed
        _feed_source("third", [three]),
        _feed_source("fourth", ["https://four.vn/d.rss"]).model_copy(
            update={"redirect_domains": ["three.vn"]}  # its links lead to three.vn
        ),
    ]
    configured = settings.model_copy(update={"sources": sources})
    for shards in (2, 3, 8, 16):
        owner = source_shards(configured, shards)
        assert owner["first"] == owner["second"] and owner["third"] == owner["fourth"]
        assert owner == source_shards(configured, shards)  # stable
        flat = [s for k in range(shards) for s in shard_sources(configured, k, shards)]
        assert sorted(flat) == ["first", "fourth", "second", "third"]  # each in one shard


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_two_workers_never_crawl_one_host_at_once(
    database: Database, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    shared, other, third, fourth = _hosts_in_distinct_shards(4)
    with host_servers([shared, other, third, fourth]) as (servers, state):
        sources = [
            _feed_source("alpha", [servers[shared].url("/feed/alpha.xml")]),
            # First feed on its own host, second on alpha's: the old first-domain hash
            # put it in another shard than alpha, so two workers crawled `shared` at once.
            _feed_source(
                "bravo",
                [servers[other].url("/feed/bravo.xml"), servers[shared].url("/feed/bravo2.xml")],
            ),
            _feed_source("charlie", [servers[third].url("/feed/charlie.xml")]),
            _feed_source("delta", [servers[fourth].url("/feed/delta.xml")]),
        ]
        crawl = settings.crawl.model_copy(
            update={"concurrency_per_domain": 1, "retries": 0, "max_age_days": 1000}
        )
        configured = settings.model_copy(update={"sources": sources, "crawl": crawl})
        owner = source_shards(configured, CRAWL_SHARDS)
        assert owner["alpha"] == owner["bravo"]
        assert len({owner["alpha"], owner["charlie"], owner["delta"]}) == 3
        config = tmp_path / "config.yaml"
        write_config(configured, config, database_url)
        runner = CliRunner()
        assert runner.invoke(app, ["--config", str(config), "db", "upgrade"]).exit_code == 0

        presswatch = str(Path(sys.executable).parent / "presswatch")
        # The periodic crawl deferral out of the way (yearly): the test defers the
        # shard jobs itself, once both workers listen.
        env = {**os.environ, "PRESSWATCH_CLUSTER_CRON": "0 0 1 1 *"}
        workers = [
            subprocess.Popen(
                [presswatch, f"--config={config}", "worker", "--queues=crawl", "--concurrency=2"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
        try:
            with cluster_app(database_url, sync=True) as queue:
                # Both workers listening before any job exists, so both take some.
                _wait_for(lambda: _live_workers(queue) == 2, 30, "both workers up")
                job_ids = defer_shard_crawls()
                _wait_for(
                    lambda: all(
                        job.status in ("succeeded", "failed")
                        for job_id in job_ids
                        for job in queue.job_manager.list_jobs(id=job_id)
                    ),
                    60,
                    "every shard crawled",
                )
                jobs = [queue.job_manager.list_jobs(id=job_id)[0] for job_id in job_ids]
                owners = queue.connector.execute_query_all(
                    "SELECT DISTINCT worker_id FROM procrastinate_jobs "
                    "WHERE id = ANY(%(ids)s) AND args->>'shard' = ANY(%(busy)s)",
                    ids=job_ids,
                    busy=[str(owner[s]) for s in ("alpha", "charlie", "delta")],
                )
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                worker.wait(timeout=30)
    assert [job.status for job in jobs] == ["succeeded"] * CRAWL_SHARDS
    assert len(owners) == 2  # both workers crawled shards that had sources
    assert dict(state.most) == {host: 1 for host in servers}  # never two at once on a host
    # Every page was asked for: (feed + articles) per feed, two feeds on `shared`.
    assert state.served[shared] == 2 * (1 + ARTICLES_PER_FEED) + 1  # + robots.txt
    assert state.served[other] == state.served[third] == 1 + ARTICLES_PER_FEED + 1
    assert state.most_hosts_at_once >= 3  # while hosts were crawled side by side


def _live_workers(queue: object) -> int:
    from procrastinate import App

    assert isinstance(queue, App)
    row = queue.connector.execute_query_one("SELECT count(*) AS n FROM procrastinate_workers")
    return int(row["n"])


def _wait_for(condition: object, seconds: float, what: str) -> None:
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
