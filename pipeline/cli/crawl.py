"""Commands of the crawl area: crawl, extract, reextract."""

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
    app.command("extract")(extract)
    app.command("reextract")(reextract)


@reports_errors
def crawl(
    ctx: typer.Context,
    source: SourceIds = None,
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
        report = run_crawl(state.settings, source_ids=source or None, stop=stop)
    finally:
        signal.signal(signal.SIGTERM, previous)
    for line in report.summary_lines():
        typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)


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
