"""The `presswatch` command line. Thin: parse, build settings, delegate.

Each area registers its own commands (crawl, nlp, workflow, web) so this file
stays an index of the product rather than a home for its logic.
"""

from __future__ import annotations

import importlib.metadata
import shutil
from pathlib import Path
from typing import Annotated

import typer

from core.errors import ConfigError
from core.loading import bundled_config_path
from pipeline.cli import cluster as cli_cluster
from pipeline.cli import crawl as cli_crawl
from pipeline.cli import evidence as cli_evidence
from pipeline.cli import nlp as cli_nlp
from pipeline.cli import recrawl as cli_recrawl
from pipeline.cli import web as cli_web
from pipeline.cli import workflow as cli_workflow
from pipeline.cli.context import AppContext, app_context, configure_logging, reports_errors
from storage import db as storage_db

app = typer.Typer(
    name="presswatch",
    help="Follow what the press writes about the province, flag distortions, report.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
config_app = typer.Typer(help="Check the configuration file.", no_args_is_help=True)
db_app = typer.Typer(help="Create or migrate the database.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"presswatch {importlib.metadata.version('presswatch')}")
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Config file (default: $PRESSWATCH_CONFIG, else ./config.yaml).",
            dir_okay=False,
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    configure_logging(verbose)
    ctx.obj = AppContext(config_option=config)
    ctx.call_on_close(ctx.obj.close)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to write config.yaml into.")],
    force: Annotated[bool, typer.Option(help="Overwrite an existing config.yaml.")] = False,
) -> None:
    """Write a commented starter config.yaml into DIRECTORY."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "config.yaml"
    if target.exists() and not force:
        typer.echo(f"error: {target} exists; pass --force to overwrite it", err=True)
        raise typer.Exit(2)
    shutil.copyfile(bundled_config_path(), target)
    typer.echo(f"wrote {target}; edit it, then run: presswatch --config {target} config check")


@config_app.command("check")
def config_check(ctx: typer.Context) -> None:
    """Validate the config file and print every problem at once, with its line."""
    state = app_context(ctx)
    path = state.config_path
    try:
        settings = state.settings
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"{path}: OK — {len(settings.sources)} sources, {len(settings.topics)} topics, "
        f"{len(settings.narratives)} narratives, {len(settings.watch.all_places())} places"
    )


@db_app.command("upgrade")
@reports_errors
def db_upgrade(ctx: typer.Context) -> None:
    """Create the database or migrate it to the latest schema."""
    state = app_context(ctx)
    database = state.database(check=False)
    storage_db.upgrade(database.engine)
    if database.engine.dialect.name == "postgresql":
        from pipeline.cluster.app import apply_schema

        if apply_schema(state.settings.database_url):
            typer.echo("applied the cluster job queue schema (procrastinate)")
    url = database.engine.url.render_as_string(hide_password=True)
    typer.echo(f"database {url} is at schema {storage_db.current_revision(database.engine)}")


@db_app.command("check")
@reports_errors
def db_check(
    ctx: typer.Context,
    repair: Annotated[
        bool, typer.Option("--repair", help="Fix what is found (safe to run any time).")
    ] = False,
) -> None:
    """Find what an interrupted older version left half-written; exit 1 if any remains."""
    from pipeline.crawl.repair import rebuild_unclustered
    from storage import repair as storage_repair

    state = app_context(ctx)
    database = state.database()
    with database.session() as session:
        found = storage_repair.check(session)
    if not found.problems:
        typer.echo("database OK: no orphaned analyses, every relevant article has its story")
        return
    for line in found.lines():
        typer.echo(line)
    if not repair:
        typer.echo("run `presswatch db check --repair` to fix it", err=True)
        raise typer.Exit(1)
    with database.session() as session:
        forgotten = storage_repair.forget_orphan_analyses(session, found.flagged_without_case)
    rebuilt = rebuild_unclustered(state.settings, database, found.unclustered)
    typer.echo(
        f"repaired: {forgotten} orphaned analysis(es) removed (the next `presswatch process` "
        f"redoes them with their case), {rebuilt} article(s) re-clustered"
    )
    with database.session() as session:
        left = storage_repair.check(session)
    for line in left.lines():
        typer.echo(f"still: {line}", err=True)
    if left.flagged_without_case or left.unclustered:
        raise typer.Exit(1)


cli_crawl.register(app)
cli_recrawl.register(app)
cli_nlp.register(app)
cli_workflow.register(app)
cli_evidence.register(cli_workflow.cases_app)
cli_web.register(app)
cli_cluster.register(app)


def main() -> None:
    app()
