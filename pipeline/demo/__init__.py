"""`presswatch demo`: the whole pipeline once, offline, on a bundled sample.

Starts the replay server and a local webhook receiver on 127.0.0.1, writes a
demo config.yaml (the bundled config with the demo's sources, a fresh SQLite
database and outputs in one folder, no crawl delay for the local host), then
runs crawl → process → alerts → digest → export and prints where everything
is. The printed config lets a newcomer keep exploring with the normal
commands (`presswatch -c <folder>/config.yaml cases list`).
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from core.config import Settings
from core.errors import PresswatchError
from core.loading import bundled_config_path, load_settings
from pipeline.demo.server import ReplayServer

SOURCES = Path(__file__).with_name("data") / "sources.yaml"
DB_NAME = "presswatch-demo.db"


class _Hook(BaseHTTPRequestHandler):
    """Stands in for the press department's chat webhook."""

    server: _HookServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append(json.loads(body or b"{}"))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _HookServer(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Hook)
        self.received: list[dict[str, Any]] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/presswatch"


def demo_config(base: Settings, folder: Path, site: str, hook_url: str) -> dict[str, Any]:
    """The bundled config, pointed at the demo's servers and folder."""
    data = base.model_dump(mode="json", exclude={"path"})
    data["profile"]["data_dir"] = str(folder / "data")
    data["database"] = {"url": f"sqlite:///{(folder / DB_NAME).as_posix()}", "url_env": None}
    data["sources"] = yaml.safe_load(SOURCES.read_text(encoding="utf-8").replace("{{BASE}}", site))
    data["crawl"].update(
        download_delay_seconds=0.0,
        autothrottle=False,
        timeout_seconds=10,
        retries=1,
        max_age_days=30,
    )
    data["digest"].update(output_dir=str(folder / "digests"), send=False)
    data["export"]["output_dir"] = str(folder / "exports")
    alerts = data["alerts"]
    alerts["quiet_hours"] = None  # show the deliveries whatever the hour
    alerts["channels"] = [{"id": "press-webhook", "kind": "webhook", "url": hook_url}]
    for rule in alerts["rules"]:
        rule["channels"] = ["press-webhook"]
    data["desk"]["escalation_channels"] = ["press-webhook"]  # the leadership, in the demo
    return data


def _fresh_folder(directory: Path | None) -> Path:
    if directory is None:
        return Path(tempfile.mkdtemp(prefix="presswatch-demo-"))
    directory.mkdir(parents=True, exist_ok=True)
    for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm"):
        (directory / name).unlink(missing_ok=True)  # only the demo's own database
    return directory


def run_demo(
    directory: Path | None = None, *, serve: bool = False, echo: Callable[[str], None] = print
) -> Path:
    from pipeline.alerts.rules import run_alerts
    from pipeline.crawl.run import run_crawl
    from pipeline.process.analyse import run_process
    from pipeline.reports.digest import build_digest
    from pipeline.reports.export import run_export
    from pipeline.reports.periods import iso_week, local_today
    from storage.cases import list_cases
    from storage.db import Database, upgrade

    started = time.perf_counter()
    folder = _fresh_folder(directory).resolve()
    site, hook = ReplayServer().start(), _HookServer()
    try:
        config_path = folder / "config.yaml"
        base = load_settings(bundled_config_path())
        config = demo_config(base, folder, site.base, hook.url)
        config_path.write_text(
            "# Written by `presswatch demo`; the sources point at its replay server.\n"
            + yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
            encoding="utf-8",
        )
        settings = load_settings(config_path)
        echo(f"presswatch demo in {folder}")
        echo(f"  replay server {site.base} ({len(settings.sources)} sample outlets)")
        database = Database.open(settings.database_url, check=False)
        upgrade(database.engine)

        crawl = run_crawl(settings, timeout=120)
        failed = [s.source_id for s in crawl.sources if not s.ok]
        echo(
            f"1. crawl:   {crawl.new_articles} new article(s) from {len(crawl.sources)} outlet(s)"
            + (f"; FAILED: {', '.join(failed)}" if failed else "")
        )
        if crawl.new_articles == 0:
            raise PresswatchError(f"the demo crawl stored nothing; see the log above ({site.base})")
        stats = run_process(settings, database)
        echo(f"2. process: {stats}")
        alerts = run_alerts(settings, database)
        echo(f"3. alerts:  {alerts} (to a local webhook: {len(hook.received)} received)")
        today = local_today(settings.profile.timezone)
        digest = build_digest(settings, database, today)
        echo(f"4. digest:  {digest.html_path}\n            {digest.text_path}")
        export = run_export(settings, database, iso_week(today))
        echo(f"5. export:  {export.path} ({export.rows} row(s))")
        with database.session() as session:
            cases = list_cases(session, status="open")
        echo(f"\nOpen cases ({len(cases)}), highest priority first:")
        for case in cases:
            echo(
                f"  #{case.id} prio {case.priority:.0f} score {case.distortion_score:.2f} "
                f"[{', '.join(case.origins)}] {case.title} ({case.article_count} article(s))"
            )
        database.dispose()
        cli = f"presswatch -c {config_path}"
        echo(f"\nDone in {time.perf_counter() - started:.0f} s. Keep exploring:")
        echo(f"  {cli} cases list --status open")
        if cases:
            echo(f"  {cli} cases show {cases[0].id}")
            echo(f"  {cli} cases assign {cases[0].id} lan")
            echo(f"  {cli} cases close {cases[0].id} --resolution false_positive")
        echo(f"  {cli} digest --language en")
        echo(f"  {cli} export")
        if serve:
            echo(f"\nReplay server still up at {site.base}; Ctrl-C to stop.")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
        return folder
    finally:
        site.stop()
        hook.shutdown()
        hook.server_close()
