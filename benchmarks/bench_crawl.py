"""Crawl benchmark: a local news site built from the real VNTC articles, crawled
end to end (fetch + snapshot + extract + relevance + store) into SQLite by the
same child process `presswatch crawl` runs, with politeness delays at zero for
127.0.0.1. Reports articles/s, the child's peak memory at two site sizes (flat
means it does not grow with the number of pages), and the cost relative to
trafilatura's own extraction alone on the same pages.

Run: python benchmarks/bench_crawl.py [--pages 2500]
"""

from __future__ import annotations

import argparse
import html
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATASETS = Path(os.environ.get("PRESSWATCH_DATASETS", ROOT.parent / "shared" / "datasets"))
VNTC = DATASETS / "vntc"
PER_SITEMAP = 500


def load_pages(limit: int) -> list[bytes]:
    pages: list[bytes] = []
    for name in ("test_sample.jsonl", "train_sample.jsonl"):
        for line in (VNTC / name).read_text(encoding="utf-8").splitlines():
            if len(pages) >= limit:
                return pages
            doc = json.loads(line)
            title, _, body = doc["text"].partition("\n")
            paragraphs = "\n".join(
                f"<p>{html.escape(p.strip())}</p>" for p in body.split("\n") if p.strip()
            )
            pages.append(
                (
                    f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
                    f"<title>{html.escape(title)} - VNTC</title>"
                    f'<meta property="article:published_time" '
                    f'content="2006-05-{1 + len(pages) % 28:02d}T08:00:00+07:00">'
                    f'</head><body><nav><a href="/">Trang chủ</a> '
                    f'<a href="/xa-hoi/">Xã hội</a></nav>'
                    f"<article><h1>{html.escape(title)}</h1>{paragraphs}</article>"
                    f"<footer>© {doc['source']} — bản lưu để đo hiệu năng</footer></body></html>"
                ).encode()
            )
    return pages


def serve(pages: list[bytes]) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, body: bytes, kind: str, status: int = 200) -> None:
            # One write per response: headers and body in separate small segments
            # would meet Nagle's algorithm and delayed ACKs (40 ms stalls).
            head = (
                f"HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            self.wfile.write(head + body)

        def do_GET(self) -> None:
            host = self.headers.get("Host", "")
            if self.path == "/robots.txt":
                self._send(b"User-agent: *\nAllow: /\n", "text/plain")
            elif self.path == "/sitemap.xml":
                parts = "".join(
                    f"<sitemap><loc>http://{host}/sitemap-{i}.xml</loc></sitemap>"
                    for i in range(0, len(pages), PER_SITEMAP)
                )
                body = f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{parts}</sitemapindex>'
                self._send(body.encode(), "application/xml")
            elif self.path.startswith("/sitemap-"):
                start = int(self.path[len("/sitemap-") : -len(".xml")])
                urls = "".join(
                    f"<url><loc>http://{host}/bai/{n}.html</loc></url>"
                    for n in range(start, min(start + PER_SITEMAP, len(pages)))
                )
                body = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
                self._send(body.encode(), "application/xml")
            elif self.path.startswith("/bai/"):
                self._send(pages[int(self.path[5:-5])], "text/html; charset=utf-8")
            else:
                self._send(b"not found", "text/plain", 404)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def crawl_once(pages: list[bytes], workdir: Path) -> dict[str, float]:
    from core.config import Source
    from core.loading import load_settings
    from pipeline.crawl.run import worker_command
    from storage.db import Database, upgrade
    from storage.sources import sync_sources

    server, base = serve(pages)
    try:
        settings = load_settings(ROOT / "config.yaml")
        db_url = f"sqlite:///{workdir / 'bench.db'}"
        source = Source(
            id="vntc",
            name="VNTC",
            kind="site",
            language="vi",
            origin="domestic",
            sitemaps=[f"{base}/sitemap.xml"],
        )
        settings = settings.model_copy(
            update={
                "database": settings.database.model_copy(update={"url": db_url, "url_env": None}),
                "crawl": settings.crawl.model_copy(
                    update={
                        "download_delay_seconds": 0.0,
                        "autothrottle": False,
                        "concurrency_per_domain": 8,
                        "max_articles_per_run": 1_000_000,
                        "max_age_days": 100_000,
                    }
                ),
                "sources": [source],
            }
        )
        database = Database.open(db_url, check=False)
        upgrade(database.engine)
        with database.session() as session:
            sync_sources(session, settings.sources)
        database.dispose()
        settings_path = workdir / "settings.json"
        settings_path.write_text(settings.model_dump_json(), encoding="utf-8")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        child = subprocess.Popen(
            worker_command(settings_path, workdir / "report.json", ["vntc"]),
            stderr=subprocess.DEVNULL,
        )
        rss = sample_rss(child)
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if child.returncode != 0:
            raise SystemExit(f"crawl child failed with exit code {child.returncode}")
        counts = json.loads((workdir / "report.json").read_text())["vntc"]["counts"]
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        # Memory "flat" = what the crawl holds after its first quarter vs at its peak.
        quarter = rss[len(rss) // 4 :] or [0]
        return {
            "articles": counts.get("articles", 0),
            "seconds": seconds,
            "cpu": cpu,
            "peak_mb": max(rss or [0]),
            "quarter_mb": quarter[0],
        }
    finally:
        server.shutdown()


def sample_rss(child: subprocess.Popen[bytes]) -> list[float]:
    """The child's resident memory (MB) every 0.5 s until it exits."""
    samples: list[float] = []
    status = Path(f"/proc/{child.pid}/status")
    while child.poll() is None:
        try:
            line = next(x for x in status.read_text().splitlines() if x.startswith("VmRSS"))
            samples.append(int(line.split()[1]) / 1024)
        except (OSError, StopIteration):
            pass
        time.sleep(0.5)
    return samples


def trafilatura_alone(pages: list[bytes]) -> float:
    import trafilatura

    started = time.process_time()
    for body in pages:
        trafilatura.bare_extraction(body.decode("utf-8"), with_metadata=True)
    return time.process_time() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2500)
    args = parser.parse_args()
    if not VNTC.is_dir():
        print(f"VNTC not found at {VNTC} (set PRESSWATCH_DATASETS)")
        return 1
    pages = load_pages(args.pages)
    small = pages[: max(len(pages) // 5, 100)]
    with tempfile.TemporaryDirectory() as tmp:
        small_run = crawl_once(small, Path(tmp))
    with tempfile.TemporaryDirectory() as tmp:
        full = crawl_once(pages, Path(tmp))
    alone = trafilatura_alone(pages)
    articles = max(full["articles"], 1)
    rate = full["articles"] / full["seconds"]
    cpu_ms = 1000 * full["cpu"] / articles
    alone_ms = 1000 * alone / len(pages)
    print(
        f"site: {len(pages)} VNTC article pages on 127.0.0.1, crawled into SQLite "
        f"(machine load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print(
        f"end to end (fetch+snapshot+extract+relevance+store, incl. child start-up): "
        f"{full['articles']:.0f} articles in {full['seconds']:.1f} s wall = {rate:.1f} "
        f"articles/s; target >= 50/s"
    )
    print(
        f"crawl process CPU: {cpu_ms:.1f} ms/article = {1000 / cpu_ms:.0f} articles/s "
        f"per CPU-second (what an unloaded core sustains)"
    )
    print(
        f"memory of the crawl process: {len(small)} pages: {small_run['quarter_mb']:.0f} MB "
        f"after a quarter, peak {small_run['peak_mb']:.0f} MB; {len(pages)} pages: "
        f"{full['quarter_mb']:.0f} MB after a quarter, peak {full['peak_mb']:.0f} MB"
    )
    print(
        f"trafilatura bare_extraction alone (CPU): {alone_ms:.1f} ms/article; presswatch "
        f"end to end costs {cpu_ms / alone_ms:.2f}x that per article"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
