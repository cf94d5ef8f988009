"""How far each store has applied each gateway's write-ahead journal (ecohub.ingest.journal).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # On PostgreSQL both the registry ("registry") and the measurement tables ("measurements")
    # keep their position here; the embedded DuckDB store keeps its own (store/measurements.py).
    op.create_table(
        "journal_applied",
        sa.Column("journal_id", sa.String(64), nullable=False),
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("journal_id", "target"),
    )


def downgrade() -> None:
    op.drop_table("journal_applied")
