"""Commands of the web area: `presswatch serve` and `presswatch users ...`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from pipeline.cli.context import app_context, reports_errors

users_app = typer.Typer(help="Web app accounts (viewer, analyst, admin).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the presswatch app."""
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")


@reports_errors
def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default web.host).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default web.port).")] = None,
    secure_cookies: Annotated[
        bool, typer.Option(help="Mark the session cookie Secure (when served behind HTTPS).")
    ] = False,
) -> None:
    """Run the analysts' web app on the configured database."""
    import uvicorn

    from pipeline.web.app import create_app

    state = app_context(ctx)
    settings = state.settings
    database = state.database()
    app = create_app(settings, database, secure_cookies=secure_cookies)
    bind_host = host or settings.web.host
    bind_port = port or settings.web.port
    typer.echo(f"presswatch web app on http://{bind_host}:{bind_port}/app/ (Ctrl-C stops it)")
    uvicorn.run(app, host=bind_host, port=bind_port, log_level="info", proxy_headers=False)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    from pipeline.web.passwords import MIN_LENGTH

    if len(password) < MIN_LENGTH:
        typer.echo(f"error: a password needs at least {MIN_LENGTH} characters", err=True)
        raise typer.Exit(2)
    return password


@users_app.command("add")
@reports_errors
def users_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="viewer, analyst or admin.")] = "analyst",
    language: Annotated[str, typer.Option(help="Interface language: vi or en.")] = "vi",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an account; asks for the password (never pass it as an argument)."""
    from pipeline.web.passwords import hash_password
    from storage.users import LANGUAGES, ROLES, UserExists, add_user

    if role not in ROLES or language not in LANGUAGES:
        typer.echo(f"error: role is one of {ROLES}, language one of {LANGUAGES}", err=True)
        raise typer.Exit(2)
    database = app_context(ctx).database()
    password = _read_password(password_stdin)
    try:
        with database.session() as session:
            add_user(session, username, hash_password(password), role, language)
    except UserExists:
        typer.echo(f"error: user {username!r} exists; use `presswatch users passwd`", err=True)
        raise typer.Exit(2) from None
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"added {role} {username}")


@users_app.command("passwd")
@reports_errors
def users_passwd(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a new password (ends the user's open sessions)."""
    from pipeline.web.passwords import hash_password
    from storage.users import UnknownUser, set_password

    database = app_context(ctx).database()
    password = _read_password(password_stdin)
    try:
        with database.session() as session:
            set_password(session, username, hash_password(password))
    except UnknownUser:
        typer.echo(f"error: no user {username!r}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"password of {username} changed")


@users_app.command("disable")
@reports_errors
def users_disable(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    enable: Annotated[bool, typer.Option("--enable", help="Re-enable instead.")] = False,
) -> None:
    """Disable an account (its sessions end at once, for good), or --enable it again."""
    from storage.users import UnknownUser, disable_user

    database = app_context(ctx).database()
    try:
        with database.session() as session:
            disable_user(session, username, not enable)
    except UnknownUser:
        typer.echo(f"error: no user {username!r}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{username} {'enabled' if enable else 'disabled'}")


@users_app.command("signout")
@reports_errors
def users_signout(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
) -> None:
    """Sign the user out everywhere: every open session ends now, for good."""
    from storage.users import UnknownUser, end_user_sessions

    database = app_context(ctx).database()
    try:
        with database.session() as session:
            ended = end_user_sessions(session, username, "admin")
    except UnknownUser:
        typer.echo(f"error: no user {username!r}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{username}: {ended} session(s) ended")


@users_app.command("list")
@reports_errors
def users_list(ctx: typer.Context) -> None:
    """List accounts with role, language and state."""
    from storage.users import list_users

    database = app_context(ctx).database()
    with database.session() as session:
        users = list_users(session)
    for user in users:
        state = "disabled" if user.disabled else "active"
        typer.echo(f"{user.username}\t{user.role}\t{user.language}\t{state}")
