"""Alembic migrations of the operational database and the PostgreSQL measurement tables."""
