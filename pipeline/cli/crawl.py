"""Commands of the crawl area: crawl, feeds, extract, reextract."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from pipeline.cli.context import app_context, reports_errors

SourceIds = Annotated[
    list[str] | None, typer.Option("--source", "-s", help="Only this source id (repeatable).")
]


def register(app: typer.Typer) -> None:
    """Add this area's commands to the presswatch app."""
    app.command("crawl")(crawl)
    feeds_app = typer.Typer(help="Adaptive feed polling: each feed's period and state.")
    feeds_app.command("list")(feeds_list)
    feeds_app.command("enable")(feeds_enable)
    app.add_typer(feeds_app, name="feeds")
    app.command("extract")(extract)
    app.command("reextract")(reextract)


@reports_errors
def crawl(
    ctx: typer.Context,
    source: SourceIds = None,
    due: Annotated[
        bool,
        typer.Option(
            "--due", help="Only pages whose polling period has passed, as the daemon does (cron)."
        ),
    ] = False,
) -> None:
    """Fetch what the configured sources published since the last run, and store it."""
    import signal
    import threading

    from pipeline.crawl.run import run_crawl

    state = app_context(ctx)
    # SIGTERM stops the crawl child gracefully (then kills it), records each
    # source's outcome and removes the temporary folder, instead of dying mid-way.
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        report = run_crawl(state.settings, source_ids=source or None, stop=stop, due_only=due)
    finally:
        signal.signal(signal.SIGTERM, previous)
    for line in report.summary_lines():
        typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)


@reports_errors
def feeds_list(ctx: typer.Context, source: SourceIds = None) -> None:
    """Each configured feed: its polling period, next poll, failures, and why it is disabled."""
    from storage.crawl_state import entry_schedules

    state = app_context(ctx)
    sources = [s for s in state.settings.sources if not source or s.id in source]
    with state.database().read_session() as session:
        known = entry_schedules(session, [u for s in sources for u in s.feeds])
    for configured in sources:
        for url in configured.feeds:
            row = known.get(url)
            if row is None:
                typer.echo(f"{configured.id:<20} {url}  never polled (due now)")
                continue
            period = row.poll_minutes or configured.interval_minutes
            when = row.next_poll_at.isoformat(timespec="minutes") if row.next_poll_at else "now"
            line = f"{configured.id:<20} {url}  every {period} min, next {when}"
            if row.failures:
                line += f", failed {row.failures}x: {row.last_error}"
            if row.disabled_reason:
                line += f"  DISABLED: {row.disabled_reason}"
            typer.echo(line)


@reports_errors
def feeds_enable(ctx: typer.Context, url: Annotated[str, typer.Argument()]) -> None:
    """Poll a disabled feed again at the next tick (its failure count starts over)."""
    from storage.crawl_state import enable_feed

    state = app_context(ctx)
    with state.database().session() as session:
        found = enable_feed(session, url)
    if not found:
        typer.echo(f"no polling state for {url}; `presswatch feeds list` shows the feeds", err=True)
        raise typer.Exit(1)
    typer.echo(f"{url}: enabled, polled at the next tick")


def _read_input(
    item: str, timeout: float, user_agent: str, max_bytes: int
) -> tuple[bytes, str | None]:
    """Bytes and content type of a saved page (plain or .gz) or a URL."""
    if item.startswith(("http://", "https://")):
        import httpx

        with httpx.Client(
            follow_redirects=True, timeout=timeout, headers={"User-Agent": user_agent}
        ) as client:
            response = client.get(item)
            response.raise_for_status()
            if len(response.content) > max_bytes:
                raise ValueError(f"{item}: page over the {max_bytes}-byte cap")
            return response.content, response.headers.get("content-type")
    data = Path(item).read_bytes()
    if item.endswith(".gz") or data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data, None


@reports_errors
def extract(
    ctx: typer.Context,
    inputs: Annotated[list[str], typer.Argument(help="Saved HTML files (plain or .gz) or URLs.")],
) -> None:
    """Run the crawler's extraction on pages; print one JSON line per input."""
    from pipeline.crawl.extraction import extract_page

    settings = app_context(ctx).settings
    failed = 0
    for item in inputs:
        line: dict[str, Any] = {
            "input": item,
            "title": None,
            "text": None,
            "published_at": None,
            "authors": [],
            "language": None,
        }
        try:
            body, content_type = _read_input(
                item,
                settings.crawl.timeout_seconds,
                settings.crawl.user_agent,
                settings.crawl.max_page_bytes,
            )
            url = item if item.startswith(("http://", "https://")) else None
            page = extract_page(
                body, url, content_type=content_type, timezone=settings.profile.timezone
            )
        except Exception as exc:  # one bad input must not stop the others
            failed += 1
            line["error"] = f"{item}: {type(exc).__name__}: {exc}"
        else:
            fields = page.extracted
            line.update(
                title=fields.title,
                text=fields.text,
                authors=fields.authors,
                published_at=fields.published_at.isoformat() if fields.published_at else None,
                language=page.language,
            )
        typer.echo(json.dumps(line, ensure_ascii=False))
    if failed:
        raise typer.Exit(1)


@reports_errors
def reextract(
    ctx: typer.Context,
    source: SourceIds = None,
) -> None:
    """Rebuild articles from stored snapshots with the current extraction."""
    from pipeline.crawl.run import reextract_snapshots

    state = app_context(ctx)
    counts = reextract_snapshots(state.settings, state.database(), source_ids=source or None)
    typer.echo(" ".join(f"{key}={value}" for key, value in sorted(counts.items())))
