"""The procrastinate app bound to the configured PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import procrastinate
from sqlalchemy.engine import make_url

from core.errors import PresswatchError

QUEUES = ("crawl", "analyse", "alerts", "reports")


def libpq_url(database_url: str) -> str:
    """The SQLAlchemy URL as psycopg's conninfo; its query (search_path options) kept."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise PresswatchError(
            f"cluster mode needs PostgreSQL, but the database is {url.get_backend_name()} "
            f"({url.render_as_string(hide_password=True)}); "
            "`presswatch run` is the single-process mode"
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


_base: list[procrastinate.App] = []


def _app() -> procrastinate.App:
    # One App per process: a blueprint's tasks link back to the one app they joined.
    if not _base:
        from pipeline.cluster.tasks import NAMESPACE, blueprint

        app = procrastinate.App(connector=procrastinate.PsycopgConnector())
        app.add_tasks_from(blueprint, namespace=NAMESPACE)
        _base.append(app)
    return _base[0]


@contextmanager
def cluster_app(database_url: str, *, sync: bool = False) -> Iterator[procrastinate.App]:
    """The app with its tasks, on the configured database. `sync` (admin commands,
    no event loop) opens it; otherwise the worker opens it in its own loop."""
    conninfo = libpq_url(database_url)
    connector: procrastinate.BaseConnector
    if sync:
        connector = procrastinate.SyncPsycopgConnector(conninfo=conninfo)
    else:
        connector = procrastinate.PsycopgConnector(conninfo=conninfo)
    with _app().replace_connector(connector) as app:
        if not sync:
            yield app
            return
        with app.open():
            yield app


def apply_schema(database_url: str) -> bool:
    """Create procrastinate's tables once; False when they were already there."""
    with cluster_app(database_url, sync=True) as app:
        present = app.connector.execute_query_one(
            "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present"
        )
        if present["present"]:
            return False
        app.schema_manager.apply_schema()
    return True
