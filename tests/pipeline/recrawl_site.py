"""A local news site whose articles change between fetches, for the recrawl tests
(issue 15): a test edits, removes (404, 410, a redirect home or to the section),
takes down (503) and restores pages; every fetch rotates an ad paragraph inside the article and
can reflow the whitespace, which must never count as an edit. ETag and
If-None-Match are honoured, so a page with no ad answers 304."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

from core.config import Source

Mode = Literal["ok", "gone", "gone410", "home", "section", "down"]
ADS = (
    "Quảng cáo: vay tiêu dùng lãi suất ưu đãi, giải ngân trong ngày cho khách hàng mới",
    "Quảng cáo: tour du lịch biển mùa hè giảm giá ba mươi phần trăm khi đặt sớm",
    "Quảng cáo: điện thoại thế hệ mới trả góp không đồng, quà tặng tai nghe chính hãng",
)
ARTICLE_PATTERN = r"/tin/[a-z0-9-]+\.html$"


@dataclass
class Page:
    title: str
    paragraphs: list[str]
    mode: Mode = "ok"
    ad: bool = True


@dataclass
class RecrawlSite:
    url: str = ""
    pages: dict[str, Page] = field(default_factory=dict)
    fetches: int = 0
    reflow: bool = False  # extra spaces and line breaks in the markup
    delay: float = 0.0  # seconds before each article answer (to kill a run midway)
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def article_url(self, slug: str) -> str:
        return f"{self.url}/tin/{slug}.html"

    def source(self) -> Source:
        return Source(
            id="localnews",
            name="Tin địa phương (thử)",
            kind="site",
            language="vi",
            origin="foreign",
            start_urls=[f"{self.url}/tin/"],
            article_patterns=[ARTICLE_PATTERN],
        )

    def html(self, page: Page) -> bytes:
        with self.lock:
            self.fetches += 1
            ad = ADS[self.fetches % len(ADS)]
            reflow = self.reflow
        gap = "\n   \n  " if reflow else ""
        space = "  " if reflow else " "
        body = "".join(f"<p>{gap}{p.replace(' ', space)}{gap}</p>\n" for p in page.paragraphs)
        if page.ad:
            body += f"<p>{ad}</p>\n"
        return (
            "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>"
            f"<title>{page.title}</title></head><body><nav><a href='/'>Trang chủ</a></nav>"
            f"<article><h1>{page.title}</h1>\n{body}</article>"
            "<footer>Tin địa phương, 2026</footer></body></html>"
        ).encode()


_LISTING = (
    b"<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'><title>Trang ch\xe1\xbb\xa7"
    b"</title></head><body><h1>Tin m\xe1\xbb\x9bi</h1><ul><li><a href='/tin/'>Th\xe1\xbb\x9di"
    b" s\xe1\xbb\xb1</a></li></ul></body></html>"
)


@contextmanager
def recrawl_site() -> Iterator[RecrawlSite]:
    site = RecrawlSite()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            with site.lock:
                site.requests.append(path)
            if path == "/robots.txt":
                self._send(200, b"User-agent: *\nDisallow: /private/\n")
                return
            if path in ("/", "/tin/"):
                self._send(200, _LISTING)
                return
            slug = path.removeprefix("/tin/").removesuffix(".html")
            page = site.pages.get(slug)
            if site.delay:
                time.sleep(site.delay)
            if page is None or page.mode == "gone":
                self._send(404, b"<html><body><h1>404: Not Found</h1></body></html>")
                return
            if page.mode == "down":
                self._send(503, b"<html><body><h1>503: try later</h1></body></html>")
                return
            if page.mode == "gone410":
                self._send(410, b"<html><body><h1>410: Gone</h1></body></html>")
                return
            if page.mode in ("home", "section"):
                target = "/" if page.mode == "home" else "/tin/"
                self._send(301, b"", {"Location": target})
                return
            body = site.html(page)
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self._send(200, body, {"ETag": etag})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
