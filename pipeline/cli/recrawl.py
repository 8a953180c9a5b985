"""`presswatch recrawl`: fetch relevant articles again to see what their outlets
changed (issue 15); the daemon runs the same stage on `recrawl.schedule`."""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.cli.context import app_context, reports_errors


def register(app: typer.Typer) -> None:
    """Add this area's command to the presswatch app."""
    app.command("recrawl")(recrawl)


@reports_errors
def recrawl(
    ctx: typer.Context,
    now: Annotated[
        bool,
        typer.Option("--now", help="Every relevant article now, whether due or not."),
    ] = False,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, help="At most this many refetches (recrawl.max_per_run)."),
    ] = None,
) -> None:
    """Refetch the articles due (+24 h, +7 d, daily in open cases) and record edits,
    deletions and restorations; alert the assignees of open cases."""
    import signal
    import threading

    from pipeline.recrawl.refetch import run_recrawl

    state = app_context(ctx)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stats = run_recrawl(
            state.settings, state.database(), everything=now, limit=limit, stop=stop
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    typer.echo(f"recrawl: {stats}")
