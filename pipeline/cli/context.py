"""What every CLI command is handed: the chosen config, loaded once, and the
database it names. Built at the entry point and passed down (no globals)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

import typer
from sqlalchemy.exc import OperationalError

from core.config import Settings
from core.errors import PresswatchError
from core.loading import load_settings, resolve_config_path
from storage.db import Database

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class AppContext:
    config_option: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _database: Database | None = field(default=None, repr=False)

    @property
    def config_path(self) -> Path:
        return resolve_config_path(self.config_option)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    def database(self, *, check: bool = True) -> Database:
        """The configured database; refuses an unmigrated or too-new schema."""
        if self._database is None:
            self._database = Database.open(self.settings.database_url, check=check)
        return self._database

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()
            self._database = None


def app_context(ctx: typer.Context) -> AppContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):
        obj = AppContext()
        ctx.find_root().obj = obj
    return obj


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn presswatch's own errors into a plain message and exit code 2."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except PresswatchError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except OperationalError as exc:
            # Disk full, a vanished or read-only file, a lost server: the run failed,
            # said in one line that names the database (nothing half-written:
            # each unit of work rolled back).
            typer.echo(f"error: {_storage_message(exc, (*args, *kwargs.values()))}", err=True)
            raise typer.Exit(2) from None

    return wrapper


def _storage_message(exc: OperationalError, arguments: tuple[object, ...]) -> str:
    """One line naming the database the command had open, and what to do.

    The database is found through the command's own context argument (typer
    bundles its own click, so `click.get_current_context()` does not see it)."""
    from storage.db import describe_storage_error

    for argument in arguments:
        find_root = getattr(argument, "find_root", None)  # the command's click context
        obj = find_root().obj if callable(find_root) else None
        if isinstance(obj, AppContext) and obj._database is not None:
            return describe_storage_error(obj._database.engine, exc)
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return f"database error: {detail}"


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Third-party chatter that drowns our own decisions.
    for noisy in ("scrapy", "twisted", "filelock", "urllib3", "httpx", "trafilatura", "htmldate"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
