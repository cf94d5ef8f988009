"""Quality-control results and operator reviews beside the readings (PostgreSQL backend).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

KEY = ("mn", "factor", "kind", "period_start", "statistic")


def _key_columns() -> list[sa.Column]:
    return [
        sa.Column("mn", sa.Text, nullable=False),
        sa.Column("factor", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("statistic", sa.Text, nullable=False),
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # the embedded backend keeps these in DuckDB (store/measurements.py)
    op.create_table(
        "qc_flags",
        *_key_columns(),
        sa.Column("qc_flag", sa.SmallInteger),
        sa.Column("qc_tests", sa.Text),
        sa.Column("qc_valid", sa.Boolean),
        sa.Column("qc_version", sa.Text),
        sa.Column("checked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint(*KEY),
    )
    op.create_table(
        "qc_reviews",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        *_key_columns(),
        sa.Column("decision", sa.Text, nullable=False),
        sa.Column("reviewer", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_qc_reviews_key", "qc_reviews", list(KEY))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_table("qc_reviews")
        op.drop_table("qc_flags")
