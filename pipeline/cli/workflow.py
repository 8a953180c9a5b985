"""Commands of the workflow area: process, run, cases, digest, export, alerts, demo.

Thin: parse, open the configured database, delegate. Heavy imports stay
inside the commands so `presswatch --help` stays fast.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipeline.cli.context import app_context, reports_errors

if TYPE_CHECKING:
    from storage.cases import Case

cases_app = typer.Typer(
    help="The review queue: list, show, assign, note, close cases.", no_args_is_help=True
)
alerts_app = typer.Typer(help="Alerts to the press department.", no_args_is_help=True)

Actor = Annotated[
    str | None,
    typer.Option("--actor", help="Who makes the change (default: $PRESSWATCH_USER or login)."),
]


def _actor(actor: str | None) -> str:
    return actor or os.environ.get("PRESSWATCH_USER") or getpass.getuser()


def process(
    ctx: typer.Context,
    limit: Annotated[int | None, typer.Option(help="Analyse at most this many articles.")] = None,
    batch_size: Annotated[int, typer.Option(help="Articles per analysis batch.")] = 32,
) -> None:
    """Analyse relevant articles lacking a current analysis; open or update cases."""
    from pipeline.evidence.capture import capture_pending
    from pipeline.process.analyse import run_process

    state = app_context(ctx)
    stats = run_process(state.settings, state.database(), batch_size=batch_size, limit=limit)
    typer.echo(f"process: {stats}")
    captured = capture_pending(state.settings, state.database())  # flag-time evidence
    if captured.rendered or captured.failed:
        typer.echo(str(captured))


def run(
    ctx: typer.Context,
    once: Annotated[
        bool,
        typer.Option("--once", help="Run crawl → process → alerts (+ digest/export if due) once."),
    ] = False,
) -> None:
    """The daemon: every stage on its schedule from config, until SIGTERM/Ctrl-C."""
    from pipeline.run.scheduler import Daemon, run_once_locked

    state = app_context(ctx)
    if once:
        report = run_once_locked(state.settings, state.database())
        for line in report.lines:
            typer.echo(line)
        if report.failed:
            raise typer.Exit(1)
        return
    daemon = Daemon(state.settings, state.database())
    daemon.run()
    if not daemon.clean_stop:
        # A job thread ignored the stop past the deadline; the lock is released and
        # its work is transactional, so end now rather than let exit wait for it.
        import os
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)


def _case_line(case: Case) -> str:
    assignee = case.assignee or "-"
    topics = ",".join(case.topics) or "-"
    origins = ",".join(case.origins) or "-"
    return (
        f"#{case.id:<5} {case.status:<11} prio {case.priority:5.1f}  "
        f"score {case.distortion_score:.2f}"
        f"  {assignee:<10} {origins:<16} {topics:<28} {case.title[:70]}"
    )


@cases_app.command("list")
@reports_errors
def cases_list(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option(help="new, triaged, in_progress, closed, or open (not closed).")
    ] = None,
    topic: Annotated[str | None, typer.Option(help="A topic id from config.")] = None,
    origin: Annotated[str | None, typer.Option(help="domestic or foreign.")] = None,
    assignee: Annotated[str | None, typer.Option(help="Cases assigned to this person.")] = None,
) -> None:
    """Cases, highest priority first."""
    from storage.cases import list_cases

    with app_context(ctx).database().read_session() as session:
        found = list_cases(session, status=status, topic=topic, origin=origin, assignee=assignee)
    if not found:
        typer.echo("no cases")
    for case in found:
        typer.echo(_case_line(case))


@cases_app.command("show")
@reports_errors
def cases_show(ctx: typer.Context, case_id: Annotated[int, typer.Argument()]) -> None:
    """One case: its articles, the reasons and sentences behind the flag, its history."""
    from storage.cases import get_case

    with app_context(ctx).database().read_session() as session:
        detail = get_case(session, case_id)
    case = detail.case
    typer.echo(f"Case #{case.id}: {case.title}")
    typer.echo(
        f"  status {case.status}{f' ({case.resolution})' if case.resolution else ''} · "
        f"priority {case.priority:.1f} · distortion {case.distortion_score:.2f} · "
        f"assignee {case.assignee or '-'} · topics {', '.join(case.topics) or '-'}"
    )
    if case.response:
        typer.echo(f"  response: {case.response}")
    for deadline, due in (("triage", case.triage_due_at), ("respond", case.respond_due_at)):
        if due is not None:
            typer.echo(f"  {deadline} due {due:%Y-%m-%d %H:%M} UTC")
    typer.echo(f"\nArticles ({len(detail.articles)}):")
    for article in detail.articles:
        label = article.stance
        score = f"{article.distortion_score:.2f}" if article.distortion_score is not None else "-"
        flag = "FLAGGED" if article.flagged else "       "
        typer.echo(
            f"  {flag} {score} {article.source_name or article.source_id} ({article.origin})"
            f" · {label or '-'} · {article.title}"
        )
        typer.echo(f"          {article.url}")
        for reason in article.analysis.reasons_by_weight() if article.analysis else []:
            typer.echo(f"          - [{reason.kind}] {reason.detail} (weight {reason.weight:.2f})")
            if reason.sentence:
                typer.echo(f"            “{reason.sentence}”")
    typer.echo("\nHistory:")
    for event in detail.events:
        change = ""
        if event.field:
            change = f" {event.field}: {event.old_value or '-'} → {event.new_value or '-'}"
        note = f" — {event.note}" if event.note else ""
        typer.echo(f"  {event.at:%Y-%m-%d %H:%M} UTC {event.actor}: {event.action}{change}{note}")


@cases_app.command("assign")
@reports_errors
def cases_assign(ctx: typer.Context, case_id: int, assignee: str, actor: Actor = None) -> None:
    """Assign a case to a person (a new case becomes triaged)."""
    from pipeline.review.workflow import assign_case

    with app_context(ctx).database().session() as session:
        case = assign_case(session, case_id, assignee, _actor(actor))
    typer.echo(_case_line(case))


@cases_app.command("note")
@reports_errors
def cases_note(ctx: typer.Context, case_id: int, text: str, actor: Actor = None) -> None:
    """Add a note to a case's history."""
    from pipeline.review.workflow import add_note

    with app_context(ctx).database().session() as session:
        case = add_note(session, case_id, text, _actor(actor))
    typer.echo(_case_line(case))


@cases_app.command("status")
@reports_errors
def cases_status(
    ctx: typer.Context,
    case_id: int,
    status: str,
    actor: Actor = None,
    reason: Annotated[
        str | None, typer.Option(help="who or what a `waiting` case waits for (required then)")
    ] = None,
) -> None:
    """Move a case to new, triaged, in_progress or waiting (reopens a closed one)."""
    from pipeline.review.deadlines import refresh_case
    from pipeline.review.workflow import set_status

    context = app_context(ctx)
    with context.database().session() as session:
        case = set_status(session, case_id, status, _actor(actor), reason=reason)
        refresh_case(context.settings, session, case_id)
    typer.echo(_case_line(case))


@cases_app.command("respond")
@reports_errors
def cases_respond(ctx: typer.Context, case_id: int, response: str, actor: Actor = None) -> None:
    """Record the office's response (text or link) on a case."""
    from pipeline.review.workflow import set_response

    with app_context(ctx).database().session() as session:
        case = set_response(session, case_id, response, _actor(actor))
    typer.echo(_case_line(case))


@cases_app.command("close")
@reports_errors
def cases_close(
    ctx: typer.Context,
    case_id: int,
    resolution: Annotated[
        str, typer.Option("--resolution", "-r", help="responded, no_action or false_positive.")
    ],
    response: Annotated[
        str | None, typer.Option(help="The response text or link (needed for responded).")
    ] = None,
    actor: Actor = None,
) -> None:
    """Close a case. responded/false_positive become training labels for `presswatch train`."""
    from pipeline.review.workflow import close_case

    with app_context(ctx).database().session() as session:
        case = close_case(session, case_id, resolution, _actor(actor), response=response)
    typer.echo(_case_line(case))


def digest(
    ctx: typer.Context,
    day: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD (default: today, in the office's timezone).")
    ] = None,
    language: Annotated[
        str | None, typer.Option(help="vi or en (default: digest.language).")
    ] = None,
    send: Annotated[
        bool | None, typer.Option("--send/--no-send", help="Email it (default: digest.send).")
    ] = None,
) -> None:
    """Write the daily digest (HTML + text) for a day; email it when configured."""
    from core.errors import PresswatchError
    from pipeline.reports.digest import build_digest
    from pipeline.reports.periods import local_today, parse_day

    state = app_context(ctx)
    settings = state.settings
    if language not in (None, "vi", "en"):
        raise PresswatchError(f"unknown language {language!r}: vi or en")
    target = parse_day(day) if day else local_today(settings.profile.timezone)
    result = build_digest(
        settings, state.database(), target, language=language, send=send, resend=bool(send)
    )
    typer.echo(
        f"digest {result.day} ({result.language}): {result.articles} article(s), "
        f"{result.cases} open case(s)"
    )
    typer.echo(f"  html: {result.html_path}\n  text: {result.text_path}")
    if result.sent:
        typer.echo(f"  sent to {', '.join(settings.digest.recipients)}")


def export(
    ctx: typer.Context,
    week: Annotated[
        str | None, typer.Option(help="ISO week like 2026-W48 (default: the current week).")
    ] = None,
) -> None:
    """Write the weekly CSV (one row per article; columns in the README)."""
    from pipeline.reports.export import run_export
    from pipeline.reports.periods import iso_week, local_today, parse_iso_week

    state = app_context(ctx)
    settings = state.settings
    target = parse_iso_week(week) if week else iso_week(local_today(settings.profile.timezone))
    result = run_export(settings, state.database(), target)
    typer.echo(f"export {result.week}: {result.rows} row(s) -> {result.path}")


def report(
    ctx: typer.Context,
    period: Annotated[
        str | None, typer.Option(help="A month like 2026-11 (default: last month).")
    ] = None,
    week: Annotated[str | None, typer.Option(help="An ISO week like 2026-W47 instead.")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder for the files (default: <data_dir>/reports).")
    ] = None,
    language: Annotated[str, typer.Option(help="vi or en.")] = "vi",
) -> None:
    """Write the periodic report for leadership (DOCX and PDF) for a month or a week."""
    from core.errors import PresswatchError
    from pipeline.reports.periodic import build_report
    from pipeline.reports.periods import local_today, month_period, parse_period, week_period

    state = app_context(ctx)
    if period and week:
        raise PresswatchError("give --period or --week, not both")
    if language not in ("vi", "en"):
        raise PresswatchError(f"unknown language {language!r}: vi or en")
    if week:
        chosen = week_period(week)
    elif period:
        chosen = parse_period(period)
    else:
        first = local_today(state.settings.profile.timezone).replace(day=1)
        chosen = month_period(first.strftime("%Y-%m")).previous()
    result = build_report(state.settings, state.database(), chosen, folder=out, language=language)
    data = result.data
    typer.echo(
        f"report {chosen.key}: {data.total.count} article(s), {len(data.cases)} case(s) opened, "
        f"{len(data.open_cases)} open"
    )
    typer.echo(f"  docx: {result.docx_path}\n  pdf:  {result.pdf_path}")


@alerts_app.command("run")
@reports_errors
def alerts_run(ctx: typer.Context) -> None:
    """Evaluate the alert rules and deliver what is due (retries included)."""
    from pipeline.alerts.rules import run_alerts

    state = app_context(ctx)
    typer.echo(f"alerts: {run_alerts(state.settings, state.database())}")


@alerts_app.command("list")
@reports_errors
def alerts_list(
    ctx: typer.Context, limit: Annotated[int, typer.Option(help="How many.")] = 30
) -> None:
    """The latest deliveries and their outcome."""
    from storage.alerts import delivery_states

    with app_context(ctx).database().read_session() as session:
        states = delivery_states(session, limit)
    if not states:
        typer.echo("no alerts")
    for s in states:
        when = s.sent_at or s.next_attempt_at
        stamp = f"{when:%Y-%m-%d %H:%M}" if when else "-"
        error = f"  ({s.last_error})" if s.last_error and s.status != "sent" else ""
        typer.echo(
            f"{s.status:<8} {s.channel_id:<16} tries {s.attempts} {stamp}  {s.subject[:70]}{error}"
        )


def demo(
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir", help="Folder for the demo's database and outputs (default: a new temp folder)."
        ),
    ] = None,
    serve: Annotated[
        bool, typer.Option(help="Keep the replay server running until Ctrl-C.")
    ] = False,
) -> None:
    """Run the whole pipeline once on a bundled sample, offline, into a fresh database."""
    from pipeline.demo import run_demo

    run_demo(directory, serve=serve, echo=typer.echo)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the presswatch app."""
    app.command("process")(reports_errors(process))
    app.command("run")(reports_errors(run))
    app.command("digest")(reports_errors(digest))
    app.command("export")(reports_errors(export))
    app.command("report")(reports_errors(report))
    app.command("demo")(reports_errors(demo))
    app.add_typer(cases_app, name="cases")
    app.add_typer(alerts_app, name="alerts")
