"""The Alembic revisions, one module each, applied in order by ``ecohub store migrate``."""
