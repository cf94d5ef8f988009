"""The latest reading per object, factor, kind and statistic, kept by the writer (PostgreSQL).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from alembic import op

from ecohub.store.queries import LATEST_TABLE

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # the measurement tables live here
        for statement in LATEST_TABLE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE latest_readings")
