"""The demo's local replay server: serves the bundled sample on 127.0.0.1.

Feeds and pages hold placeholders the server fills in on the way out:
{{BASE}} (its own address), {{PUB:n}} (n hours ago, RFC 822, for feeds) and
{{ISO:n}} (n hours ago, ISO 8601, for pages), so the sample is always fresh
and passes the crawler's age limit. Times are fixed when the server starts,
so every request for a path gets the same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SITE = Path(__file__).with_name("data") / "site"
HANOI = dt.timezone(dt.timedelta(hours=7))
# URL paths that differ from the file layout, as real outlets' URLs do.
ROUTES = {
    "/bbc/vietnamese/articles/c7d2k9x1": "bbc/c7d2k9x1.html",
    "/bbc/vietnamese/articles/c1m4bg77": "bbc/c1m4bg77.html",
    "/rfa/vietnamese/news/cuu-tro-quang-binh-11252026.html": "rfa/cuu-tro-quang-binh-11252026.html",
    "/vne-intl/travel/son-doong-season-opens-4790001.html": (
        "vne-intl/son-doong-season-opens-4790001.html"
    ),
    "/vne-intl/news/quang-binh-flood-aid-4790002.html": (
        "vne-intl/quang-binh-flood-aid-4790002.html"
    ),
    "/laotian/2026/11/cable-car-son-doong/": "laotian/cable-car-son-doong.html",
}
TYPES = {".xml": "application/rss+xml", ".html": "text/html", ".txt": "text/plain"}
_PLACEHOLDER = re.compile(r"\{\{(BASE|PUB:(\d+)|ISO:(\d+))\}\}")


class ReplayServer(ThreadingHTTPServer):
    def __init__(self, now: dt.datetime | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.now = (now or dt.datetime.now(dt.UTC)).astimezone(HANOI).replace(microsecond=0)
        self.requests: list[str] = []
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def fill(self, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            if match[1] == "BASE":
                return self.base
            hours = int(match[2] or match[3])
            when = self.now - dt.timedelta(hours=hours)
            return format_datetime(when) if match[2] else when.isoformat()

        return _PLACEHOLDER.sub(replace, text)

    def start(self) -> ReplayServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: ReplayServer

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.server.requests.append(path)
        relative = ROUTES.get(path, path.lstrip("/"))
        file = (SITE / relative).resolve()
        if SITE.resolve() not in file.parents or not file.is_file():
            self.send_error(404)
            return
        body = self.server.fill(file.read_text(encoding="utf-8")).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", f"{TYPES.get(file.suffix, 'text/plain')}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass
