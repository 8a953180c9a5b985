"""article_search: full-text search that understands Vietnamese

SQLite gets an FTS5 table (unicode61 tokenizer, remove_diacritics 2) and
PostgreSQL a tsvector table with a GIN index, both filled by triggers on
`articles` so every insert, update and delete keeps them in step, and both
backfilled here from the articles already stored. See `storage.fulltext`.

PostgreSQL folds with the `unaccent` extension when it can be installed; when
the server lacks it (or the role may not create it) a translate() over the
Vietnamese letters does the same job, and the migration says so.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 14:40:00
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from storage.fulltext import fold_map

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

# đ/Đ are letters, not marks: remove_diacritics leaves them, so the trigger maps them.
_SQLITE_FOLD = "replace(replace({0}, 'đ', 'd'), 'Đ', 'd')"


def _sqlite(connection: sa.Connection) -> None:
    connection.exec_driver_sql(
        "CREATE VIRTUAL TABLE article_search USING fts5("
        "title, body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    title, body = _SQLITE_FOLD.format("new.title"), _SQLITE_FOLD.format("new.text")
    connection.exec_driver_sql(
        "CREATE TRIGGER article_search_insert AFTER INSERT ON articles BEGIN "
        f"INSERT INTO article_search(rowid, title, body) VALUES (new.id, {title}, {body}); END"
    )
    connection.exec_driver_sql(
        "CREATE TRIGGER article_search_update AFTER UPDATE OF title, text ON articles BEGIN "
        "DELETE FROM article_search WHERE rowid = old.id; "
        f"INSERT INTO article_search(rowid, title, body) VALUES (new.id, {title}, {body}); END"
    )
    connection.exec_driver_sql(
        "CREATE TRIGGER article_search_delete AFTER DELETE ON articles BEGIN "
        "DELETE FROM article_search WHERE rowid = old.id; END"
    )
    connection.exec_driver_sql(
        "INSERT INTO article_search(rowid, title, body) SELECT id, "
        f"{_SQLITE_FOLD.format('title')}, {_SQLITE_FOLD.format('text')} FROM articles"
    )


def _unaccent_schema(connection: sa.Connection) -> str | None:
    """The schema holding `unaccent`, installing it if we may; None if unavailable."""
    for statement in (
        "CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public",
        "CREATE EXTENSION IF NOT EXISTS unaccent",
    ):
        try:
            with connection.begin_nested():
                connection.exec_driver_sql(statement)
            break
        except sa.exc.DBAPIError:
            continue
    return connection.exec_driver_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'unaccent'"
    ).scalar()


def _postgresql(connection: sa.Connection) -> None:
    schema = _unaccent_schema(connection)
    if schema is not None:
        # Schema-qualified, so the function works whatever the search_path.
        body = f'SELECT lower("{schema}".unaccent(\'"{schema}".unaccent\'::regdictionary, $1))'
    else:
        source, target = fold_map()
        body = f"SELECT lower(translate($1, '{source}', '{target}'))"
        logger.warning(
            "PostgreSQL has no `unaccent` extension (or this role may not create it): "
            "search folds Vietnamese with translate() instead. To use unaccent, run "
            "`CREATE EXTENSION unaccent` as a superuser, then `presswatch db upgrade` anew."
        )
    connection.exec_driver_sql(
        f"CREATE FUNCTION presswatch_fold(text) RETURNS text LANGUAGE sql IMMUTABLE "
        f"PARALLEL SAFE STRICT AS $fold$ {body} $fold$"
    )
    op.create_table(
        "article_search",
        sa.Column(
            "article_id",
            sa.BigInteger(),
            sa.ForeignKey(
                "articles.id", ondelete="CASCADE", name="fk_article_search_article_id_articles"
            ),
            primary_key=True,
        ),
        sa.Column("doc", sa.dialects.postgresql.TSVECTOR(), nullable=False),
    )
    connection.exec_driver_sql(
        "CREATE INDEX ix_article_search_doc ON article_search USING gin (doc)"
    )
    document = (
        "setweight(to_tsvector('simple', presswatch_fold(coalesce({0}.title, ''))), 'A') || "
        "to_tsvector('simple', presswatch_fold(coalesce({0}.text, '')))"
    )
    connection.exec_driver_sql(
        "CREATE FUNCTION article_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $body$ "
        "BEGIN "
        "INSERT INTO article_search(article_id, doc) VALUES (NEW.id, "
        + document.format("NEW")
        + ") ON CONFLICT (article_id) DO UPDATE SET doc = EXCLUDED.doc; RETURN NEW; END $body$"
    )
    connection.exec_driver_sql(
        "CREATE TRIGGER article_search_refresh AFTER INSERT OR UPDATE OF title, text "
        "ON articles FOR EACH ROW EXECUTE FUNCTION article_search_refresh()"
    )
    connection.exec_driver_sql(
        "INSERT INTO article_search(article_id, doc) SELECT a.id, "
        + document.format("a")
        + " FROM articles a"
    )


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        _postgresql(connection)
    else:
        _sqlite(connection)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS article_search_refresh ON articles")
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS article_search_refresh()")
        op.drop_table("article_search")
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS presswatch_fold(text)")
    else:
        for name in ("insert", "update", "delete"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS article_search_{name}")
        connection.exec_driver_sql("DROP TABLE IF EXISTS article_search")
