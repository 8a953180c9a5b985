"""A recorded news site on 127.0.0.1 with conditional GET and the faults real
outlets show: 404, a 500 that succeeds on retry, a slow page, a redirect loop,
a lying charset, an oversized page, a PDF, a dead feed, and slow pages to
interrupt a crawl midway."""

from __future__ import annotations

import gzip
import hashlib
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from core.config import Source

SITE = Path(__file__).resolve().parents[1] / "fixtures" / "site"
LAST_MODIFIED = "Mon, 09 Mar 2026 13:00:00 GMT"
ALIASES = {
    "/thoi-su/": "thoi-su/index.html",
    "/thoi-su/trang-2/": "thoi-su/trang-2.html",
    "/thoi-su/trang-3/": "thoi-su/trang-3.html",
    "/thoi-su/202603/lu-quang-binh-a1b2c3/": "vi/lu-quang-binh-1001.html",
    "/thoi-su/202603/ha-noi-kinh-te-d4e5f6/": "vi/kinh-te-ha-noi-1002.html",
    "/thoi-su/202603/tong-ket-thien-tai-0a0b0c/": "vi/tong-ket-thien-tai-1011.html",
    "/thoi-su/202602/qua-sau-khong-lay-9f9f9f/": "vi/quang-ninh-du-lich-1006.html",
    "/thoi-su/202603/ham-deo-ngang-7e7e7e/": "vi/ham-deo-ngang-1013.html",
}
MANY = 30


@dataclass
class Logged:
    path: str
    headers: dict[str, str]


@dataclass
class SiteState:
    requests: list[Logged] = field(default_factory=list)
    flaky_failures_left: int = 1
    slow_seconds: float = 3.0
    many_delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self) -> list[str]:
        with self.lock:
            return [r.path for r in self.requests]


def _many_page(number: int) -> bytes:
    paragraphs = "".join(
        f"<p>Bản tin số {number}, đoạn {p}: hội đồng nhân dân phường {number} họp bàn kế hoạch "
        f"chỉnh trang {p + number} tuyến phố, lát vỉa hè và trồng thêm {number * 7 + p} cây xanh "
        f"trước mùa hè năm {2000 + number}.</p>"
        for p in range(1, 6)
    )
    return (
        f"<html lang='vi'><head><meta charset='utf-8'><title>Bản tin số {number}</title></head>"
        f"<body><article><h1>Bản tin số {number}</h1>{paragraphs}</article></body></html>"
    ).encode()


class Handler(BaseHTTPRequestHandler):
    server: SiteServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(
        self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _static(self, relative: str, content_type: str) -> None:
        path = SITE / relative
        if not path.is_file():
            self._send(404, b"<html><body>Not found</body></html>", "text/html; charset=utf-8")
            return
        body = path.read_bytes().replace(b"{HOST}", self.server.host.encode())
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag or (
            self.headers.get("If-Modified-Since") == LAST_MODIFIED
            and not self.headers.get("If-None-Match")
        ):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send(200, body, content_type, {"ETag": etag, "Last-Modified": LAST_MODIFIED})

    def do_GET(self) -> None:
        state = self.server.state
        path = urlsplit(self.path).path
        with state.lock:
            state.requests.append(
                Logged(self.path, {k.lower(): v for k, v in self.headers.items()})
            )
        html = "text/html; charset=utf-8"
        if path == "/robots.txt":
            self._static("robots.txt", "text/plain")
        elif path == "/feeds/limited.xml":
            self._send(429, b"Too Many Requests", "text/plain", {"Retry-After": "7200"})
        elif path.startswith("/feeds/") and path != "/feeds/dead.xml":
            kind = "application/atom+xml" if "atom" in path else "application/rss+xml"
            self._static(path.lstrip("/"), f"{kind}; charset=utf-8")
        elif path == "/feeds/dead.xml":
            self._send(503, b"Service Unavailable", "text/plain")
        elif path == "/sitemap-news.xml":
            self._static("sitemap-news.xml", "application/xml")
        elif path in ALIASES:
            self._static(ALIASES[path], html)
        elif path == "/vi/hang-dong-moi-1010.html":
            self._static(path.lstrip("/"), "text/html")  # no charset: the lying <meta> decides
        elif path == "/vi/cang-hon-la-1005.html":
            with state.lock:
                fail = state.flaky_failures_left > 0
                state.flaky_failures_left -= 1
            if fail:
                self._send(500, b"Internal Server Error", "text/plain")
            else:
                self._static(path.lstrip("/"), html)
        elif path == "/en/slow-2003.html":
            time.sleep(state.slow_seconds)
            self._static("en/exports-rise-2006.html", html)
        elif path == "/en/loop-2004.html":
            self._send(302, b"", html, {"Location": f"http://{self.server.host}/en/loop-2004.html"})
        elif path == "/en/big-2005.html":
            filler = b"<p>" + b"Lorem ipsum dolor sit amet. " * 40 + b"</p>\n"
            self._send(200, b"<html><body>" + filler * 500 + b"</body></html>", html)
        elif path == "/hostile/sitemap.xml":
            names = ("offsite-1", "noise-2", "bomb-3", "inside-4")
            urls = "".join(
                f"<url><loc>http://{self.server.host}/hostile/{n}.html</loc></url>" for n in names
            )
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            ).encode()
            self._send(200, body, "application/xml")
        elif path == "/hostile/offsite-1.html":
            # Same machine, another name: another domain as far as the source goes.
            port = self.server.server_address[1]
            self._send(
                302, b"", html, {"Location": f"http://localhost:{port}/vi/lu-quang-binh-1001.html"}
            )
        elif path == "/hostile/inside-4.html":
            self._send(
                302,
                b"",
                html,
                {"Location": f"http://{self.server.host}/vi/lu-quang-binh-1001.html"},
            )
        elif path == "/hostile/noise-2.html":
            self._send(200, bytes(random.Random(7).randrange(256) for _ in range(6000)), html)
        elif path == "/hostile/bomb-3.html":
            bomb = gzip.compress(b"<html><body>" + b"A" * 5_000_000 + b"</body></html>")
            self._send(200, bomb, html, {"Content-Encoding": "gzip"})
        elif path.endswith(".pdf"):
            self._send(
                200, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n", "application/pdf"
            )
        elif path == "/many/sitemap.xml":
            urls = "".join(
                f"<url><loc>http://{self.server.host}/many/ban-tin-{n}.html</loc></url>"
                for n in range(1, MANY + 1)
            )
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            ).encode()
            self._send(200, body, "application/xml")
        elif path.startswith("/many/ban-tin-"):
            time.sleep(state.many_delay)
            self._send(200, _many_page(int(path.rsplit("-", 1)[1].split(".")[0])), html)
        else:
            self._static(path.lstrip("/"), html)


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = SiteState()
        self.host = f"127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up (size cap, timeouts) are part of the tests

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"


def sitemap_source(site: SiteServer, source_id: str, name: str, **options: Any) -> Source:
    """A domestic Vietnamese site source reading the recorded `/<source_id>/sitemap.xml`."""
    from core.config import Source

    return Source(
        id=source_id,
        name=name,
        kind="site",
        language="vi",
        origin="domestic",
        sitemaps=[site.url(f"/{source_id}/sitemap.xml")],
        **options,
    )
