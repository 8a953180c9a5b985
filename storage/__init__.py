"""Persistence only: SQLAlchemy models, Alembic migrations, the repository functions."""
